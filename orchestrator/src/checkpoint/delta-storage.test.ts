import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  type CheckpointTotals as Totals,
} from '../../test/support/checkpoint-meter';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { checkpointItemOf as storedCheckpointItem, scanTable } from '../../test/support/table-items';
import { injectWriteFaults, SimulatedCrash } from '../../test/support/write-fault-injector';
import { createCheckpointTable } from './create-checkpoint-table';
import { DynamoDBSaver, type DynamoDBSaverOptions } from './dynamodb-saver';
import { CHUNK_BYTES } from './item-chunking';
import { MAX_ITEM_BYTES, itemSizeBytes, type Item } from './item-size';
import { DEFAULT_DELTA_LIMITS } from './value-deltas';
import { compressEnvelope } from './envelope-compression';
import { incompressibleText } from './testing/incompressible-text';
import { inlineValuesFrom } from './storage-layout';

/*
 * Deltas on dynalite: a step that changes one key of a large JSON object channel writes about that key, reads
 * assemble exactly what LangGraph's serde wrote, chains stay bounded, and crash safety is unchanged.
 * Write units are computed from the items the client sends (DynamoDB's rule: ceil(item bytes / 1 KB) per
 * item); items read are counted from the responses.
 */

const KB = 1024;
const MiB = 1024 * 1024;
const serde = new JsonPlusSerializer();

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

/* ------------------------------------------------------------------------------------------------------ */

async function measured<T>(work: () => Promise<T>): Promise<{ result: T; cost: Totals }> {
  return meter.measured(work);
}

async function newTable(): Promise<string> {
  tableCount += 1;
  const table = `delta-${tableCount}`;
  await createCheckpointTable(client, table);
  return table;
}

function saverOn(tableName: string, options: Partial<DynamoDBSaverOptions> = {}): DynamoDBSaver {
  return new DynamoDBSaver({ client, tableName, ...options });
}

/**
 * A context shaped like the engine's: many keys of about 100 bytes, `bytes` in all once serialized, with
 * labels compression cannot shrink (so sizes are the sizes stored).
 */
function contextOf(bytes: number, prefix = 'field'): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (let i = 0, length = 2; length < bytes; i += 1) {
    const key = `${prefix}_${i}`;
    const value = { id: i, label: incompressibleText(`${prefix}${i}`, 54), score: i * 1.5 };
    context[key] = value;
    length += JSON.stringify(key).length + JSON.stringify(value).length + 2;
  }
  return context;
}

/** What LangGraph's serde reads back from what it writes: the value a read must return. */
async function roundTrip<T>(value: T): Promise<T> {
  const [type, payload] = await serde.dumpsTyped(value);
  return (await serde.loadsTyped(type, payload)) as T;
}

/** Writes checkpoints the way LangGraph does: each `put` on its parent, `newVersions` naming what changed. */
class Thread {
  private config: RunnableConfig;
  private readonly versions: Record<string, number> = {};
  readonly values: Record<string, unknown> = {};
  readonly ids: string[] = [];
  private readonly snapshots = new Map<string, Record<string, unknown>>();

  constructor(
    readonly threadId: string,
    readonly ns = '',
  ) {
    this.config = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  }

  /** One step: sets (or, with `undefined` as the change itself, removes) channels and puts the checkpoint. */
  async step(saver: DynamoDBSaver, changes: Record<string, unknown>): Promise<RunnableConfig> {
    const newVersions: Record<string, number> = {};
    for (const [channel, value] of Object.entries(changes)) {
      this.values[channel] = value;
      this.versions[channel] = (this.versions[channel] ?? 0) + 1;
      newVersions[channel] = this.versions[channel];
    }
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(-1),
      ts: new Date().toISOString(),
      channel_values: { ...this.values },
      channel_versions: { ...this.versions },
      versions_seen: {},
    };
    const metadata: CheckpointMetadata = { source: 'loop', step: this.ids.length, parents: {} };
    this.config = await saver.put(this.config, checkpoint, metadata, newVersions);
    this.ids.push(checkpoint.id);
    this.snapshots.set(checkpoint.id, { ...this.values });
    return this.config;
  }

  /** The channel values a read of checkpoint `id` must return. */
  async expected(id: string): Promise<Record<string, unknown> | undefined> {
    const values = this.snapshots.get(id);
    return values && roundTrip(values);
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

/** Links of the chain a checkpoint item records for `channel` (1 when stored or carried whole). */
function chainLength(item: Item, channel: string): number {
  const carried = item.r?.M?.[channel];
  if (carried !== undefined) return carried.L?.length ?? 1;
  const base = item.b?.M?.[channel];
  return 1 + (base?.L?.length ?? 0);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/* ------------------------------------------------------------------------------------------------------ */

describe('DynamoDBSaver deltas', () => {
  it('writes per step about what a 1 KB context does when one small key of a 1 MB context changes', async () => {
    const table = await newTable();
    const perStep = async (contextBytes: number) => {
      const saver = saverOn(table);
      const thread = new Thread(`one-key-${contextBytes}`);
      const first = await measured(() =>
        thread.step(saver, { context: { ...contextOf(contextBytes), status: 'start' }, step: 0 }),
      );
      const steps: Totals[] = [];
      for (let i = 1; i <= 50; i += 1) {
        const context = { ...(thread.values.context as object), status: `step ${i} done` };
        steps.push((await measured(() => thread.step(saver, { context, step: i }))).cost);
      }
      return { saver, thread, first: first.cost, steps };
    };
    const small = await perStep(KB);
    const large = await perStep(MiB);

    // The first checkpoint stores the context whole: about 450 write units for 1 MB (compressed).
    expect(large.first.writeUnits).toBeGreaterThan(300);
    // Every step after it: one item (the checkpoint item, the delta inline), as for the 1 KB context.
    for (const step of large.steps) {
      expect(step.itemsWritten).toBe(1);
      expect(step.writeUnits).toBeLessThanOrEqual(3);
    }
    const smallUnits = mean(small.steps.map((s) => s.writeUnits));
    const largeUnits = mean(large.steps.map((s) => s.writeUnits));
    expect(largeUnits).toBeLessThanOrEqual(smallUnits + 1);
    expect(mean(large.steps.map((s) => s.bytesWritten))).toBeLessThan(
      mean(small.steps.map((s) => s.bytesWritten)) + 512,
    );

    // A new process reads the latest checkpoint after 50 steps: exactly the value written.
    const reader = saverOn(table);
    const { result: tuple, cost } = await measured(() => reader.getTuple(large.thread.latest));
    const lastId = large.thread.ids.at(-1) as string;
    expect(tuple?.checkpoint.channel_values).toStrictEqual(await large.thread.expected(lastId));
    // Fetched by reference: the whole context's chunks and at most one origin item per link of its chain.
    const chunks = Math.ceil(MiB / CHUNK_BYTES) + 1;
    expect(cost.itemsFetched).toBeLessThanOrEqual(chunks + DEFAULT_DELTA_LIMITS.maxLinks + 1);
    // The same key changing again and again keeps the chain one delta deep.
    expect(chainLength(await checkpointItemOf(table, lastId), 'context')).toBe(2);
  }, 60_000);

  it('bounds chains when a new key is added each step: links read, bytes written, exact reads', async () => {
    const table = await newTable();
    const saver = saverOn(table);
    const thread = new Thread('new-key-each-step');
    await thread.step(saver, { context: contextOf(100 * KB), step: 0 });
    const steps: Totals[] = [];
    for (let i = 1; i <= 300; i += 1) {
      const result = { ok: true, at: i, detail: incompressibleText(`result ${i}`, 300) };
      const context = { ...(thread.values.context as object), [`result_${i}`]: result };
      steps.push((await measured(() => thread.step(saver, { context, step: i }))).cost);
    }
    // Each step adds about 450 bytes. Once the chain's deltas reach half the context it is stored whole
    // again (a few times over 300 steps); in between, deltas merged along the way.
    const units = steps.map((s) => s.writeUnits);
    const wholes = units.filter((u) => u > 60).length;
    expect(wholes).toBeGreaterThanOrEqual(1);
    expect(wholes).toBeLessThanOrEqual(4);
    expect(mean(units)).toBeLessThan(8);

    const maxLinks = DEFAULT_DELTA_LIMITS.maxLinks;
    const items = await scanTable(client, table);
    const depths = items.filter((item) => item.cp !== undefined).map((item) => chainLength(item, 'context'));
    expect(Math.max(...depths)).toBeLessThanOrEqual(maxLinks + 1);
    expect(Math.max(...depths)).toBeGreaterThan(3);
    // Every 15th checkpoint, read by id by a new process: exact, and at most one item per link fetched.
    for (const id of thread.ids.filter((_, i) => i % 15 === 0 || i === thread.ids.length - 1)) {
      const reader = saverOn(table);
      const { result: tuple, cost } = await measured(() => reader.getTuple(thread.byId(id)));
      expect(tuple?.checkpoint.channel_values).toStrictEqual(await thread.expected(id));
      expect(cost.itemsFetched).toBeLessThanOrEqual(maxLinks + 1);
      expect(cost.itemsQueried).toBe(1);
    }
  }, 120_000);

  it('removes a removed key, keeps a key set to undefined, and lists every checkpoint exactly', async () => {
    const table = await newTable();
    const saver = saverOn(table);
    const thread = new Thread('removals');
    const base = { ...contextOf(20 * KB), gone: 'soon', nested: { a: 1 } };
    await thread.step(saver, { context: base });
    const { gone: _gone, ...without } = base;
    await thread.step(saver, { context: without });
    await thread.step(saver, { context: { ...without, maybe: undefined, nested: { a: 2, b: [null] } } });
    await thread.step(saver, { context: { ...without, gone: 'back' } });

    const reader = saverOn(table);
    const second = await reader.getTuple(thread.byId(thread.ids[1] as string));
    const context = second?.checkpoint.channel_values.context as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(context, 'gone')).toBe(false);
    const third = (await reader.getTuple(thread.byId(thread.ids[2] as string)))?.checkpoint.channel_values
      .context as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(third, 'maybe')).toBe(true);
    expect(third.maybe).toBeUndefined();
    expect(third.nested).toEqual({ a: 2, b: [null] });

    const listed: CheckpointTuple[] = [];
    for await (const tuple of saverOn(table).list(thread.latest)) listed.push(tuple);
    expect(listed.map((t) => t.checkpoint.id)).toEqual([...thread.ids].reverse());
    for (const tuple of listed) {
      expect(tuple.checkpoint.channel_values).toStrictEqual(await thread.expected(tuple.checkpoint.id));
    }
    // Steps 2 to 4 stored deltas.
    for (const id of thread.ids.slice(1)) {
      expect((await checkpointItemOf(table, id)).b?.M?.context).toBeDefined();
    }
  });

  it('chunks a delta whose changed key is itself 600 KB, and builds on it', async () => {
    const table = await newTable();
    const saver = saverOn(table);
    const thread = new Thread('big-key');
    const big = (seed: string) => incompressibleText(seed, 600 * KB);
    await thread.step(saver, { context: { ...contextOf(2 * MiB), big: big('first-') } });
    const changed = await measured(() =>
      thread.step(saver, { context: { ...(thread.values.context as object), big: big('second-') } }),
    );
    // The key (600 KB, two chunks) and the checkpoint item; not the 2.6 MB context.
    expect(changed.cost.itemsWritten).toBe(Math.ceil((600 * KB) / CHUNK_BYTES) + 1);
    expect(changed.cost.bytesWritten).toBeLessThan(620 * KB);
    await thread.step(saver, { context: { ...(thread.values.context as object), status: 'after' } });
    await thread.step(saver, { context: { ...(thread.values.context as object), big: big('third-') } });

    const items = await scanTable(client, table);
    expect(Math.max(...items.map(itemSizeBytes))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    for (const id of thread.ids) {
      const tuple = await saverOn(table).getTuple(thread.byId(id));
      expect(tuple?.checkpoint.channel_values).toStrictEqual(await thread.expected(id));
    }
  }, 60_000);

  it('carries a chain unchanged, and stores whole when it does not know the previous value', async () => {
    const table = await newTable();
    const thread = new Thread('processes');
    const first = saverOn(table);
    await thread.step(first, { context: contextOf(50 * KB), step: 0 });
    await thread.step(first, { context: { ...(thread.values.context as object), a: 1 }, step: 1 });
    // A new process that never read the parent: `step` changes, the context's chain is carried as it is.
    const second = saverOn(table);
    const carried = await measured(() => thread.step(second, { step: 2 }));
    expect(carried.cost.itemsWritten).toBe(1);
    const carriedItem = await checkpointItemOf(table, thread.ids[2] as string);
    expect(chainLength(carriedItem, 'context')).toBe(2);
    // It does not know the context either: a change stores it whole (50 KB), then deltas again.
    const whole = await measured(() =>
      thread.step(second, { context: { ...(thread.values.context as object), a: 2 } }),
    );
    expect(whole.cost.bytesWritten).toBeGreaterThan(20 * KB); // 50 KB, compressed
    const delta = await measured(() =>
      thread.step(second, { context: { ...(thread.values.context as object), a: 3 } }),
    );
    expect(delta.cost.bytesWritten).toBeLessThan(2 * KB);
    // A third process reads first (as LangGraph does before it writes), then writes a delta at once.
    const third = saverOn(table);
    await third.getTuple(thread.latest);
    const afterRead = await measured(() =>
      thread.step(third, { context: { ...(thread.values.context as object), a: 4 } }),
    );
    expect(afterRead.cost.bytesWritten).toBeLessThan(2 * KB);
    // Writing the same entries again (a new version, nothing changed) writes no value at all.
    const same = await measured(() =>
      thread.step(third, { context: { ...(thread.values.context as object) } }),
    );
    expect(same.cost.bytesWritten).toBeLessThan(KB);
    for (const id of thread.ids) {
      const tuple = await saverOn(table).getTuple(thread.byId(id));
      expect(tuple?.checkpoint.channel_values).toStrictEqual(await thread.expected(id));
    }
  });

  it('reads exactly what was written over random changes, processes and namespaces', async () => {
    const table = await newTable();
    let state = 42;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const threads = [new Thread('random', ''), new Thread('random', 'branch:1')];
    let saver = saverOn(table, { deltas: { maxLinks: 4 } });
    for (let i = 0; i < 240; i += 1) {
      const thread = threads[i % 2] as Thread;
      if (next() < 0.05) saver = saverOn(table, { deltas: { maxLinks: 4 } });
      if (i < 2) {
        await thread.step(saver, { context: contextOf(12 * KB), step: i });
        continue;
      }
      const context = { ...(thread.values.context as Record<string, unknown>) };
      const keys = Object.keys(context);
      const roll = next();
      if (roll < 0.15) {
        await thread.step(saver, { step: i });
        continue;
      }
      for (let change = 0; change < 1 + Math.floor(next() * 3); change += 1) {
        const key =
          next() < 0.5 ? (keys[Math.floor(next() * keys.length)] as string) : `k${Math.floor(next() * 50)}`;
        const what = next();
        if (what < 0.2) delete context[key];
        else if (what < 0.3) context[key] = undefined;
        else if (what < 0.35) context[key] = 'x'.repeat(Math.floor(next() * 40 * KB));
        else context[key] = { i, nested: [key, next() < 0.5 ? null : { deep: i }] };
      }
      await thread.step(saver, { context, step: i });
    }
    for (const thread of threads) {
      const reader = saverOn(table);
      let count = 0;
      for await (const tuple of reader.list(thread.latest)) {
        expect(tuple.checkpoint.channel_values).toStrictEqual(await thread.expected(tuple.checkpoint.id));
        count += 1;
      }
      expect(count).toBe(thread.ids.length);
    }
    const deltas = (await scanTable(client, table)).filter((item) => item.b !== undefined);
    expect(deltas.length).toBeGreaterThan(100);
  }, 120_000);

  it('runs an engine-shaped graph like MemorySaver, resumed by another process', async () => {
    const table = await newTable();
    const State = Annotation.Root({
      context: Annotation<Record<string, unknown>>({
        reducer: (a, b) => ({ ...a, ...b }),
        default: () => ({}),
      }),
      log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
    });
    const build = () => {
      const graph = new StateGraph(State);
      const names = Array.from({ length: 12 }, (_, i) => `node_${i}`);
      names.forEach((name, i) =>
        graph.addNode(name, () => {
          if (i === 6) {
            const answer = interrupt<string, string>('approve?');
            return { context: { approval: answer, when: new Date(Date.UTC(2025, 0, i)) }, log: [name] };
          }
          return { context: { [`out_${i % 4}`]: { node: name, n: i }, nothing: undefined }, log: [name] };
        }),
      );
      const edges = graph as unknown as { addEdge(from: string, to: string): void };
      edges.addEdge(START, 'node_0');
      names.slice(1).forEach((name, i) => edges.addEdge(names[i] as string, name));
      edges.addEdge(names.at(-1) as string, END);
      return graph;
    };
    const run = async (first: DynamoDBSaver | MemorySaver, second: DynamoDBSaver | MemorySaver) => {
      const config = { configurable: { thread_id: 'engine-shaped' }, durability: 'sync' as const };
      await build()
        .compile({ checkpointer: first })
        .invoke({ context: contextOf(64 * KB) }, config);
      const graph = build().compile({ checkpointer: second });
      const result = await graph.invoke(new Command({ resume: 'yes' }), config);
      const history: unknown[] = [];
      for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot.values);
      return { result, history };
    };
    const dynamo = await run(saverOn(table), saverOn(table));
    const memory = new MemorySaver();
    expect(dynamo).toStrictEqual(await run(memory, memory));
    const deltas = (await scanTable(client, table)).filter((item) => item.b?.M?.context !== undefined);
    expect(deltas.length).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it('stores whole when the chain would depend on items expiring soon (TTL)', async () => {
    const table = await newTable();
    const saver = saverOn(table, { ttl: { attributeName: 'ttl', seconds: 3600, refreshAfterSeconds: 1 } });
    const thread = new Thread('ttl');
    await thread.step(saver, { context: contextOf(20 * KB) });
    await thread.step(saver, { context: { ...(thread.values.context as object), a: 1 } });
    expect((await checkpointItemOf(table, thread.ids[1] as string)).b).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await thread.step(saver, { context: { ...(thread.values.context as object), a: 2 } });
    const third = await checkpointItemOf(table, thread.ids[2] as string);
    expect(third.b).toBeUndefined();
    expect(inlineValuesFrom(third).get('context')).toBeDefined();
    for (const id of thread.ids) {
      const tuple = await saver.getTuple(thread.byId(id));
      expect(tuple?.checkpoint.channel_values).toStrictEqual(await thread.expected(id));
    }
  }, 15_000);

  it('with deltas off, stores every changed value whole', async () => {
    const table = await newTable();
    const saver = saverOn(table, { deltas: false });
    const thread = new Thread('off');
    await thread.step(saver, { context: contextOf(20 * KB) });
    const step = await measured(() =>
      thread.step(saver, { context: { ...(thread.values.context as object), a: 1 } }),
    );
    expect(step.cost.bytesWritten).toBeGreaterThan(8 * KB); // 20 KB, compressed
    expect((await checkpointItemOf(table, thread.ids[1] as string)).b).toBeUndefined();
  });

  it('plans the next step from a value read from a pack as from the same value listed', async () => {
    const table = await newTable();
    // About 9 KB of text that compresses well: stored inline, under 1 KB.
    const context: Record<string, unknown> = {};
    for (let i = 0; i < 200; i += 1) context[`key_${i}`] = { label: `label of item number ${i}`, i };
    // A small value beside it, under 256 bytes (stored uncompressed on its own), that packing compresses.
    const visits = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key_${i}`, i]));
    const packedThread = new Thread('packed');
    await packedThread.step(saverOn(table), { context, visits });
    const packed = await checkpointItemOf(table, packedThread.ids[0] as string);
    expect(packed.v).toBeUndefined();
    expect(packed.vp).toBeDefined();
    // The same checkpoint with its values listed in `v`, each as stored on its own, under another thread.
    const listed: Item = { ...packed, PK: { S: 'THREAD#listed' } };
    delete listed.vp;
    const values = [...inlineValuesFrom(packed)].map(([channel, value]) => {
      const stored = value.kind === 'inline' ? compressEnvelope(value.bytes) : new Uint8Array();
      expect(stored.byteLength).toBe(value.kind === 'inline' ? value.storedLength : -1);
      return [channel, { B: stored }] as const;
    });
    expect(values.find(([channel]) => channel === 'context')?.[1].B.byteLength).toBeLessThan(4 * KB);
    listed.v = { M: Object.fromEntries(values) };
    await client.send(new PutItemCommand({ TableName: table, Item: listed }));

    // A fresh process reads each (as a new Lambda would) and writes the next step over it.
    const next = async (threadId: string, parentId: string): Promise<Item> => {
      const saver = saverOn(table);
      const parent = { configurable: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: parentId } };
      const read = await saver.getTuple(parent);
      expect(read?.checkpoint.channel_values).toEqual({ context, visits });
      const checkpoint: Checkpoint = {
        ...(read?.checkpoint as Checkpoint),
        id: uuid6(-1),
        channel_values: { context: { ...context, key_0: 'changed' }, visits },
        channel_versions: { context: 2, visits: 1 },
      };
      const written = await saver.put(
        parent,
        checkpoint,
        { source: 'loop', step: 1, parents: {} },
        { context: 2 },
      );
      return checkpointItemOf(table, String(written.configurable?.checkpoint_id));
    };
    const id = packedThread.ids[0] as string;
    const [fromPack, fromList] = [await next('packed', id), await next('listed', id)];
    // The reader counts the context at its stored size (under 4 KB, not remembered): stored whole both times.
    expect(fromPack.b?.M?.context).toBeUndefined();
    expect(fromList.b?.M?.context).toBeUndefined();
    const sizes = [fromPack, fromList].map((item) => {
      const value = inlineValuesFrom(item).get('context');
      return value?.kind === 'inline' ? (value.storedLength ?? value.bytes.byteLength) : -1;
    });
    expect(sizes[0]).toBe(sizes[1]);
  });
});

/* ------------------------------------------------------------------------------------------------------ */

describe('DynamoDBSaver deltas, crash safety', () => {
  it('leaves the previous checkpoint readable wherever a chunked delta step stops, and the retry completes', async () => {
    const table = await newTable();
    const faults = injectWriteFaults(client);
    const big = (seed: string) => incompressibleText(seed, 600 * KB);
    const prelude = async (saver: DynamoDBSaver, id: string) => {
      const thread = new Thread(id);
      await thread.step(saver, { context: { ...contextOf(2 * MiB), big: big('a-') }, step: 0 });
      await thread.step(saver, { context: { ...(thread.values.context as object), status: 's1' }, step: 1 });
      return thread;
    };
    /** The step under test: the 600 KB key changes (a chunked delta), then a task writes. */
    const step = async (saver: DynamoDBSaver, thread: Thread) => {
      const config = await thread.step(saver, {
        context: { ...(thread.values.context as object), big: big('b-') },
        step: 2,
      });
      await saver.putWrites(config, [['step', 3]], 'task');
    };
    const normalize = (tuple: CheckpointTuple | undefined) =>
      tuple && { values: tuple.checkpoint.channel_values, writes: tuple.pendingWrites };

    const reference = saverOn(table);
    const referenceThread = await prelude(reference, 'reference');
    const before = normalize(await saverOn(table).getTuple(referenceThread.latest));
    faults.reset();
    await step(reference, referenceThread);
    const total = faults.itemsWritten;
    const after = normalize(await saverOn(table).getTuple(referenceThread.latest));
    expect(total).toBe(Math.ceil((600 * KB) / CHUNK_BYTES) + 2);

    for (let allowed = 0; allowed < total; allowed += 1) {
      const writer = saverOn(table);
      const thread = await prelude(writer, `crash-${allowed}`);
      faults.reset();
      faults.crashAfter(allowed);
      const failure = await step(writer, thread).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error | undefined)?.cause).toBeInstanceOf(SimulatedCrash);
      faults.crashAfter(undefined);

      const seen = normalize(await saverOn(table).getTuple(thread.latest));
      // Before the checkpoint item (the chunks of the delta written or not): the previous checkpoint, whole.
      if (allowed < total - 1) expect(seen).toStrictEqual(before);
      else expect(seen).toStrictEqual({ ...after, writes: [] });

      // Redelivery: a new process reads the latest checkpoint, as LangGraph does, and runs the step again.
      const retry = saverOn(table);
      await retry.getTuple(thread.latest);
      await step(retry, thread);
      expect(normalize(await saverOn(table).getTuple(thread.latest))).toStrictEqual(after);
    }
  }, 120_000);
});
