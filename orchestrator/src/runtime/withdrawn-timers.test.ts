import {
  INSTANCE,
  requestId,
  startInlineWorkflow,
  type InlineWorkflowOptions,
} from '../graph/testing/run-inline-workflow';
import { WithdrawableTimerScheduler, type RecordingLogger } from './memory/recording-ports';

/**
 * Issue 10: a timer whose wait closed is withdrawn where the timer adapter can (EventBridge Scheduler's
 * schedules are deleted for nothing; a delayed SQS message cannot be), so a reply's deadline that is never
 * reached costs no delivery at all.
 */
const TWO_STEPS = `
workflow_name: two steps
workflow_id: two_steps_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'ask#op'
    request_output_keys: [asked]
    on_response: Check
    timeout: 2h
  Check:
    type: async_request
    capability_id: 'check#op'
    request_output_keys: [checked]
    on_response: Done
    timeout: 30m
  Done: { type: end }
`;

function start(mocks: InlineWorkflowOptions['mocks'], withdrawable = true) {
  const sim = startInlineWorkflow(TWO_STEPS, { mocks, withdrawableTimers: withdrawable });
  return sim;
}

describe('timers withdrawn when their wait closes', () => {
  it('each answered request withdraws its deadline, and no timer is delivered', async () => {
    const sim = start({ 'ask#op': { delay: '1m' }, 'check#op': { delay: '2m' } });
    await sim.drain();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('SUCCEEDED');
    const timers = sim.timers as WithdrawableTimerScheduler;
    expect(timers.cancelled.map((t) => t.request_id)).toEqual([requestId('Ask'), requestId('Check')]);
    expect(timers.cancelled.map((t) => t.fire_at)).toEqual(
      timers.cancelled
        .map((t) => record?.history.find((h) => t.request_id.includes(`:${h.node}:`))?.started_at)
        .map((since, i) => new Date(Date.parse(since ?? '') + (i === 0 ? 2 : 0.5) * 3_600_000).toISOString()),
    );
    expect(timers.scheduled).toEqual([]);
    expect((sim.logger as RecordingLogger).lines.filter((l) => l.message.includes('timer'))).toEqual([]);
  });

  it('a deadline that is reached fires and is not withdrawn', async () => {
    const sim = start({ 'ask#op': { delay: '3h' } });
    await sim.drain();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('FAILED');
    expect(record?.error?.code).toBe('TIMEOUT');
    expect((sim.timers as WithdrawableTimerScheduler).cancelled).toEqual([]);
  });

  it('a cancelled instance withdraws the timers of its open waits', async () => {
    const sim = start(false);
    await sim.step();
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: INSTANCE, reason: 'no longer needed' });
    await sim.step();
    expect((await sim.instances.get(INSTANCE))?.status).toBe('CANCELLED');
    const timers = sim.timers as WithdrawableTimerScheduler;
    expect(timers.cancelled.map((t) => t.request_id)).toEqual([requestId('Ask')]);
    expect(timers.scheduled).toEqual([]);
  });

  it('with timers that cannot be withdrawn (SQS delays), the deadline still arrives and is dropped', async () => {
    const sim = start({ 'ask#op': { delay: '1m' }, 'check#op': { delay: '2m' } }, false);
    await sim.drain();
    expect((await sim.instances.get(INSTANCE))?.status).toBe('SUCCEEDED');
    expect(sim.timers).not.toBeInstanceOf(WithdrawableTimerScheduler);
    expect(sim.metrics.points.filter((p) => p.name === 'WorkflowsSucceeded')).toHaveLength(1);
  });
});
