import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import { INTERRUPT, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import {
  injectWriteFaults,
  SimulatedCrash,
  type WriteFaultInjector,
} from '../../test/support/write-fault-injector';
import { createCheckpointTable } from './create-checkpoint-table';
import { DynamoDBSaver } from './dynamodb-saver';
import { incompressibleText } from './testing/incompressible-text';

/*
 * Crash safety without transactions. A step writes a checkpoint (chunks of a large value, then the
 * checkpoint item) and then the pending writes of two tasks (one with a chunked value). The sequence is
 * run again and again on the real SDK client against dynalite, each time with a middleware that lets N
 * item writes through and then throws, for every N from 0 to the end. After each crash a new saver (a new
 * process) must read either the previous checkpoint, whole, or the new one, whole, with each task's writes
 * all there or all absent; and retrying the step must then succeed.
 */

const TABLE = 'crash-safety';
const CHECKPOINT_A = '1f000000-0000-6000-8000-00000000000a';
const CHECKPOINT_B = '1f000000-0000-6000-8000-00000000000b';

let server: DynaliteServer;
let client: DynamoDBClient;
let faults: WriteFaultInjector;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
  faults = injectWriteFaults(client);
  await createCheckpointTable(client, TABLE);
});

afterAll(async () => {
  await server.close();
});

const large = incompressibleText;

function checkpoint(
  id: string,
  values: Record<string, unknown>,
  versions: Record<string, number>,
): Checkpoint {
  return {
    v: 4,
    id,
    ts: '2025-01-01T00:00:00.000Z',
    channel_values: values,
    channel_versions: versions,
    versions_seen: { node: { ctx: 1 } },
  };
}

const root = (thread: string): RunnableConfig => ({ configurable: { thread_id: thread, checkpoint_ns: '' } });

/** The committed state every run starts from: checkpoint A with a chunked value and pending writes. */
async function prelude(saver: DynamoDBSaver, thread: string): Promise<RunnableConfig> {
  const a = checkpoint(CHECKPOINT_A, { ctx: large('context-', 500_000), step: 1 }, { ctx: 1, step: 1 });
  const configA = await saver.put(
    root(thread),
    a,
    { source: 'input', step: -1, parents: {} },
    { ctx: 1, step: 1 },
  );
  await saver.putWrites(
    configA,
    [
      ['step', 2],
      ['log', 'a done'],
    ],
    'task-a',
  );
  return configA;
}

/** The step under test: checkpoint B (a new chunked value, a new small one, ctx carried), then writes. */
async function step(saver: DynamoDBSaver, configA: RunnableConfig): Promise<void> {
  const b = checkpoint(
    CHECKPOINT_B,
    { ctx: large('context-', 500_000), step: 2, report: large('report-', 1_100_000) },
    { ctx: 1, step: 2, report: 2 },
  );
  const configB = await saver.put(
    configA,
    b,
    { source: 'loop', step: 0, parents: {} },
    { step: 2, report: 2 },
  );
  await saver.putWrites(
    configB,
    [
      ['step', 3],
      ['summary', large('summary-', 700_000)],
    ],
    'task-b1',
    '~0',
  );
  await saver.putWrites(configB, [[INTERRUPT, { value: 'approve?' }]], 'task-b2', '~1');
}

/** The tuple without the thread id, so runs on different threads compare. */
function normalize(tuple: CheckpointTuple | undefined) {
  if (tuple === undefined) return undefined;
  return {
    checkpoint: tuple.checkpoint,
    metadata: tuple.metadata,
    parent: tuple.parentConfig?.configurable?.checkpoint_id as unknown,
    pendingWrites: tuple.pendingWrites,
  };
}

describe('DynamoDBSaver crash safety', () => {
  it('never exposes a partial checkpoint or partial task writes, wherever the write sequence stops', async () => {
    // Reference run without faults: the states a reader may legitimately see, and the step's write count.
    const reference = new DynamoDBSaver({ client, tableName: TABLE });
    const configA = await prelude(reference, 'reference');
    const stateA = normalize(await reference.getTuple(root('reference')));
    faults.reset();
    await step(reference, configA);
    const totalWrites = faults.itemsWritten;
    const stateB = normalize(await reference.getTuple(root('reference')));
    expect(stateB?.pendingWrites).toHaveLength(3);
    expect(totalWrites).toBeGreaterThanOrEqual(8);

    // Every legitimate state: A, or B with any subset of its (atomic) task write sets.
    const bWith = (tasks: string[]) =>
      stateB && { ...stateB, pendingWrites: stateB.pendingWrites?.filter(([task]) => tasks.includes(task)) };
    const legitimate = [stateA, bWith([]), bWith(['task-b1']), bWith(['task-b2']), stateB];

    const seen = new Set<number>();
    for (let allowed = 0; allowed < totalWrites; allowed += 1) {
      const thread = `crash-${allowed}`;
      const writer = new DynamoDBSaver({ client, tableName: TABLE });
      const configAThread = await prelude(writer, thread);

      faults.reset();
      faults.crashAfter(allowed);
      // The saver translates the SDK-level failure at its edge, keeping it as the cause.
      const failure = await step(writer, configAThread).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error | undefined)?.cause).toBeInstanceOf(SimulatedCrash);
      faults.crashAfter(undefined);
      expect(faults.itemsWritten).toBe(allowed);

      // A new process reads the thread: whole A, or whole B with whole task write sets.
      const afterCrash = normalize(
        await new DynamoDBSaver({ client, tableName: TABLE }).getTuple(root(thread)),
      );
      const match = legitimate.findIndex((state) => JSON.stringify(state) === JSON.stringify(afterCrash));
      expect(match).toBeGreaterThanOrEqual(0);
      expect(afterCrash).toEqual(legitimate[match]);
      seen.add(match);
      // Until the checkpoint item of B is written, the previous checkpoint is what a reader sees, whole.
      if (match === 0) expect(afterCrash).toEqual(stateA);

      // Redelivery: the step runs again from scratch in a new process and completes.
      const retry = new DynamoDBSaver({ client, tableName: TABLE });
      await step(retry, configAThread);
      expect(normalize(await retry.getTuple(root(thread)))).toEqual(stateB);
    }
    // The sweep crashed before B's commit point, after it, and between the two tasks' writes.
    expect(seen.has(0)).toBe(true);
    expect(seen.has(1)).toBe(true);
    expect(seen.has(2)).toBe(true);
  }, 30_000);
});
