import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Annotation, Command, END, MemorySaver, START, StateGraph, interrupt } from '@langchain/langgraph';
import {
  JsonPlusSerializer,
  uuid6,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import {
  meterCheckpointClient,
  type CheckpointMeter,
  type CheckpointTotals,
} from '../../test/support/checkpoint-meter';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { checkpointItemOf as storedCheckpointItem, scanTable } from '../../test/support/table-items';
import { injectWriteFaults, SimulatedCrash } from '../../test/support/write-fault-injector';
import { createCheckpointTable } from './create-checkpoint-table';
import { DynamoDBSaver, type DynamoDBSaverOptions } from './dynamodb-saver';
import { itemSizeBytes, type Item } from './item-size';
import { CheckpointTable } from './table-io';
import { encodeEnvelope } from './envelope';
import { checkpointItem, checkpointRecordFrom, type StoredValue } from './storage-layout';
import { DEFAULT_DELTA_LIMITS } from './value-deltas';

/*
 * Checkpoint bodies on dynalite. LangGraph's `channel_versions` and `versions_seen` grow with the distinct
 * nodes an instance has run; stored as deltas of the versions a step changed, compressed, with large whole
 * bodies in items of their own, what a step writes and reads does not grow with them. Costs are counted from
 * the items the client sends and gets back (test/support/checkpoint-meter).
 */

const KB = 1024;
const serde = new JsonPlusSerializer();
const { maxLinks } = DEFAULT_DELTA_LIMITS;

let server: DynaliteServer;
let client: DynamoDBClient;
let meter: CheckpointMeter;
let tableCount = 0;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
  meter = meterCheckpointClient(client);
});

afterAll(async () => {
  await server.close();
});

async function newTable(): Promise<string> {
  tableCount += 1;
  const table = `body-${tableCount}`;
  await createCheckpointTable(client, table);
  return table;
}

function saverOn(tableName: string, options: Partial<DynamoDBSaverOptions> = {}): DynamoDBSaver {
  return new DynamoDBSaver({ client, tableName, ...options });
}

async function roundTrip<T>(value: T): Promise<T> {
  const [type, payload] = await serde.dumpsTyped(value);
  return (await serde.loadsTyped(type, payload)) as T;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Writes checkpoints shaped like the ones LangGraph writes for a chain of distinct nodes (the engine's
 * async_requests in a row): every step runs a node never run before, which adds its `branch:to:` channel
 * and its `versions_seen` entry, bumps the channels it writes and what `__interrupt__` has seen.
 */
class NodeChain {
  private config: RunnableConfig;
  private version = 1;
  private readonly channelVersions: Record<string, number> = { __start__: 1 };
  private readonly versionsSeen: Record<string, Record<string, number>> = {
    __input__: {},
    __start__: { __start__: 1 },
    __interrupt__: {},
  };
  readonly values: Record<string, unknown> = {};
  readonly ids: string[] = [];
  private readonly written = new Map<string, Checkpoint>();

  constructor(
    readonly threadId: string,
    readonly ns = '',
  ) {
    this.config = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  }

  get steps(): number {
    return this.ids.length;
  }

  /** Runs the next node, which sets `changes` (channel -> value); returns the new checkpoint's config. */
  async step(saver: DynamoDBSaver, changes: Record<string, unknown>): Promise<RunnableConfig> {
    const node = `Step_${String(this.ids.length + 1).padStart(3, '0')}`;
    const newVersions: Record<string, number> = {};
    const bump = (channel: string) => {
      this.version += 1;
      this.channelVersions[channel] = this.version;
      newVersions[channel] = this.version;
    };
    this.versionsSeen[node] = { [`branch:to:${node}`]: this.version };
    bump(`branch:to:${node}`);
    for (const [channel, value] of Object.entries(changes)) {
      this.values[channel] = value;
      bump(channel);
    }
    Object.assign(this.versionsSeen.__interrupt__ as object, newVersions);
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(-1),
      ts: new Date().toISOString(),
      channel_values: { ...this.values },
      channel_versions: { ...this.channelVersions },
      versions_seen: structuredClone(this.versionsSeen),
    };
    const metadata: CheckpointMetadata = { source: 'loop', step: this.ids.length, parents: {} };
    this.config = await saver.put(this.config, checkpoint, metadata, newVersions);
    this.ids.push(checkpoint.id);
    this.written.set(checkpoint.id, checkpoint);
    return this.config;
  }

  /** The checkpoint a read of `id` must return. */
  async expected(id: string): Promise<Checkpoint | undefined> {
    const checkpoint = this.written.get(id);
    return checkpoint && roundTrip(checkpoint);
  }

  byId(id: string): RunnableConfig {
    return { configurable: { thread_id: this.threadId, checkpoint_ns: this.ns, checkpoint_id: id } };
  }

  get latest(): RunnableConfig {
    return { configurable: { thread_id: this.threadId, checkpoint_ns: this.ns } };
  }
}

/** The checkpoint item of `id`, as stored. */
function checkpointItemOf(table: string, id: string): Promise<Item> {
  return storedCheckpointItem(client, table, id);
}

/** Runs `steps` nodes of a chain whose every step rewrites one small key; returns each step's cost. */
async function runChain(
  saver: DynamoDBSaver,
  chain: NodeChain,
  steps: number,
  check?: (cost: CheckpointTotals) => void,
): Promise<CheckpointTotals[]> {
  const costs: CheckpointTotals[] = [];
  for (let i = 0; i < steps; i += 1) {
    const n = chain.steps;
    const context = { shipmentId: 'SHP-1', result: `result of step ${n}` };
    const { cost } = await meter.measured(() => chain.step(saver, { context, attempts: { n } }));
    check?.(cost);
    costs.push(cost);
  }
  return costs;
}

/* ------------------------------------------------------------------------------------------------------ */

describe('DynamoDBSaver checkpoint bodies', () => {
  it('writes per step at 420 distinct nodes about what it writes at 60, where whole bodies grow 3x', async () => {
    const table = await newTable();
    const perStep = async (options: Partial<DynamoDBSaverOptions>) => {
      const chain = new NodeChain(`flat-${options.deltas === false ? 'whole' : 'deltas'}`);
      const saver = saverOn(table, options);
      const costs = await runChain(saver, chain, 420);
      // Windows of 36 steps: several periods of a body chain (a whole or rebased body every 7 to 9 steps).
      const window = (end: number) => costs.slice(end - 36, end);
      return { chain, early: window(60), late: window(420), tail: costs.slice(320) };
    };
    const deltas = await perStep({});
    const whole = await perStep({ deltas: false });
    const bytes = (costs: CheckpointTotals[]) => mean(costs.map((c) => c.bytesWritten));

    // The body stored whole every step (even compressed) grows with the nodes run.
    expect(bytes(whole.late)).toBeGreaterThan(3 * bytes(whole.early));
    // As deltas, a step writes one item, which does not grow with the nodes run: the values, one step's body
    // delta (or a rebased one under 1 KB) and the list of the chain's links (at most `maxLinks`).
    const itemBytes = (costs: CheckpointTotals[]) =>
      costs.filter((c) => c.itemsWritten === 1).map((c) => c.bytesWritten);
    expect(Math.max(...itemBytes(deltas.late))).toBeLessThanOrEqual(Math.max(...itemBytes(deltas.early)));
    // Now and then the whole body (compressed, about 5 bytes a node here) goes to an item of its own as well:
    // how often depends on compressed sizes (the ids are random), so it is looked for over the last 100
    // steps. Spread over the steps, what a step writes at 420 nodes is within 1.2x of what it writes at 60.
    expect(deltas.tail.some((c) => c.itemsWritten === 2)).toBe(true);
    expect(deltas.late.every((c) => c.itemsWritten <= 2)).toBe(true);
    expect(bytes(deltas.late)).toBeLessThanOrEqual(1.2 * bytes(deltas.early));
    expect(bytes(deltas.late)).toBeLessThan(bytes(whole.late) / 3);

    // No checkpoint item of the chain holds more of the body than one step's delta or a 1 KB whole body.
    const items = (await scanTable(client, table)).filter(
      (item) => item.SK?.S?.endsWith('#') && item.PK?.S?.endsWith('flat-deltas'),
    );
    expect(items).toHaveLength(420);
    expect(Math.max(...items.map(itemSizeBytes))).toBeLessThan(1.5 * KB);
    // Over the last 200 steps: when a chain is full, the next body is mostly a delta over the whole body (all
    // the changes since it) rather than the whole body.
    const records = items
      .map((item) => checkpointRecordFrom(item, undefined))
      .sort((a, b) => (a.checkpointId < b.checkpointId ? -1 : 1))
      .slice(-200);
    const rebased = records.filter(
      ({ bodyBase, parentId }) =>
        bodyBase !== undefined && bodyBase.base === undefined && bodyBase.originId !== parentId,
    );
    const wholes = records.filter((record) => record.bodyBase === undefined);
    expect(rebased.length).toBeGreaterThan(wholes.length);
    expect(wholes.length).toBeGreaterThan(1);
  }, 120_000);

  it('reads what it just wrote or read from its checkpoint item alone; a new process reads a bounded chain', async () => {
    const table = await newTable();
    const saver = saverOn(table);
    const chain = new NodeChain('reads');
    await runChain(saver, chain, 400);
    // The checkpoint just written: its body's parent and its values are known here, nothing else is fetched.
    const warm = await meter.measured(() => saver.getTuple(chain.byId(chain.ids.at(-1) as string)));
    expect(warm.result?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
    expect(warm.cost.itemsFetched).toBe(0);
    expect(warm.cost.itemsQueried).toBe(1);

    // A new process: every checkpoint of the last 20 read exactly, fetching at most the chain's links.
    for (const id of chain.ids.slice(-20)) {
      const reader = saverOn(table);
      const cold = await meter.measured(() => reader.getTuple(chain.byId(id)));
      expect(cold.result?.checkpoint).toStrictEqual(await chain.expected(id));
      expect(cold.cost.itemsFetched).toBeLessThanOrEqual(maxLinks + 1);
      // The whole body (about 4 KB compressed at 400 nodes, 40 KB as JSON) and small checkpoint items.
      expect(cold.cost.bytesFetched).toBeLessThan(16 * KB);
      // Having read it, that process writes the next step as a delta at once, and reads it back warm.
      const next = await meter.measured(() => runChain(reader, chain, 1));
      expect(next.cost.bytesWritten).toBeLessThan(8 * KB);
      const again = await meter.measured(() => reader.getTuple(chain.byId(chain.ids.at(-1) as string)));
      expect(again.result?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
      expect(again.cost.itemsFetched).toBe(0);
    }
    // A listing by a new process: every checkpoint exact, each item of their chains fetched once.
    const listing = await meter.measured(async () => {
      const tuples: CheckpointTuple[] = [];
      for await (const tuple of saverOn(table).list(chain.latest)) tuples.push(tuple);
      return tuples;
    });
    expect(listing.result).toHaveLength(chain.ids.length);
    for (const tuple of listing.result) {
      expect(tuple.checkpoint).toStrictEqual(await chain.expected(tuple.checkpoint.id));
    }
    expect(listing.cost.itemsFetched).toBeLessThan(1.2 * chain.ids.length);
  }, 120_000);

  it('reads a value carried from an ancestor at about the value size, not the ancestor body', async () => {
    const table = await newTable();
    const saver = saverOn(table);
    const chain = new NodeChain('carried');
    await runChain(saver, chain, 300);
    // Step 301 writes a 3 KB document, never changed again; 100 more steps carry it.
    const doc = 'd'.repeat(3 * KB);
    await chain.step(saver, { document: doc });
    const origin = chain.ids.at(-1) as string;
    await runChain(saver, chain, 100);

    const originItem = await checkpointItemOf(table, origin);
    // The origin's item: its 3 KB value and a step's worth of the rest, not its body (30 KB as JSON).
    expect(itemSizeBytes(originItem)).toBeLessThan(doc.length + 1.5 * KB);
    const reader = saverOn(table);
    const { result, cost } = await meter.measured(() => reader.getTuple(chain.latest));
    expect(result?.checkpoint.channel_values.document).toBe(doc);
    expect(cost.itemsFetched).toBeLessThanOrEqual(maxLinks + 2);
  }, 60_000);

  it('runs a 150-node LangGraph graph like MemorySaver, every body a delta, resumed by other processes', async () => {
    const table = await newTable();
    const State = Annotation.Root({
      context: Annotation<Record<string, unknown>>({
        reducer: (a, b) => ({ ...a, ...b }),
        default: () => ({}),
      }),
    });
    const nodes = Array.from({ length: 150 }, (_, i) => `node_${String(i).padStart(3, '0')}`);
    const build = () => {
      const graph = new StateGraph(State);
      nodes.forEach((name, i) =>
        graph.addNode(name, () => {
          if (i === 50 || i === 120) {
            const answer = interrupt<string, string>(`approve ${name}?`);
            return { context: { [`answer_${i}`]: answer } };
          }
          return { context: { [`out_${i % 7}`]: { node: name, n: i } } };
        }),
      );
      const edges = graph as unknown as { addEdge(from: string, to: string): void };
      edges.addEdge(START, nodes[0] as string);
      nodes.slice(1).forEach((name, i) => edges.addEdge(nodes[i] as string, name));
      edges.addEdge(nodes.at(-1) as string, END);
      return graph;
    };
    const run = async (savers: (() => DynamoDBSaver | MemorySaver)[]) => {
      const config = {
        configurable: { thread_id: 'graph-150' },
        durability: 'sync' as const,
        recursionLimit: 1000,
      };
      const [first, second, third] = savers;
      await build()
        .compile({ checkpointer: (first as () => DynamoDBSaver | MemorySaver)() })
        .invoke({ context: { start: true } }, config);
      await build()
        .compile({ checkpointer: (second as () => DynamoDBSaver | MemorySaver)() })
        .invoke(new Command({ resume: 'yes' }), config);
      const graph = build().compile({ checkpointer: (third as () => DynamoDBSaver | MemorySaver)() });
      const result = await graph.invoke(new Command({ resume: 'also' }), config);
      const history: unknown[] = [];
      for await (const snapshot of graph.getStateHistory(config)) {
        const { values, next, metadata } = snapshot as {
          values: unknown;
          next: unknown;
          metadata?: { step?: number };
        };
        history.push({ values, next, step: metadata?.step });
      }
      return { result, history };
    };
    // Every body past the first is a delta (bodies of any size qualify), chains of at most 3.
    const options = { deltas: { minBodyBytes: 0, maxLinks: 3 } };
    const dynamo = await run([1, 2, 3].map(() => () => saverOn(table, options)));
    const memory = new MemorySaver();
    expect(dynamo).toStrictEqual(await run([1, 2, 3].map(() => () => memory)));
    const items = await scanTable(client, table);
    expect(items.filter((item) => item.cb !== undefined).length).toBeGreaterThan(50);
  }, 60_000);

  it('reads checkpoints of the previous layout, and writes deltas over their bodies', async () => {
    const table = await newTable();
    const chain = new NodeChain('previous-layout');
    // The previous layout: the body whole, uncompressed, inline in `cp`; every value whole, inline.
    const oldWriter = {
      async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
        const envelope = async (value: unknown): Promise<StoredValue> => {
          const [type, payload] = await serde.dumpsTyped(value);
          return { kind: 'inline', bytes: encodeEnvelope(type, payload) };
        };
        const { channel_values: values, ...body } = checkpoint;
        const parentId = config.configurable?.checkpoint_id as string | undefined;
        const item = checkpointItem(
          {
            threadId: 'previous-layout',
            ns: '',
            checkpointId: checkpoint.id,
            ...(parentId !== undefined ? { parentId } : {}),
            checkpoint: await envelope(body),
            metadata: await envelope(metadata),
            values: new Map(
              await Promise.all(
                Object.entries(values).map(async ([ch, v]) => [ch, await envelope(v)] as const),
              ),
            ),
            bases: new Map(),
            carried: new Map(),
          },
          undefined,
        );
        await new CheckpointTable(client, table).put(item);
        return {
          configurable: { thread_id: 'previous-layout', checkpoint_ns: '', checkpoint_id: checkpoint.id },
        };
      },
    } as unknown as DynamoDBSaver;
    await runChain(oldWriter, chain, 200);
    const oldItem = await checkpointItemOf(table, chain.ids.at(-1) as string);
    expect(itemSizeBytes(oldItem)).toBeGreaterThan(15 * KB);

    const saver = saverOn(table);
    const read = await saver.getTuple(chain.latest);
    expect(read?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
    const costs = await runChain(saver, chain, 5);
    // A delta over the old item's body: a small checkpoint item.
    expect(Math.max(...costs.map((c) => c.bytesWritten))).toBeLessThan(1.5 * KB);
    expect((await checkpointItemOf(table, chain.ids.at(-1) as string)).cb?.L?.length).toBe(5);
    for (const id of chain.ids.slice(-8)) {
      const tuple = await saverOn(table).getTuple(chain.byId(id));
      expect(tuple?.checkpoint).toStrictEqual(await chain.expected(id));
    }
  }, 60_000);

  it('stores the body whole when its chain would depend on items expiring soon (TTL)', async () => {
    const table = await newTable();
    const ttl = { attributeName: 'ttl', seconds: 3600, refreshAfterSeconds: 1 };
    const saver = saverOn(table, { ttl, deltas: { minBodyBytes: 0 } });
    const chain = new NodeChain('ttl');
    await runChain(saver, chain, 150);
    // Up to a checkpoint whose chain has just begun: the next one would be a delta.
    while (((await checkpointItemOf(table, chain.ids.at(-1) as string)).cb?.L?.length ?? 9) > 2) {
      await runChain(saver, chain, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await runChain(saver, chain, 1);
    expect((await checkpointItemOf(table, chain.ids.at(-1) as string)).cb).toBeUndefined();
    for (const id of chain.ids.slice(-10)) {
      const tuple = await saverOn(table, { ttl }).getTuple(chain.byId(id));
      expect(tuple?.checkpoint).toStrictEqual(await chain.expected(id));
    }
  }, 15_000);

  it('with deltas off, stores every body whole and compressed, inline', async () => {
    const table = await newTable();
    const saver = saverOn(table, { deltas: false });
    const chain = new NodeChain('off');
    const costs = await runChain(saver, chain, 200);
    expect(costs.every((c) => c.itemsWritten === 1)).toBe(true);
    const item = await checkpointItemOf(table, chain.ids.at(-1) as string);
    expect(item.cb).toBeUndefined();
    expect(item.cp?.B).toBeDefined();
    // 200 nodes: about 20 KB of versions as JSON, a few KB compressed.
    expect(itemSizeBytes(item)).toBeLessThan(5 * KB);
    const tuple = await saverOn(table).getTuple(chain.latest);
    expect(tuple?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
  }, 60_000);
});

/* ------------------------------------------------------------------------------------------------------ */

describe('DynamoDBSaver checkpoint bodies, crash safety', () => {
  it('leaves the previous checkpoint readable wherever a snapshot step stops, and the retry completes', async () => {
    const table = await newTable();
    const faults = injectWriteFaults(client);
    // Chains of at most 2 deltas: steps 0, 3, 6... store the body whole, in an item of its own.
    const options = { deltas: { maxLinks: 2, minBodyBytes: 0 } };
    const prelude = async (saver: DynamoDBSaver, id: string) => {
      const chain = new NodeChain(id);
      await runChain(saver, chain, 3);
      return chain;
    };
    /** The step under test: a whole body (its own item, then the checkpoint item), then a task's writes. */
    const step = async (saver: DynamoDBSaver, chain: NodeChain) => {
      const config = await chain.step(saver, { context: { status: 'snapshot step' } });
      await saver.putWrites(config, [['context', { status: 'written' }]], 'task');
    };
    const normalize = (tuple: CheckpointTuple | undefined) =>
      tuple && { checkpoint: tuple.checkpoint, writes: tuple.pendingWrites };

    const reference = saverOn(table, options);
    const referenceChain = await prelude(reference, 'reference');
    faults.reset();
    await step(reference, referenceChain);
    const total = faults.itemsWritten;
    expect(total).toBe(3);
    const snapshotItem = await checkpointItemOf(table, referenceChain.ids.at(-1) as string);
    expect(snapshotItem.cb).toBeUndefined();
    expect(snapshotItem.cp?.S).toBeDefined();

    for (let allowed = 0; allowed < total; allowed += 1) {
      const writer = saverOn(table, options);
      const chain = await prelude(writer, `crash-${allowed}`);
      const before = normalize(await saverOn(table, options).getTuple(chain.latest));
      faults.reset();
      faults.crashAfter(allowed);
      const failure = await step(writer, chain).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error | undefined)?.cause).toBeInstanceOf(SimulatedCrash);
      faults.crashAfter(undefined);

      // The process stopped. Another reads the latest checkpoint, as LangGraph does on redelivery.
      const seen = normalize(await saverOn(table, options).getTuple(chain.latest));
      if (allowed < total - 1) {
        // Before the checkpoint item (the body's item written or not): the previous checkpoint, whole.
        expect(seen).toStrictEqual(before);
      } else {
        expect(seen?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
        expect(seen?.writes).toEqual([]);
      }
      const retry = saverOn(table, options);
      await retry.getTuple(chain.latest);
      if (allowed < total - 1) {
        // The step runs again from the previous checkpoint (under a new checkpoint id, as LangGraph's).
        await step(retry, chain);
      } else {
        await retry.putWrites(
          chain.byId(chain.ids.at(-1) as string),
          [['context', { status: 'written' }]],
          'task',
        );
      }
      const after = await saverOn(table, options).getTuple(chain.latest);
      expect(after?.checkpoint).toStrictEqual(await chain.expected(chain.ids.at(-1) as string));
      expect(after?.pendingWrites).toEqual([['task', 'context', { status: 'written' }]]);
    }
  }, 60_000);
});
