import { INSTANCE, MINUTE, SECOND, T0 } from '../graph/testing/run-inline-workflow';
import type { RecordingLogger } from './memory/recording-ports';
import { WorkflowSimulation } from './memory/workflow-simulation';
import { CrashPlan } from './testing/fault-injection';

/**
 * A worker that dies after committing a wait and before sending its request keeps the lease (2 minutes by
 * default); the next worker sends the request only then. A timeout counted from the wait's recording
 * would leave the capability what is left of it, often nothing: the crash, not the capability, would
 * decide the outcome. Seen with real SIGKILLed workers: a 90 s timeout, its request sent 2 minutes late,
 * timed out a second after.
 */
const QUOTE = `
workflow_name: freight quote
workflow_id: freight_quote_v1
entry_point: Ask_Sea
nodes:
  Ask_Sea:
    type: async_request
    capability_id: 'sea#quote'
    request_output_keys: [sea]
    on_response: Done
    timeout: 90s
    on_timeout: Too_Slow
  Done:
    type: end
    output_keys: [sea]
  Too_Slow:
    type: end
    status: FAILED
`;

function quote(plan: CrashPlan, replyAfter: string): WorkflowSimulation {
  const sim = new WorkflowSimulation({
    decorate: plan.decorate,
    mocks: { 'sea#quote': { delay: replyAfter } },
  });
  sim.definitions.put('freight_quote_v1.yaml', QUOTE);
  sim.send({ type: 'START_WORKFLOW', workflow_id: 'freight_quote_v1', instance_id: INSTANCE, context: {} });
  return sim;
}

const lateLines = (sim: WorkflowSimulation) =>
  (sim.logger as RecordingLogger).lines.filter((l) => l.message.startsWith('request sent late'));

describe('a request sent late because a worker died before sending it', () => {
  it('gets its whole timeout from when it is sent: a reply 60 s after the send is applied', async () => {
    // The process dies after the START's commit, before the request leaves.
    const plan = new CrashPlan('dispatch', 'before', 1);
    const sim = quote(plan, '60s');
    await sim.drain();
    expect([plan.crashed, sim.deaths]).toEqual([true, 1]);

    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('SUCCEEDED');
    const ask = record?.history.find((h) => h.node === 'Ask_Sea');
    expect(ask?.status).toBe('SUCCEEDED');
    // Sent once the dead worker's lease ran out (2 minutes), answered a minute later: past the 90 s the
    // wait was recorded with, within 90 s of the send.
    const answeredMs = Date.parse(ask?.ended_at ?? '') - T0;
    expect(answeredMs).toBeGreaterThan(3 * MINUTE);
    expect(answeredMs).toBeLessThan(3 * MINUTE + 30 * SECOND);
    const [line] = lateLines(sim);
    expect(lateLines(sim)).toHaveLength(1);
    expect(line?.fields).toMatchObject({
      node: 'Ask_Sea',
      deadline: new Date(T0 + 90 * SECOND).toISOString(),
    });
    const timerAt = Date.parse(String(line?.fields.timer_at)) - T0;
    expect(timerAt).toBeGreaterThan(3 * MINUTE + 30 * SECOND);
  });

  it('still times out once that whole timeout has passed without a reply', async () => {
    const plan = new CrashPlan('dispatch', 'before', 1);
    const sim = quote(plan, '10m');
    await sim.drain();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('FAILED');
    const ask = record?.history.find((h) => h.node === 'Ask_Sea');
    expect(ask?.status).toBe('TIMED_OUT');
    // 90 s after the late send, not 90 s after the wait was recorded.
    expect(Date.parse(ask?.ended_at ?? '') - T0).toBeGreaterThan(3 * MINUTE + 30 * SECOND);
  });

  it('on time, the timer keeps the deadline and nothing is said', async () => {
    const plan = new CrashPlan('dispatch', 'before', Number.POSITIVE_INFINITY);
    const sim = quote(plan, '10m');
    await sim.drain();
    const ask = (await sim.instances.get(INSTANCE))?.history.find((h) => h.node === 'Ask_Sea');
    expect(ask?.ended_at).toBe(new Date(T0 + 90 * SECOND).toISOString());
    expect(lateLines(sim)).toEqual([]);
  });
});
