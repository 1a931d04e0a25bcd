import { WorkflowSimulation, type Delivery, type SimulationPorts } from './memory/workflow-simulation';
import { simulatedRequestId } from './memory/simulation-request-ids';
import { startExample } from './testing/example-workflows';
import type { AsyncResponse } from './messages';

/**
 * Replies of one instance handed over together (a fan-out's branches answering in one SQS batch) are
 * applied under one lease, in one graph run and one commit, with the outcome each would have had alone.
 */

/** Counts what the runtime asks of the instance store. */
function countingStore(counts: Map<string, number>) {
  return (ports: SimulationPorts): SimulationPorts => ({
    ...ports,
    instances: new Proxy(ports.instances, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          counts.set(String(key), (counts.get(String(key)) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }),
  });
}

async function runFanOut(repliesTogether: boolean) {
  const counts = new Map<string, number>();
  const sim = new WorkflowSimulation({ repliesTogether, decorate: countingStore(counts) });
  startExample(sim, 'fanout_a_b_c_v1');
  await sim.drain();
  const record = await sim.instances.get('inst-1');
  return { sim, record, counts };
}

const reply = (node: string, outputs: Record<string, string>, visit = 1): AsyncResponse => ({
  type: 'ASYNC_RESP',
  instance_id: 'inst-1',
  request_id: simulatedRequestId('inst-1', node, visit),
  status: 'SUCCESS',
  outputs,
});

/**
 * Runs the fan-out until its three branches wait (nobody replies; no timer is let fire), then returns the
 * simulation.
 */
async function fanOutWaiting() {
  const sim = new WorkflowSimulation({ mocks: false, repliesTogether: true });
  startExample(sim, 'fanout_a_b_c_v1');
  await sim.step();
  sim.send(reply('Task_A', { a_result: 'a' }));
  await sim.step();
  expect((await sim.instances.get('inst-1'))?.waits.map((w) => w.node).sort()).toEqual([
    'Task_B1',
    'Task_B2',
    'Task_B3',
  ]);
  return sim;
}

const delivery = (message: AsyncResponse, id: string): Delivery => ({
  id,
  message,
  at: 0,
  receives: 1,
});

describe('replies applied together', () => {
  it('a fan-out whose three branches answer at once: one lease and one commit for the three, the same steps as one at a time', async () => {
    const alone = await runFanOut(false);
    const together = await runFanOut(true);

    expect(together.sim.together).toEqual({ sizes: [3], failed: 0 });
    expect(together.record?.status).toBe('SUCCEEDED');
    expect(together.record?.context).toEqual(alone.record?.context);
    const steps = (r: typeof alone) => r.record?.history.map((h) => `${h.node}:${h.status}`).sort();
    expect(steps(together)).toEqual(steps(alone));
    // START, A's reply, the three B replies, C's reply: 6 messages, 4 handovers when the Bs go together.
    expect(alone.counts.get('acquireLease')).toBe(6);
    expect(together.counts.get('acquireLease')).toBe(4);
    expect(together.counts.get('save') ?? 0).toBeLessThan(alone.counts.get('save') ?? 0);
    expect(together.sim.dispatcher.sent.filter((r) => r.node === 'Task_C')).toHaveLength(1);
  });

  it('a duplicate and a forged reply in the same batch: the duplicate is acknowledged, the forged one refused, the rest applied once', async () => {
    const sim = await fanOutWaiting();
    const b1 = reply('Task_B1', { b1_result: 'one' });
    const forged: AsyncResponse = {
      ...reply('Task_B2', { b2_result: 'x' }),
      request_id: 'inst-1:Task_B2:1:forged',
    };
    const outcomes = await sim.runtime.handleReplies([
      { message: b1, messageId: 'm1' },
      { message: b1, messageId: 'm2' },
      { message: forged, messageId: 'm3' },
      { message: reply('Task_B3', { b3_result: 'three' }), messageId: 'm4' },
    ]);
    expect(outcomes).toEqual([
      { kind: 'ack' },
      { kind: 'ack', note: 'duplicate' },
      { kind: 'reject', reason: expect.stringContaining('reply refused') as unknown },
      { kind: 'ack' },
    ]);
    const record = await sim.instances.get('inst-1');
    expect(record?.waits.map((w) => w.node)).toEqual(['Task_B2']);
    expect(record?.context).toMatchObject({ b1_result: 'one', b3_result: 'three' });
    expect(sim.metrics.points.filter((p) => p.name === 'DuplicateReplies')).toHaveLength(1);

    await sim.deliverReplies([delivery(reply('Task_B2', { b2_result: 'two' }), 'm5')]);
    const after = await sim.instances.get('inst-1');
    expect(after?.waits.map((w) => w.node)).toEqual(['Task_C']);
    expect(after?.context).toMatchObject({ b1_result: 'one', b2_result: 'two', b3_result: 'three' });
  });

  it("a branch's FAILURE and a sibling's SUCCESS in one batch: applied one at a time, in their order, so the sibling's reply is stale", async () => {
    const sim = await fanOutWaiting();
    const failure: AsyncResponse = {
      type: 'ASYNC_RESP',
      instance_id: 'inst-1',
      request_id: simulatedRequestId('inst-1', 'Task_B1', 1),
      status: 'FAILURE',
      error: { code: 'CLASSIFY_DOWN', message: 'classifier unavailable' },
    };
    await sim.deliverReplies([
      delivery(failure, 'm1'),
      delivery(reply('Task_B2', { b2_result: 'two' }), 'm2'),
    ]);
    const record = await sim.instances.get('inst-1');
    // Together, both replies would count: an outcome no order of the two gives. The run is not
    // committed, and each is applied on its own.
    expect(sim.together).toEqual({ sizes: [2], failed: 1 });
    expect(record?.status).toBe('FAILED');
    expect(record?.error).toMatchObject({ code: 'CLASSIFY_DOWN', node: 'Task_B1' });
    const ofB = record?.history
      .filter((h) => h.node.startsWith('Task_B'))
      .map((h) => `${h.node}:${h.status}`);
    expect(ofB?.sort()).toEqual(['Task_B1:FAILED', 'Task_B2:CANCELLED', 'Task_B3:CANCELLED']);
    expect(record?.context).not.toHaveProperty('b2_result');
    expect(sim.metrics.points.filter((p) => p.name === 'StaleReplies')).toHaveLength(1);
    expect(sim.dispatcher.sent.filter((r) => r.node === 'Task_C')).toHaveLength(0);
  });

  it('two FAILURE replies of sibling branches together: one fails the parallel, the other is stale, as one at a time', async () => {
    const sim = await fanOutWaiting();
    const failure = (node: string): AsyncResponse => ({
      type: 'ASYNC_RESP',
      instance_id: 'inst-1',
      request_id: simulatedRequestId('inst-1', node, 1),
      status: 'FAILURE',
      error: { code: 'DOWN', message: `${node} unavailable` },
    });
    const outcomes = await sim.runtime
      .handleReplies([{ message: failure('Task_B1') }, { message: failure('Task_B3') }])
      .then(
        () => 'applied',
        (error: unknown) => (error as { code?: string }).code,
      );
    expect(outcomes).toBe('REPLIES_STOP_PARALLEL');
    // Nothing of that run was committed: both waits are still open.
    expect((await sim.instances.get('inst-1'))?.waits.map((w) => w.node).sort()).toEqual([
      'Task_B1',
      'Task_B2',
      'Task_B3',
    ]);
    await sim.deliverReplies([delivery(failure('Task_B1'), 'm1'), delivery(failure('Task_B3'), 'm2')]);
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('FAILED');
    expect(record?.error).toMatchObject({ node: 'Task_B1' });
    const ofB = record?.history
      .filter((h) => h.node.startsWith('Task_B'))
      .map((h) => `${h.node}:${h.status}`);
    expect(ofB?.sort()).toEqual(['Task_B1:FAILED', 'Task_B2:CANCELLED', 'Task_B3:CANCELLED']);
    expect(sim.metrics.points.filter((p) => p.name === 'StaleReplies')).toHaveLength(1);
  });

  it('a reply that cannot be applied does not hold the others back: applied together first, then each on its own', async () => {
    const sim = await fanOutWaiting();
    const runtime = sim.runtime;
    const original = runtime.handleReplies.bind(runtime);
    let calls = 0;
    runtime.handleReplies = async (replies) => {
      calls++;
      if (replies.length > 1) throw new Error('a fault while applying them together');
      return original(replies);
    };
    await sim.deliverReplies([
      delivery(reply('Task_B1', { b1_result: 'one' }), 'm1'),
      delivery(reply('Task_B2', { b2_result: 'two' }), 'm2'),
      delivery(reply('Task_B3', { b3_result: 'three' }), 'm3'),
    ]);
    expect(calls).toBe(1);
    expect(sim.together.failed).toBe(1);
    expect(sim.deadLetters).toEqual([]);
    const record = await sim.instances.get('inst-1');
    expect(record?.waits.map((w) => w.node)).toEqual(['Task_C']);
  });
});
