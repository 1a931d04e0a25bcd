import type { RunnableConfig } from '@langchain/core/runnables';
import { MemorySaver, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph';
import type { PendingWrite } from '@langchain/langgraph-checkpoint';
import { INSTANCE, startInlineWorkflow } from '../graph/testing/run-inline-workflow';

/**
 * Issue 10: a branch reply costs the same whatever the number of branches still waiting. LangGraph re-runs
 * every interrupted task of a superstep on a resume; branch runners the reply is not for re-raise their
 * interrupts instead (no subgraph read, no run), and the checkpointer writes nothing they did not change.
 */

/** A MemorySaver that counts what the engine asks of it, per namespace. */
class CountingSaver extends MemorySaver {
  readonly reads: string[] = [];
  readonly checkpointsPut: string[] = [];
  readonly writesPut: string[] = [];

  override getTuple(config: RunnableConfig) {
    this.reads.push(namespaceOf(config));
    return super.getTuple(config);
  }

  override put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
    this.checkpointsPut.push(namespaceOf(config));
    return super.put(config, checkpoint, metadata);
  }

  override putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string) {
    this.writesPut.push(namespaceOf(config));
    return super.putWrites(config, writes, taskId);
  }

  reset() {
    this.reads.length = 0;
    this.checkpointsPut.length = 0;
    this.writesPut.length = 0;
  }
}

const namespaceOf = (config: RunnableConfig) =>
  (config.configurable?.checkpoint_ns as string | undefined) ?? '';

/** Prepare, then `width` one-request branches, joined by File. Branch B_i replies after i minutes. */
const FAN_OUT = (width: number) => {
  const names = Array.from({ length: width }, (_, i) => `B_${String(i + 1).padStart(3, '0')}`);
  return `
workflow_name: fan-out
workflow_id: fan_out_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [${names.join(', ')}]
    join: File
${names
  .map(
    (name) => `  ${name}:
    type: async_request
    capability_id: 'branch#${name.toLowerCase()}'
    request_output_keys: [${name.toLowerCase()}]
    on_response: File
    timeout: 1h
`,
  )
  .join('')}  File:
    type: end
`;
};

const MINUTE = 60_000;

/** Runs the fan-out and returns, for each branch reply, what the checkpointer was asked. */
async function perReply(width: number) {
  const saver = new CountingSaver();
  const mocks = Object.fromEntries(
    Array.from({ length: width }, (_, i) => [
      `branch#b_${String(i + 1).padStart(3, '0')}`,
      { delay: `${i + 1}m` },
    ]),
  );
  const sim = startInlineWorkflow(FAN_OUT(width), { checkpointer: saver, mocks });
  await sim.step(); // START: every branch sends its request
  const replies: { reads: string[]; checkpointsPut: string[]; writesPut: string[] }[] = [];
  for (let i = 0; i < width; i++) {
    saver.reset();
    const due = sim.pending().filter((d) => d.message.type === 'ASYNC_RESP');
    expect(due.length).toBeGreaterThan(0);
    await sim.step();
    replies.push({
      reads: [...saver.reads],
      checkpointsPut: [...saver.checkpointsPut],
      writesPut: [...saver.writesPut],
    });
  }
  const record = await sim.instances.get(INSTANCE);
  return { replies, record, sim };
}

describe('a branch reply costs the same at any fan-out width', () => {
  it('the first reply of 3 and of 30 branches reads and writes the same', async () => {
    const narrow = await perReply(3);
    const wide = await perReply(30);
    expect(narrow.record?.status).toBe('SUCCEEDED');
    expect(wide.record?.status).toBe('SUCCEEDED');
    expect(Object.keys(wide.record?.context ?? {})).toHaveLength(30);

    const first = (run: typeof narrow) => run.replies[0];
    const shape = (r: { reads: string[]; checkpointsPut: string[]; writesPut: string[] }) => ({
      reads: r.reads.length,
      checkpointsPut: r.checkpointsPut.length,
      writesPut: r.writesPut.length,
    });
    expect(shape(first(wide)!)).toEqual(shape(first(narrow)!));
    // Every reply but the last (which completes the superstep) is the same work at width 30.
    const middle = wide.replies.slice(0, -1).map(shape);
    expect(new Set(middle.map((s) => JSON.stringify(s))).size).toBe(1);
  });

  it('a reply reads only the top level and the branch it answers', async () => {
    const { replies } = await perReply(10);
    replies.slice(0, -1).forEach((reply, i) => {
      const branch = `B_${String(i + 1).padStart(3, '0')}`;
      const namespaces = new Set(reply.reads.map((ns) => ns.split(':')[0]));
      expect([...namespaces].sort()).toEqual(['', `__branch__Split__${branch}`]);
      // Once: the state after the resume comes from the copy read before it and the writes made since
      // (the top-level checkpoint's pending writes grow with the branches done and waiting).
      expect(reply.reads.filter((ns) => ns === '')).toHaveLength(1);
    });
  });

  it('waiting branches keep their waits: the record lists the ones not yet answered', async () => {
    const width = 6;
    const saver = new CountingSaver();
    const mocks = Object.fromEntries(
      Array.from({ length: width }, (_, i) => [`branch#b_00${i + 1}`, { delay: `${i + 1}m` }]),
    );
    const sim = startInlineWorkflow(FAN_OUT(width), { checkpointer: saver, mocks });
    await sim.step();
    for (let answered = 1; answered < width; answered++) {
      await sim.step();
      const record = await sim.instances.get(INSTANCE);
      expect(record?.status).toBe('WAITING');
      expect(record?.waits.map((w) => w.node)).toEqual(
        Array.from({ length: width - answered }, (_, i) => `B_00${answered + i + 1}`),
      );
      expect(sim.clock.now().getTime() - Date.parse(record?.created_at ?? '')).toBe(answered * MINUTE);
    }
    await sim.drain();
    expect((await sim.instances.get(INSTANCE))?.status).toBe('SUCCEEDED');
  });
});
