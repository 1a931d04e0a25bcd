import { INSTANCE, MINUTE, SECOND, T0, at, steps } from '../graph/testing/run-inline-workflow';
import type { RecordingLogger } from './memory/recording-ports';
import { simulatedRequestId } from './memory/simulation-request-ids';
import { WorkflowSimulation, type SimulationOptions } from './memory/workflow-simulation';
import { CrashPlan } from './testing/fault-injection';

/**
 * A worker that dies holding an instance's lease keeps it for the lease's length (2 minutes by default).
 * A reply arriving meanwhile can only be deferred; if its wait's deadline passes meanwhile too, the timer
 * and the reply both come back once the lease runs out, and whichever takes the lease first wins. Before
 * parking, the timer often did, and a crash turned an on-time reply into a TIMEOUT.
 */
const QUOTES = `
workflow_name: carrier quotes
workflow_id: carrier_quotes_v1
entry_point: Quotes
nodes:
  Quotes:
    type: parallel
    branches: [Ask_Road, Ask_Rail]
    join: Done
    on_failure: Failed
  Ask_Road:
    type: async_request
    capability_id: 'road#quote'
    request_output_keys: [road]
    on_response: Done
  Ask_Rail:
    type: async_request
    capability_id: 'rail#quote'
    request_output_keys: [rail]
    on_response: Done
    timeout: 90s
  Done:
    type: end
    output_keys: [road, rail]
  Failed:
    type: end
    status: FAILED
`;

const RAIL = simulatedRequestId(INSTANCE, 'Ask_Rail', 1);

function quotes(options: SimulationOptions, yaml = QUOTES): WorkflowSimulation {
  const sim = new WorkflowSimulation({
    mocks: { 'road#quote': { delay: '30s' }, 'rail#quote': { delay: '1m' } },
    ...options,
  });
  sim.definitions.put('carrier_quotes_v1.yaml', yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: 'carrier_quotes_v1', instance_id: INSTANCE, context: {} });
  return sim;
}

/** How many commits the START makes, so a plan can kill the process at the next one (the road reply's). */
async function savesOfStart(): Promise<number> {
  const counter = new CrashPlan('save', 'before', Number.POSITIVE_INFINITY);
  const sim = quotes({ decorate: counter.decorate });
  await sim.step();
  return counter.passes('save');
}

/** Delivers everything due before `ms` after the start (the clock stops at the first event after it). */
async function runUntil(sim: WorkflowSimulation, ms: number): Promise<void> {
  const before = (time: number) => time < T0 + ms;
  while (
    sim.pending().some((d) => before(d.at)) ||
    sim.timers.scheduled.some((t) => before(Date.parse(t.fire_at)))
  ) {
    await sim.step();
  }
}

const messages = (sim: WorkflowSimulation) => (sim.logger as RecordingLogger).lines.map((l) => l.message);

describe('a reply that arrives while a dead worker holds the lease', () => {
  it('is applied by its timer if the timer takes the lease first: the crash does not turn it into a timeout', async () => {
    // The process dies applying the road reply at 30 s, before its commit, keeping the lease to 2:30.
    const plan = new CrashPlan('save', 'before', (await savesOfStart()) + 1);
    const sim = quotes({ decorate: plan.decorate });
    await runUntil(sim, 150 * SECOND);
    expect([plan.crashed, sim.deaths]).toEqual([true, 1]);
    // The rail reply came at 1:00, its deadline passed at 1:30: both wait for the lease. The timer is
    // taken first (SQS keeps no order between the two queues).
    expect(sim.instances.parkedCount()).toBe(2);
    sim.postpone((d) => d.message.type === 'ASYNC_RESP', 10 * SECOND);
    await sim.drain();

    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('SUCCEEDED');
    expect(Object.keys(record?.context ?? {}).sort()).toEqual(['rail', 'road']);
    expect(record && steps(record)).toEqual(
      expect.arrayContaining([
        ['Ask_Rail', 'SUCCEEDED'],
        ['Ask_Road', 'SUCCEEDED'],
      ]),
    );
    const rail = record?.history.find((h) => h.node === 'Ask_Rail');
    // Applied by the timer once the lease ran out at 2:30, before the postponed replies came back at 2:41.
    const appliedAt = Date.parse(rail?.ended_at ?? '') - T0;
    expect(appliedAt).toBeGreaterThanOrEqual(2 * MINUTE + 30 * SECOND);
    expect(appliedAt).toBeLessThan(2 * MINUTE + 41 * SECOND);
    expect(messages(sim)).toContain('timer applies the reply parked behind a dead lease, not the timeout');
    expect(messages(sim)).not.toContain('wait timed out');
    // The rail reply's own delivery came after and found its wait answered.
    expect(sim.metrics.total('DuplicateReplies')).toBe(1);
    expect(sim.deadLetters).toEqual([]);
  });

  it('is never parked behind a live holder: a busy fan-out writes nothing more', async () => {
    const sim = quotes({ mocks: false });
    await sim.step();
    const reply = (node: string, key: string) => ({
      type: 'ASYNC_RESP' as const,
      instance_id: INSTANCE,
      request_id: simulatedRequestId(INSTANCE, node, 1),
      status: 'SUCCESS' as const,
      outputs: { [key]: 1 },
    });
    const outcomes = await Promise.all([
      sim.runtime.handle(reply('Ask_Road', 'road')),
      sim.runtime.handle(reply('Ask_Rail', 'rail')),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['ack', 'defer']);
    expect(sim.instances.parkedCount()).toBe(0);
  });

  it('is applied by the timer only from a sender the deployment allows for its domain', async () => {
    const plan = new CrashPlan('save', 'before', (await savesOfStart()) + 1);
    const sim = quotes({
      decorate: plan.decorate,
      replySenders: { byDomain: { road: ['AROAROADTEAM'], rail: ['AROARAILTEAM'] } },
      // Every mock reply comes from the road team's role: the rail reply is not the rail team's.
      mockSenderId: 'AROAROADTEAM:quotes',
    });
    await runUntil(sim, 150 * SECOND);
    expect(sim.instances.parkedCount()).toBe(2);
    sim.postpone((d) => d.message.type === 'ASYNC_RESP', 10 * SECOND);
    await sim.drain();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('FAILED');
    expect(record?.history.find((h) => h.node === 'Ask_Rail')?.status).toBe('TIMED_OUT');
    expect(messages(sim)).toContain('wait timed out');
  });

  it.each([
    ['2 hours before the deadline: ignored, the wait times out', 0, 'TIMED_OUT'],
    ['a minute before the deadline: applied', 2 * 60 * MINUTE - MINUTE, 'SUCCEEDED'],
  ])('parked %s', async (_, parkedAtMs, railStatus) => {
    // A reply parked long before its timer is not the race parking guards against: its own delivery
    // must have failed since (or it would have closed the wait), and applying it could fail again.
    const long = QUOTES.replace('timeout: 90s', 'timeout: 2h');
    expect(long).not.toBe(QUOTES);
    const sim = quotes({ mocks: { 'road#quote': {}, 'rail#quote': { reply: false } } }, long);
    await sim.step();
    await sim.instances.parkReply(INSTANCE, {
      message: {
        type: 'ASYNC_RESP',
        instance_id: INSTANCE,
        request_id: RAIL,
        status: 'SUCCESS',
        outputs: { rail: 'parked' },
      },
      delivery: {},
      parked_at: at(parkedAtMs),
    });
    await sim.drain();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.history.find((h) => h.node === 'Ask_Rail')?.status).toBe(railStatus);
    expect(record?.context.rail).toBe(railStatus === 'SUCCEEDED' ? 'parked' : undefined);
  });
});
