import {
  INSTANCE,
  recordOf,
  requestId,
  sendSuccessReply,
  startInlineWorkflow,
} from '../graph/testing/run-inline-workflow';
import type { WaitView } from './instance-record';
import type { RecordingLogger } from './memory/recording-ports';
import type { WorkflowSimulation } from './memory/workflow-simulation';

/**
 * A wait the status record lists that the graph no longer holds, with nothing that answered it, is an
 * engine defect that would stop an instance without a word (a map's waits dropped in a nested parallel
 * was one). No path of today's engine leaves one, so the test plants it: a commit that lists a wait the
 * graph never had, as such a defect would leave the record.
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
  Check:
    type: async_request
    capability_id: 'check#op'
    request_output_keys: [checked]
    on_response: Done
  Done: { type: end }
`;

const GHOST: WaitView = {
  request_id: requestId('Ghost'),
  node: 'Ghost',
  capability_id: 'ghost#op',
  since: '2026-01-01T00:00:00.000Z',
  deadline: null,
};

/** Commits the record as it is, plus a wait the graph does not hold. */
async function plantLostWait(sim: WorkflowSimulation): Promise<void> {
  const stored = await sim.instances.load(INSTANCE);
  const lease = await sim.instances.acquireLease(INSTANCE, 60_000);
  if (!stored || !lease) throw new Error('no record, or its lease is held');
  await sim.instances.save(
    { ...stored, version: (stored.version ?? 1) + 1, waits: [...stored.waits, GHOST] },
    lease,
  );
  await sim.instances.releaseLease(lease);
}

const vanishedLines = (sim: WorkflowSimulation) =>
  (sim.logger as RecordingLogger).lines.filter((l) => l.message.startsWith('wait vanished'));

describe('a wait the graph lost', () => {
  it('is logged as an error and counted when the next message reconciles, and the rest goes on', async () => {
    const sim = startInlineWorkflow(TWO_STEPS, { mocks: false });
    await sim.drain();
    expect((await recordOf(sim)).waits.map((w) => w.node)).toEqual(['Ask']);
    await plantLostWait(sim);

    sendSuccessReply(sim, requestId('Ask'), { asked: 1 });
    await sim.drain();

    const record = await recordOf(sim);
    expect(record.status).toBe('WAITING');
    expect(record.waits.map((w) => w.node)).toEqual(['Check']);
    const lines = vanishedLines(sim);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['error', 'wait vanished: the graph no longer holds the wait of Ghost, and nothing answered it'],
    ]);
    expect(lines[0]?.fields).toMatchObject({
      instance_id: INSTANCE,
      request_id: GHOST.request_id,
      node: 'Ghost',
    });
    expect(sim.metrics.points.filter((p) => p.name === 'WaitsVanished')).toEqual([
      { name: 'WaitsVanished', value: 1, dimensions: { workflow_id: 'two_steps_v1' } },
    ]);
    // Closed once: a later message does not report it again, and a late reply to it is acknowledged and ignored.
    sim.send({
      type: 'ASYNC_RESP',
      instance_id: INSTANCE,
      request_id: GHOST.request_id,
      status: 'SUCCESS',
      outputs: {},
    });
    sendSuccessReply(sim, requestId('Check'), { checked: 2 });
    await sim.drain();
    expect((await recordOf(sim)).status).toBe('SUCCEEDED');
    expect(vanishedLines(sim)).toHaveLength(1);
    expect(sim.metrics.total('DuplicateReplies')).toBe(1);
  });

  it('is never reported for waits closed by replies, timeouts and a cancel', async () => {
    const sim = startInlineWorkflow(
      TWO_STEPS.replace('request_output_keys: [checked]', 'request_output_keys: [checked]\n    timeout: 5m'),
      { mocks: { 'ask#op': { delay: '1m' }, 'check#op': { delay: '10m' } } },
    );
    await sim.drain();
    expect((await recordOf(sim)).status).toBe('FAILED');
    const cancelled = startInlineWorkflow(TWO_STEPS, { mocks: false });
    await cancelled.drain();
    cancelled.send({ type: 'CANCEL_WORKFLOW', instance_id: INSTANCE });
    await cancelled.drain();
    expect((await recordOf(cancelled)).status).toBe('CANCELLED');
    for (const s of [sim, cancelled]) {
      expect(vanishedLines(s)).toEqual([]);
      expect(s.metrics.total('WaitsVanished')).toBe(0);
    }
  });
});
