import { gzipSync } from 'node:zlib';
import type { SyncCapability } from '../sync-capabilities/registry';
import { INSTANCE, startInlineWorkflow } from '../graph/testing/run-inline-workflow';
import type { RecordingLogger } from './memory/recording-ports';

/**
 * Issue 10: the record and the checkpoint an instance rewrites at each step do not grow with its history.
 * The history lives in append-only items; the record carries only the last commit's steps.
 */
const LOOP = (rounds: number) => `
workflow_name: loop
workflow_id: loop_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'echo#op'
    request_output_keys: [echoed]
    on_response: Count
    timeout: 1h
  Count:
    type: sync_call
    capability_id: count
    output_keys: [n]
    on_success: Again
  Again:
    type: choice
    choices: [{ when: 'n < ${rounds}', next: Ask }]
    default: Done
  Done: { type: end, output_keys: [n] }
`;

const count: SyncCapability = ({ context }) => Promise.resolve({ n: Number(context.n ?? 0) + 1 });

async function run(rounds: number) {
  const sim = startInlineWorkflow(LOOP(rounds), { syncCapabilities: { count }, context: { n: 0 } });
  await sim.drain();
  const stored = await sim.instances.load(INSTANCE);
  const full = await sim.instances.get(INSTANCE);
  return { sim, stored, full };
}

describe('a record that does not grow with history', () => {
  it('after 60 rounds the full history is there, but the stored record holds only the last commit', async () => {
    const { stored, full } = await run(60);
    expect(full?.status).toBe('SUCCEEDED');
    expect(full?.history).toHaveLength(60 * 3 + 1);
    expect(full?.history.slice(0, 3).map((h) => h.node)).toEqual(['Ask', 'Count', 'Again']);
    expect(full?.history.at(-1)?.node).toBe('Done');
    expect(stored?.history.length).toBeLessThanOrEqual(4);
    expect(stored?.history_base).toBe(60 * 3 + 1 - (stored?.history.length ?? 0));
    expect(Object.keys(stored?.resolved ?? {}).length).toBeLessThanOrEqual(1);
  });

  it('the stored record is the same size after 10 and after 60 rounds', async () => {
    const size = async (rounds: number) => {
      const { stored } = await run(rounds);
      const { updated_at: _u, created_at: _c, ...rest } = stored ?? ({} as never);
      return gzipSync(JSON.stringify(rest)).byteLength;
    };
    const [ten, sixty] = [await size(10), await size(60)];
    expect(sixty).toBeLessThan(ten * 1.1);
  });

  it('duplicates of replies long since applied are still recognised, from the items', async () => {
    const { sim } = await run(20);
    const first = sim.dispatcher.sent[0];
    if (!first) throw new Error('no request');
    const outcome = await sim.runtime.handle({
      type: 'ASYNC_RESP',
      instance_id: INSTANCE,
      request_id: first.request_id,
      status: 'SUCCESS',
      outputs: { echoed: 'again' },
    });
    expect(outcome).toEqual({ kind: 'ack', note: 'duplicate' });
  });
});

describe('a large context', () => {
  it('stays in the checkpoint: the stored record is small, and get still shows the whole context', async () => {
    const big = 'x'.repeat(200_000);
    const sim = startInlineWorkflow(LOOP(3), { syncCapabilities: { count }, context: { n: 0, big } });
    await sim.drain();
    const stored = await sim.instances.load(INSTANCE);
    expect(stored?.context_in_checkpoint).toBe(true);
    expect(JSON.stringify(stored).length).toBeLessThan(10_000);
    const full = await sim.instances.get(INSTANCE);
    expect(full?.status).toBe('SUCCEEDED');
    expect(full?.context).toMatchObject({ n: 3, big });
    expect(full).not.toHaveProperty('context_in_checkpoint');
  });
});

describe('timers of closed waits', () => {
  it('cost one read: no lease, nothing written, nothing re-armed', async () => {
    const sim = startInlineWorkflow(LOOP(1), { syncCapabilities: { count }, context: { n: 0 } });
    while (sim.dispatcher.sent.length === 0) await sim.step();
    await sim.step(); // the reply: the wait closes, its 1-hour timer is still scheduled
    const timer = sim.timers.scheduled.find((t) => t.request_id === sim.dispatcher.sent[0]?.request_id);
    if (!timer) throw new Error('no timer');
    const load = jest.spyOn(sim.instances, 'load');
    const lease = jest.spyOn(sim.instances, 'acquireLease');
    const save = jest.spyOn(sim.instances, 'save');
    const armed = sim.timers.scheduled.length;
    sim.clock.set(timer.fire_at);
    expect(await sim.runtime.handle(timer)).toEqual({ kind: 'ack', note: 'timer for a wait that is over' });
    expect([load.mock.calls.length, lease.mock.calls.length, save.mock.calls.length]).toEqual([1, 0, 0]);
    expect(sim.timers.scheduled.length).toBe(armed);
  });

  it('leave a line naming the request, so a timer for a request the instance never had can be found', async () => {
    const sim = startInlineWorkflow(LOOP(1), { syncCapabilities: { count }, context: { n: 0 } });
    while (sim.dispatcher.sent.length === 0) await sim.step();
    const forged = {
      type: 'TIMER_FIRED' as const,
      instance_id: INSTANCE,
      request_id: `${INSTANCE}:Nowhere:1:forged`,
      fire_at: '2026-01-01T00:00:00.000Z',
    };
    expect(await sim.runtime.handle(forged)).toEqual({ kind: 'ack', note: 'timer for a wait that is over' });
    const lines = (sim.logger as RecordingLogger).lines.filter((l) => l.message.startsWith('timer for a'));
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'timer for a request id never issued: ignored'],
    ]);
    expect(lines.map((l) => l.fields)).toEqual([
      expect.objectContaining({ instance_id: INSTANCE, request_id: forged.request_id, status: 'WAITING' }),
    ]);
  });
});
