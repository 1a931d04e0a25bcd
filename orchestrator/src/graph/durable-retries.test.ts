import { SyncCapabilityError, type SyncCapability } from '../sync-capabilities/registry';
import {
  at,
  INSTANCE,
  recordOf,
  requestId,
  requestsOf,
  startInlineWorkflow,
  steps,
} from './testing/run-inline-workflow';

/**
 * Issue 9, defects 3, 6 and 7: retries of any length are durable timers (the invocation ends between
 * attempts), sync capabilities cannot change the context beyond their declared outputs, and a request
 * that can never be delivered fails its step at once instead of leaving the instance waiting forever.
 */

const DAY = 24 * 3600 * 1000;

const WEEKLY = `
workflow_name: weekly
workflow_id: weekly_v1
entry_point: Rate
nodes:
  Rate:
    type: sync_call
    capability_id: fx-rate
    output_keys: [rate]
    on_success: Done
    retry: { max_attempts: 10, interval: 7d, backoff_rate: 1 }
  Done: { type: end, output_keys: [rate] }
`;

describe('durable retries', () => {
  it('a sync_call retry policy of 10 attempts a week apart runs to its end, each wait a timer', async () => {
    const calls: string[] = [];
    let handled = 0;
    const capability: SyncCapability = () => {
      calls.push(sim.clock.now().toISOString());
      if (calls.length < 10) return Promise.reject(new SyncCapabilityError('closed', 'CLOSED'));
      return Promise.resolve({ rate: 2 });
    };
    const sim = startInlineWorkflow(WEEKLY, { syncCapabilities: { 'fx-rate': capability } });
    const sleep = jest.spyOn(sim.clock, 'sleep');
    while (await sim.step()) handled++;
    const record = await recordOf(sim);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toEqual({ rate: 2 });
    expect(calls).toEqual(Array.from({ length: 10 }, (_, n) => at(n * 7 * DAY)));
    // One START and nine timer deliveries: every wait ended the invocation; nothing slept inside one.
    expect(handled).toBe(10);
    expect(sleep).not.toHaveBeenCalled();
    expect(steps(record).filter(([node]) => node === 'Rate')).toHaveLength(10);
  });

  it('while a retry waits, the record shows the wait and its deadline', async () => {
    const capability: SyncCapability = () => Promise.reject(new Error('down'));
    const sim = startInlineWorkflow(WEEKLY, { syncCapabilities: { 'fx-rate': capability } });
    await sim.step();
    const record = await recordOf(sim);
    expect(record.status).toBe('WAITING');
    expect(record.waits).toEqual([
      {
        kind: 'retry',
        request_id: `${INSTANCE}:Rate:1:retry:2`,
        node: 'Rate',
        capability_id: '',
        since: at(0),
        deadline: at(7 * DAY),
      },
    ]);
    expect(sim.dispatcher.sent).toEqual([]);
  });

  it('an async_request with retry sends the request again after a FAILURE, with a new request id', async () => {
    const sim = startInlineWorkflow(
      `
workflow_name: ask
workflow_id: ask_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'quote#price'
    request_output_keys: [price]
    on_response: Done
    timeout: 1h
    retry: { max_attempts: 3, interval: 2h }
  Done: { type: end, output_keys: [price] }
`,
      {
        mocks: {
          'quote#price': [
            { status: 'FAILURE', error: { code: 'BUSY', message: 'try later' } },
            { status: 'FAILURE', error: { code: 'BUSY', message: 'try later' } },
            { outputs: { price: 9 } },
          ],
        },
      },
    );
    await sim.drain();
    const record = await recordOf(sim);
    expect([record.status, record.error]).toEqual(['SUCCEEDED', null]);
    expect(steps(record)).toEqual([
      ['Ask', 'FAILED'],
      ['Ask', 'FAILED'],
      ['Ask', 'SUCCEEDED'],
      ['Done', 'SUCCEEDED'],
    ]);
    expect(record.output).toEqual({ price: 9 });
    const sent = requestsOf(sim, 'Ask');
    expect(sent.map((r) => r.request_id)).toEqual([
      requestId('Ask'),
      requestId('Ask', 2),
      requestId('Ask', 3),
    ]);
    expect(sent.map((r) => r.sent_at)).toEqual([at(0), at(2 * 3600_000), at(6 * 3600_000)]);
  });

  it('an async_request whose retries run out takes on_failure with the last error', async () => {
    const sim = startInlineWorkflow(
      `
workflow_name: ask
workflow_id: ask_v2
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'quote#price'
    on_response: Done
    on_failure: Failed
    timeout: 1h
    retry: { max_attempts: 2, interval: 1m }
  Done: { type: end }
  Failed: { type: end, status: FAILED }
`,
      { mocks: { 'quote#price': { status: 'FAILURE', error: { code: 'NO', message: 'no quote' } } } },
    );
    await sim.drain();
    const record = await recordOf(sim);
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'NO', node: 'Ask' });
    expect(requestsOf(sim, 'Ask')).toHaveLength(2);
  });
});

describe('sync capabilities and the context', () => {
  const MUTATING = `
workflow_name: mutate
workflow_id: mutate_v1
entry_point: Calc
nodes:
  Calc:
    type: sync_call
    capability_id: meddler
    output_keys: [total]
    on_success: Done
    on_failure: Failed
  Done: { type: end }
  Failed: { type: end, status: FAILED }
`;

  it('a capability that changes the context in place changes nothing but its declared outputs', async () => {
    const meddler: SyncCapability = ({ context }) => {
      const writable = context as Record<string, unknown>;
      writable.leaked = 'undeclared';
      writable.amount = -1;
      (writable.order as { lines: number[] }).lines.push(99);
      return Promise.resolve({ total: 30, sneaky: true });
    };
    const sim = startInlineWorkflow(MUTATING, {
      syncCapabilities: { meddler },
      context: { amount: 10, order: { lines: [1, 2] } },
    });
    await sim.drain();
    const record = await recordOf(sim);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toEqual({ amount: 10, order: { lines: [1, 2] }, total: 30 });
  });

  it('a failed attempt that changed the context in place leaves no trace in it', async () => {
    const meddler: SyncCapability = ({ context }) => {
      (context as Record<string, unknown>).leaked = 'from a failed attempt';
      return Promise.reject(new Error('broken'));
    };
    const sim = startInlineWorkflow(MUTATING, { syncCapabilities: { meddler }, context: { amount: 10 } });
    await sim.drain();
    const record = await recordOf(sim);
    expect(record.status).toBe('FAILED');
    expect(record.context).toEqual({ amount: 10 });
  });
});

describe('a capability domain with no request queue', () => {
  it('fails the instance at once with CAPABILITY_QUEUE_MISSING, counted, while other requests still go', async () => {
    const sim = startInlineWorkflow(
      `
workflow_name: missing
workflow_id: missing_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [Known, Unknown]
    join: Done
  Known:
    type: async_request
    capability_id: 'known#op'
    on_response: Done
    timeout: 1h
  Unknown:
    type: async_request
    capability_id: 'nowhere#op'
    on_response: Done
    timeout: 1h
  Done: { type: end }
`,
      { mocks: { 'known#op': { delay: '1h', reply: false } } },
    );
    sim.dispatcher.missingDomains.add('nowhere');
    await sim.step();
    const record = await recordOf(sim);
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'CAPABILITY_QUEUE_MISSING', node: 'Unknown' });
    expect(record.error?.message).toContain("capability domain 'nowhere' has no request queue");
    expect(record.waits).toEqual([]);
    expect(sim.metrics.total('CapabilityQueueMissing')).toBe(1);
    expect(sim.dispatcher.sent.map((r) => r.capability_id)).toEqual(['known#op']);
  });
});
