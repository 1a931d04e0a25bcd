import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Annotation, Command, END, MemorySaver, START, StateGraph, interrupt } from '@langchain/langgraph';
import {
  ERROR,
  INTERRUPT,
  TASKS,
  emptyCheckpoint,
  uuid6,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph-checkpoint';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { scanTable } from '../../test/support/table-items';
import { createCheckpointTable } from './create-checkpoint-table';
import { DynamoDBSaver, type DynamoDBSaverOptions } from './dynamodb-saver';
import { CheckpointConfigError } from './errors';
import { incompressibleText } from './testing/incompressible-text';
import { inlineValuesFrom } from './storage-layout';

let server: DynaliteServer;
let client: DynamoDBClient;
let tableCount = 0;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
});

afterAll(async () => {
  await server.close();
});

async function newSaver(
  options: Partial<DynamoDBSaverOptions> = {},
): Promise<{ saver: DynamoDBSaver; table: string }> {
  tableCount += 1;
  const table = `saver-test-${tableCount}`;
  await createCheckpointTable(client, table);
  return { saver: new DynamoDBSaver({ client, tableName: table, ...options }), table };
}

function checkpointWith(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

const meta = (step: number, source: CheckpointMetadata['source'] = 'loop'): CheckpointMetadata => ({
  source,
  step,
  parents: {},
});

/** The stored envelope of `value`, as the saver's serde writes it (type length, type, payload). */
async function envelopeOf(saver: DynamoDBSaver, value: unknown): Promise<Uint8Array> {
  const [type, payload] = await saver.serde.dumpsTyped(value);
  const typeBytes = Buffer.from(type, 'utf8');
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  return new Uint8Array(Buffer.concat([Buffer.from([typeBytes.length]), typeBytes, bytes]));
}

const threadConfig = (thread_id: string, checkpoint_ns = ''): RunnableConfig => ({
  configurable: { thread_id, checkpoint_ns },
});

describe('DynamoDBSaver', () => {
  it('round-trips checkpoints, metadata and parent links, by id and as the latest', async () => {
    const { saver } = await newSaver();
    const first = checkpointWith({ a: { n: 1 }, b: 'x' }, { a: 1, b: 1 });
    const c1 = await saver.put(threadConfig('t'), first, meta(0, 'input'), { a: 1, b: 1 });
    const second = checkpointWith({ a: { n: 2 }, b: 'x' }, { a: 2, b: 1 });
    const c2 = await saver.put(c1, second, meta(1), { a: 2 });

    const byId = await saver.getTuple(c1);
    expect(byId?.checkpoint).toEqual(first);
    expect(byId?.metadata).toEqual(meta(0, 'input'));
    expect(byId?.parentConfig).toBeUndefined();

    const latest = await saver.getTuple(threadConfig('t'));
    expect(latest?.config).toEqual(c2);
    expect(latest?.checkpoint).toEqual(second);
    expect(latest?.parentConfig).toEqual(c1);
    expect(await saver.getTuple(threadConfig('other'))).toBeUndefined();
  });

  it('stores a value once, by the checkpoint whose newVersions introduced it', async () => {
    const { saver, table } = await newSaver();
    const big = 'context '.repeat(500);
    const c1 = await saver.put(
      threadConfig('t'),
      checkpointWith({ ctx: big, n: 1 }, { ctx: 1, n: 1 }),
      meta(0),
      {
        ctx: 1,
        n: 1,
      },
    );
    const second = checkpointWith({ ctx: big, n: 2 }, { ctx: 1, n: 2 });
    const c2 = await saver.put(c1, second, meta(1), { n: 2 });

    const items = await scanTable(client, table);
    const item2 = items.find((item) => item.SK?.S?.includes(String(c2.configurable?.checkpoint_id)));
    expect([...inlineValuesFrom(item2 ?? {}).keys()]).toEqual(['n']);
    expect(Object.keys(item2?.r?.M ?? {})).toEqual(['ctx']);
    // A fresh saver (no cache, as in a new Lambda) resolves the carried value from the ancestor.
    const fresh = new DynamoDBSaver({ client, tableName: table });
    expect((await fresh.getTuple(c2))?.checkpoint).toEqual(second);
    // ...and carries it on to a third checkpoint without ever having read the second.
    const third = checkpointWith({ ctx: big, n: 3 }, { ctx: 1, n: 3 });
    const c3 = await fresh.put(c2, third, meta(2), { n: 3 });
    expect((await new DynamoDBSaver({ client, tableName: table }).getTuple(c3))?.checkpoint).toEqual(third);
  });

  it('keeps values of channels that had no value out of the checkpoint', async () => {
    const { saver } = await newSaver();
    const c1 = await saver.put(threadConfig('t'), checkpointWith({ a: 1 }, { a: 1, cleared: 1 }), meta(0), {
      a: 1,
      cleared: 1,
    });
    expect((await saver.getTuple(c1))?.checkpoint.channel_values).toEqual({ a: 1 });
  });

  it('returns pending writes in LangGraph order (task path, task id, idx), keeping the task path', async () => {
    const { saver } = await newSaver();
    const c1 = await saver.put(threadConfig('t'), checkpointWith({}, {}), meta(0), {});
    await saver.putWrites(c1, [['x', 'z-late-path']], 'task-a', '~1, 2');
    await saver.putWrites(
      c1,
      [
        ['x', 'b0'],
        ['y', 'b1'],
      ],
      'task-b',
      '~1, 1',
    );
    await saver.putWrites(c1, [['x', 'a0']], 'task-a2', '~1, 1');
    await saver.putWrites(c1, [['x', 'no-path']], 'task-z');
    expect((await saver.getTuple(c1))?.pendingWrites).toEqual([
      ['task-z', 'x', 'no-path'],
      ['task-a2', 'x', 'a0'],
      ['task-b', 'x', 'b0'],
      ['task-b', 'y', 'b1'],
      ['task-a', 'x', 'z-late-path'],
    ]);
  });

  it('inserts regular writes only if absent and upserts calls made only of special writes', async () => {
    const { saver } = await newSaver();
    const c1 = await saver.put(threadConfig('t'), checkpointWith({}, {}), meta(0), {});
    await saver.putWrites(c1, [['x', 'first']], 'task');
    await saver.putWrites(
      c1,
      [
        ['x', 'retried'],
        ['y', 'added'],
      ],
      'task',
    );
    await saver.putWrites(c1, [[ERROR, 'e1']], 'task');
    await saver.putWrites(
      c1,
      [
        [ERROR, 'e2'],
        [INTERRUPT, 'i1'],
      ],
      'task',
    );
    // A mixed call: its special write is insert-if-absent too.
    await saver.putWrites(
      c1,
      [
        [ERROR, 'e3'],
        ['z', 'mixed'],
      ],
      'task',
    );
    expect((await saver.getTuple(c1))?.pendingWrites).toEqual([
      ['task', INTERRUPT, 'i1'],
      ['task', ERROR, 'e2'],
      ['task', 'x', 'first'],
      ['task', 'y', 'added'],
    ]);
  });

  it('rejects writes without a thread id or a checkpoint id with a config error', async () => {
    const { saver } = await newSaver();
    await expect(saver.put({ configurable: {} }, emptyCheckpoint(), meta(0), {})).rejects.toBeInstanceOf(
      CheckpointConfigError,
    );
    await expect(saver.putWrites(threadConfig('t'), [['x', 1]], 'task')).rejects.toMatchObject({
      code: 'CHECKPOINT_CONFIG_INVALID',
      retryable: false,
    });
  });

  it('lists with namespace, before, limit and a metadata filter', async () => {
    const { saver } = await newSaver();
    const ids: string[] = [];
    let config = threadConfig('t');
    for (let step = 0; step < 5; step += 1) {
      const checkpoint = checkpointWith({ step }, { step: step + 1 });
      ids.push(checkpoint.id);
      const metadata: CheckpointMetadata<{ tags: { parity: number } }> = {
        ...meta(step),
        tags: { parity: step % 2 },
      };
      config = await saver.put(config, checkpoint, metadata, { step: step + 1 });
    }
    await saver.put(threadConfig('t', 'child:1'), checkpointWith({}, {}), meta(9), {});

    const list = async (cfg: RunnableConfig, options?: Parameters<DynamoDBSaver['list']>[1]) => {
      const out: CheckpointTuple[] = [];
      for await (const tuple of saver.list(cfg, options)) out.push(tuple);
      return out.map((tuple) => tuple.checkpoint.id);
    };
    const newestFirst = [...ids].reverse();
    expect(await list(threadConfig('t'))).toEqual(newestFirst);
    expect(await list({ configurable: { thread_id: 't' } })).toHaveLength(6);
    expect(await list(threadConfig('t'), { limit: 2 })).toEqual(newestFirst.slice(0, 2));
    expect(await list(threadConfig('t'), { before: { configurable: { checkpoint_id: ids[3] } } })).toEqual(
      newestFirst.slice(2),
    );
    expect(await list(threadConfig('t'), { filter: { tags: { parity: 1 } } })).toEqual([ids[3], ids[1]]);
    expect(await list({ configurable: {} }, { filter: { step: 9 } })).toHaveLength(1);
  });

  it('deleteThread removes every item of the thread in every namespace, and nothing else', async () => {
    const { saver, table } = await newSaver();
    for (const thread of ['doomed', 'kept']) {
      for (const ns of ['', 'child:1', 'child:1|grandchild:2']) {
        const c = await saver.put(
          threadConfig(thread, ns),
          checkpointWith({ big: 'x'.repeat(60_000) }, { big: 1 }),
          meta(0),
          {
            big: 1,
          },
        );
        await saver.putWrites(c, [['x', 'y'.repeat(50_000)]], 'task');
      }
    }
    await saver.deleteThread('doomed');
    const items = await scanTable(client, table);
    expect(items.filter((item) => item.PK?.S?.includes('doomed'))).toEqual([]);
    expect(items.length).toBeGreaterThan(0);
    expect(await saver.getTuple(threadConfig('doomed'))).toBeUndefined();
    expect(await saver.getTuple(threadConfig('kept', 'child:1|grandchild:2'))).toBeDefined();
  });

  it('stores a value compressed when that makes it smaller, and reads it back exactly', async () => {
    const { saver, table } = await newSaver();
    const waits = Array.from({ length: 40 }, (_, i) => ({
      request_id: `inst:Step_${i}:1`,
      node: `Step_${i}`,
    }));
    const noise = incompressibleText('noise', 2_000);
    const stored = await saver.put(
      threadConfig('compressed'),
      checkpointWith({ waits, noise }, { waits: 1, noise: 1 }),
      meta(0),
      { waits: 1, noise: 1 },
    );
    const [item] = await scanTable(client, table);
    const size = (channel: string) => {
      const value = inlineValuesFrom(item ?? {}).get(channel);
      return value?.kind === 'inline' ? (value.storedLength ?? value.bytes.byteLength) : 0;
    };
    expect(size('waits')).toBeLessThan(JSON.stringify(waits).length / 3);
    // Random base64 shrinks only to its entropy, 6 bits a character.
    expect(size('noise')).toBeGreaterThanOrEqual(1_500);
    const tuple = await new DynamoDBSaver({ client, tableName: table }).getTuple(stored);
    expect(tuple?.checkpoint.channel_values).toEqual({ waits, noise });
  });

  it("packs a task's writes into one compressed attribute when that is smaller, and reads them back", async () => {
    const { saver, table } = await newSaver();
    const c1 = await saver.put(threadConfig('packed'), checkpointWith({}, {}), meta(0), {});
    // A fan-out branch's writes: its join channel names every branch runner of the parallel.
    const join = `join:${Array.from({ length: 100 }, (_, i) => `__branch__Fan_Out__B_${i}`).join('+')}:gate`;
    const writes: [string, unknown][] = [
      ['context', { b_1_result: 'done' }],
      ['history', []],
      ['visits', { B_1: 1 }],
      [join, '__branch__Fan_Out__B_1'],
    ];
    await saver.putWrites(c1, writes, 'branch-1', '~__pregel_pull, __branch__Fan_Out__B_1');
    // A later call for the same task merges into the packed item (read, merge, write again).
    await saver.putWrites(c1, [[INTERRUPT, [{ id: 'i', value: { node: 'B_1' } }]]], 'branch-1');
    const [task] = (await scanTable(client, table)).filter((item) => item.SK?.S?.includes('#W#'));
    expect(task?.w).toBeUndefined();
    expect(task?.wp?.B?.byteLength).toBeLessThan(join.length / 4);
    const tuple = await new DynamoDBSaver({ client, tableName: table }).getTuple(c1);
    expect(tuple?.pendingWrites).toEqual([
      ['branch-1', INTERRUPT, [{ id: 'i', value: { node: 'B_1' } }]],
      ...writes.map(([channel, value]) => ['branch-1', channel, value]),
    ]);
  });

  it('keeps one map per write when a value is chunked, and reads items written before packs', async () => {
    const { saver, table } = await newSaver();
    const c1 = await saver.put(threadConfig('listed'), checkpointWith({}, {}), meta(0), {});
    const large = incompressibleText('large', 500_000);
    await saver.putWrites(
      c1,
      [
        ['doc', large],
        ['x', 1],
      ],
      'big-task',
    );
    const items = await scanTable(client, table);
    const big = items.find((item) => item.SK?.S?.endsWith('#W#big-task'));
    expect(big?.wp).toBeUndefined();
    expect(big?.w?.L).toHaveLength(2);
    // An item of the previous layout (no pack), as older code wrote it.
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          PK: { S: 'THREAD#listed' },
          SK: { S: `${big?.SK?.S?.replace('big-task', 'old-task')}` },
          rev: { N: '1' },
          w: { L: [{ M: { i: { N: '0' }, c: { S: 'y' }, x: { B: await envelopeOf(saver, 'old') } } }] },
        },
      }),
    );
    const tuple = await new DynamoDBSaver({ client, tableName: table }).getTuple(c1);
    expect(tuple?.pendingWrites).toEqual([
      ['big-task', 'doc', large],
      ['big-task', 'x', 1],
      ['old-task', 'y', 'old'],
    ]);
  });

  it('stamps every item with the TTL attribute and hides expired checkpoints', async () => {
    const { saver, table } = await newSaver({ ttl: { attributeName: 'ttl', seconds: 3600 } });
    const c1 = await saver.put(
      threadConfig('t'),
      checkpointWith({ big: incompressibleText('ttl', 100_000) }, { big: 1 }),
      meta(0),
      {
        big: 1,
      },
    );
    await saver.putWrites(c1, [['x', 1]], 'task');
    const items = await scanTable(client, table);
    const now = Date.now() / 1000;
    expect(items.length).toBeGreaterThanOrEqual(3);
    for (const item of items) expect(Number(item.ttl?.N)).toBeGreaterThan(now + 3500);

    const { saver: expiring } = await newSaver({ ttl: { attributeName: 'ttl', seconds: 1 } });
    const old = await expiring.put(threadConfig('t'), checkpointWith({}, {}), meta(0), {});
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await expiring.getTuple(old)).toBeUndefined();
  }, 15_000);

  it('stores a carried value again once its origin is older than refreshAfterSeconds', async () => {
    const { saver, table } = await newSaver({
      ttl: { attributeName: 'ttl', seconds: 3600, refreshAfterSeconds: 1 },
    });
    const c1 = await saver.put(
      threadConfig('t'),
      checkpointWith({ ctx: 'c', n: 1 }, { ctx: 1, n: 1 }),
      meta(0),
      {
        ctx: 1,
        n: 1,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const second = checkpointWith({ ctx: 'c', n: 2 }, { ctx: 1, n: 2 });
    const c2 = await saver.put(c1, second, meta(1), { n: 2 });
    const item2 = (await scanTable(client, table)).find((item) =>
      item.SK?.S?.includes(String(c2.configurable?.checkpoint_id)),
    );
    expect([...inlineValuesFrom(item2 ?? {}).keys()].sort()).toEqual(['ctx', 'n']);
    expect((await saver.getTuple(c2))?.checkpoint).toEqual(second);
  }, 15_000);

  it('migrates pending sends of checkpoints older than format 4', async () => {
    const { saver } = await newSaver();
    const c0 = await saver.put(threadConfig('t'), { ...checkpointWith({}, {}), v: 1 }, meta(0), {});
    await saver.putWrites(c0, [[TASKS, 'send-2']], 'task-2');
    await saver.putWrites(c0, [[TASKS, 'send-1']], 'task-1');
    const c1 = await saver.put(c0, { ...checkpointWith({}, { a: 3 }), v: 1 }, meta(1), {});
    const tuple = await saver.getTuple(c1);
    expect(tuple?.checkpoint.channel_values[TASKS]).toEqual(['send-1', 'send-2']);
    expect(tuple?.checkpoint.channel_versions[TASKS]).toBe(3);
  });

  it.each(['sync', 'async', 'exit'] as const)(
    'runs a graph with a subgraph interrupt like MemorySaver, resumed by another instance (durability %s)',
    async (durability) => {
      const { table } = await newSaver();
      const State = Annotation.Root({
        log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
        approval: Annotation<string | null>({ reducer: (_, b) => b, default: () => null }),
      });
      const review = new StateGraph(State)
        .addNode('check', () => ({ log: ['checked'] }))
        .addNode('approve', () => ({ approval: interrupt<string, string>('approve?'), log: ['asked'] }))
        .addEdge(START, 'check')
        .addEdge('check', 'approve')
        .addEdge('approve', END)
        .compile();
      const build = () =>
        new StateGraph(State)
          .addNode('prepare', () => ({ log: ['prepared'] }))
          .addNode('review', review)
          .addNode('finish', (state) => ({ log: [`finished:${state.approval}`] }))
          .addEdge(START, 'prepare')
          .addEdge('prepare', 'review')
          .addEdge('review', 'finish')
          .addEdge('finish', END);

      const runWith = async (first: DynamoDBSaver | MemorySaver, second: DynamoDBSaver | MemorySaver) => {
        const config = { configurable: { thread_id: `graph-${durability}` }, durability };
        await build()
          .compile({ checkpointer: first })
          .invoke({ log: ['start'] }, config);
        const graph = build().compile({ checkpointer: second });
        const result = await graph.invoke(new Command({ resume: 'yes' }), config);
        const history: { values: unknown; next: readonly string[] }[] = [];
        for await (const snapshot of graph.getStateHistory(config)) {
          const values: unknown = snapshot.values;
          history.push({ values, next: snapshot.next });
        }
        return { result, history };
      };
      const dynamo = await runWith(
        new DynamoDBSaver({ client, tableName: table }),
        new DynamoDBSaver({ client, tableName: table }),
      );
      const memory = new MemorySaver();
      expect(dynamo).toEqual(await runWith(memory, memory));
      // (The subgraph hands back its whole state, so the parent's reducer sees `log` twice: LangGraph's doing.)
      expect(dynamo.result.log.slice(-3)).toEqual(['checked', 'asked', 'finished:yes']);
      expect(dynamo.history.length).toBeGreaterThan(durability === 'exit' ? 1 : 4);
    },
  );
});
