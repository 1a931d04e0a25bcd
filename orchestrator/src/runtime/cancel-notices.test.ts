import type { CapabilityMessage } from './messages';
import type { RecordingLogger } from './memory/recording-ports';
import { WorkflowSimulation } from './memory/workflow-simulation';
import { simulatedRequestId } from './memory/simulation-request-ids';
import { CrashPlan } from './testing/fault-injection';
import { startExample } from './testing/example-workflows';

/**
 * Issue 11: on cancel, each request the instance awaited gets an ASYNC_CANCELLED notice on its capability's
 * request queue, sent only after the cancel committed (the outbox), at least once.
 */
describe('cancel notices', () => {
  /** The fan-out, waiting on its three branches (nobody replies to them). */
  const waitingOnBranches = async (options: ConstructorParameters<typeof WorkflowSimulation>[0] = {}) => {
    const sim = new WorkflowSimulation({
      mocks: {
        'classify#goods': { reply: false },
        'duty#valuation': { reply: false },
        'licence#check': { reply: false },
      },
      ...options,
    });
    startExample(sim, 'fanout_a_b_c_v1');
    await sim.step(); // START: Task_A's request
    await sim.step(); // its reply: the branches' requests, and nothing due until their deadlines
    const record = await sim.instances.load('inst-1');
    expect(record?.waits.map((w) => w.node).sort()).toEqual(['Task_B1', 'Task_B2', 'Task_B3']);
    return sim;
  };

  it('each open request gets one notice, with the reason, to its capability, after the cancel committed', async () => {
    const statusAtNotice: string[] = [];
    const sim = await waitingOnBranches({
      decorate: (ports) => ({
        ...ports,
        dispatcher: {
          dispatch: async (messages: readonly CapabilityMessage[]) => {
            if (messages.some((m) => m.type === 'ASYNC_CANCELLED')) {
              statusAtNotice.push((await ports.instances.load('inst-1'))?.status ?? 'none');
            }
            return ports.dispatcher.dispatch(messages);
          },
        },
      }),
    });
    const waits = (await sim.instances.load('inst-1'))?.waits ?? [];
    const outcome = await sim.runtime.handle({
      type: 'CANCEL_WORKFLOW',
      instance_id: 'inst-1',
      reason: 'customer withdrew',
    });
    expect(outcome).toEqual({ kind: 'ack' });
    expect(statusAtNotice).toEqual(['CANCELLED']);
    expect(sim.dispatcher.notices.map((n) => n.request_id).sort()).toEqual(
      waits.map((w) => w.request_id).sort(),
    );
    const notice = sim.dispatcher.notices.find((n) => n.node === 'Task_B2');
    expect(notice).toEqual({
      type: 'ASYNC_CANCELLED',
      instance_id: 'inst-1',
      workflow_id: 'fanout_a_b_c_v1',
      node: 'Task_B2',
      request_id: simulatedRequestId('inst-1', 'Task_B2', 1),
      capability_id: 'duty#valuation',
      reason: 'customer withdrew',
      cancelled_at: sim.clock.now().toISOString(),
    });
    const record = await sim.instances.load('inst-1');
    expect(record?.status).toBe('CANCELLED');
    expect(record?.cancel_notices).toBeUndefined();
    expect(sim.metrics.total('CancelNoticesSent')).toBe(3);
    // A second CANCEL sends nothing more.
    await sim.runtime.handle({ type: 'CANCEL_WORKFLOW', instance_id: 'inst-1' });
    expect(sim.dispatcher.notices).toHaveLength(3);
  });

  // The cancel passes: its commit (save n+1), the notices (dispatch n+1), the commit that they left (save n+2).
  it.each([
    ['after', 'save', 1, 'the cancel committed'],
    ['before', 'dispatch', 1, 'the notices left'],
    ['after', 'dispatch', 1, 'the notices left'],
    ['before', 'save', 2, 'their leaving was committed'],
  ] as const)(
    'a process that dies %s %s #n+%i (%s) sends the notices on redelivery: every request told, none left pending',
    async (phase, boundary, offset, _what) => {
      const counter = new CrashPlan(boundary, phase, Number.POSITIVE_INFINITY);
      await waitingOnBranches({ decorate: counter.decorate });
      const plan = new CrashPlan(boundary, phase, counter.passes(boundary) + offset);
      const sim = await waitingOnBranches({ decorate: plan.decorate });
      sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'inst-1' });
      await sim.drain();
      expect([plan.crashed, sim.deaths]).toEqual([true, 1]);
      const record = await sim.instances.load('inst-1');
      expect(record?.status).toBe('CANCELLED');
      expect(record?.cancel_notices).toBeUndefined();
      expect(new Set(sim.dispatcher.notices.map((n) => n.request_id)).size).toBe(3);
      expect(sim.deadLetters).toEqual([]);
    },
  );

  it('a cancel with no request awaited sends no notice', async () => {
    const sim = new WorkflowSimulation();
    startExample(sim, 'import_vn_memphis_v1');
    await sim.drain();
    await sim.runtime.handle({ type: 'CANCEL_WORKFLOW', instance_id: 'inst-1' });
    expect(sim.dispatcher.notices).toEqual([]);
  });

  it('a cancel of an instance that already ended changes nothing and says so in the log', async () => {
    const sim = new WorkflowSimulation();
    startExample(sim, 'import_vn_memphis_v1');
    await sim.drain();
    const outcome = await sim.runtime.handle({
      type: 'CANCEL_WORKFLOW',
      instance_id: 'inst-1',
      reason: 'late',
    });
    expect(outcome).toEqual({ kind: 'ack', note: 'instance already SUCCEEDED' });
    expect((await sim.instances.get('inst-1'))?.status).toBe('SUCCEEDED');
    const lines = (sim.logger as RecordingLogger).lines.filter((l) =>
      l.message.startsWith('CANCEL_WORKFLOW'),
    );
    expect(
      lines.map((l) => [l.level, l.message, l.fields.instance_id, l.fields.status, l.fields.reason]),
    ).toEqual([
      [
        'info',
        'CANCEL_WORKFLOW ignored: the instance already ended SUCCEEDED',
        'inst-1',
        'SUCCEEDED',
        'late',
      ],
    ]);
  });
});
