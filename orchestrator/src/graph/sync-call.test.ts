import {
  SyncCapabilityError,
  type SyncCapability,
  type SyncCapabilityCall,
} from '../sync-capabilities/registry';
import {
  at,
  recordOf,
  runInlineWorkflow,
  SECOND,
  startInlineWorkflow,
  steps,
  withoutNode,
} from './testing/run-inline-workflow';

/** Behaviour of `sync_call` nodes: built-in and registered capabilities, retries on the fake clock. */

/**
 * Runs `yaml` with one registered capability, `fx-rate`, that fails `failures` times with `error(n)` for the
 * n-th call, then answers; `calls` records each call and the simulation clock's time when it was made.
 */
async function runWithFlakyRate(
  yaml: string,
  failures: number,
  error: (n: number) => Error,
  context: Record<string, unknown> = {},
) {
  const calls: { at: string; call: SyncCapabilityCall }[] = [];
  const capability: SyncCapability = (call) => {
    calls.push({ at: sim.clock.now().toISOString(), call });
    if (calls.length <= failures) return Promise.reject(error(calls.length));
    return Promise.resolve({ rate: 1.25, currency: 'USD', internal: 'not declared' });
  };
  const sim = startInlineWorkflow(yaml, { context, syncCapabilities: { 'fx-rate': capability } });
  await sim.drain();
  return { sim, record: await recordOf(sim), calls };
}

const CORE = `
workflow_name: core
workflow_id: core_v1
entry_point: Enrich
initial_context: [shipmentId]
nodes:
  Enrich:
    type: async_request
    capability_id: 'import#enrichment'
    request_output_keys: [enrichment_uri, hs_code]
    on_response: Process
    timeout: 15m
  Process:
    type: sync_call
    capability_id: core-process-response
    output_keys: [enrichment_uri, hs_code, origin]
    on_success: Done
    on_failure: Rejected
  Done:
    type: end
  Rejected:
    type: end
    status: FAILED
`;

const RATES = (retry: string, onFailure = '    on_failure: Fallback\n') => `
workflow_name: rates
workflow_id: rates_v1
entry_point: Rate
nodes:
  Rate:
    type: sync_call
    capability_id: fx-rate
    output_keys: [rate, currency]
    on_success: Done
${onFailure}${retry}
  Done:
    type: end
    output_keys: [rate, currency]
  Fallback:
    type: end
    status: FAILED
`;

const RETRY_3 = `    retry:
      max_attempts: 3
      interval: 1s
      backoff_rate: 2`;

describe('sync_call', () => {
  describe('core-process-response', () => {
    it('passes the declared keys a previous reply merged into the context', async () => {
      const { record } = await runInlineWorkflow(CORE, {
        context: { shipmentId: 'S', origin: 'VN' },
        mocks: {
          'import#enrichment': { outputs: { enrichment_uri: 's3://e', hs_code: '8471' }, delay: '2m' },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.context).toEqual({
        shipmentId: 'S',
        origin: 'VN',
        enrichment_uri: 's3://e',
        hs_code: '8471',
      });
      expect(record.history).toEqual([
        { node: 'Enrich', status: 'SUCCEEDED', started_at: at(0), ended_at: at(120 * SECOND) },
        { node: 'Process', status: 'SUCCEEDED', started_at: at(120 * SECOND), ended_at: at(120 * SECOND) },
        { node: 'Done', status: 'SUCCEEDED', started_at: at(120 * SECOND), ended_at: at(120 * SECOND) },
      ]);
    });

    it('routes on_failure with MISSING_RESPONSE_KEYS when a declared key is absent', async () => {
      const { record } = await runInlineWorkflow(CORE, { context: { shipmentId: 'S' } });
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Enrich', 'SUCCEEDED'],
        ['Process', 'FAILED'],
        ['Rejected', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'MISSING_RESPONSE_KEYS', node: 'Process' });
      expect(record.error?.message).toContain('origin');
      expect(record.error?.message).not.toContain('hs_code');
    });
  });

  describe('registered capabilities', () => {
    it('receive the context and declared output keys; only declared keys are merged', async () => {
      const { record, calls } = await runWithFlakyRate(RATES(''), 0, () => new Error('unused'), {
        amount: 10,
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(calls.map((c) => c.call)).toEqual([
        {
          context: { amount: 10 },
          outputKeys: ['rate', 'currency'],
          node: 'Rate',
          params: undefined,
          evaluate: expect.any(Function) as unknown,
        },
      ]);
      expect(record.context).toEqual({ amount: 10, rate: 1.25, currency: 'USD' });
      expect(record.output).toEqual({ rate: 1.25, currency: 'USD' });
    });

    it('without retry, a failure is not retried', async () => {
      const { sim, record, calls } = await runWithFlakyRate(RATES(''), 1, () => new Error('flaky'));
      expect(calls).toHaveLength(1);
      expect(record.status).toBe('FAILED');
      expect(sim.clock.now().toISOString()).toBe(at(0));
    });

    it('failing twice then succeeding with max_attempts 3, interval 1s, backoff 2 takes exactly 1s + 2s', async () => {
      const { sim, record, calls } = await runWithFlakyRate(
        RATES(RETRY_3),
        2,
        (n) => new SyncCapabilityError(`rate service busy #${n}`, 'BUSY'),
      );
      expect(record.status).toBe('SUCCEEDED');
      expect(calls.map((c) => c.at)).toEqual([at(0), at(1 * SECOND), at(3 * SECOND)]);
      expect(sim.clock.now().toISOString()).toBe(at(3 * SECOND));
      // Each attempt is a step of its own; the waits between them were durable timers, not sleeps.
      expect(record.history).toEqual([
        { node: 'Rate', status: 'FAILED', started_at: at(0), ended_at: at(0) },
        { node: 'Rate', status: 'FAILED', started_at: at(1 * SECOND), ended_at: at(1 * SECOND) },
        { node: 'Rate', status: 'SUCCEEDED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
        { node: 'Done', status: 'SUCCEEDED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
      ]);
      expect(sim.timers.scheduled).toEqual([]);
      expect(record.context).toEqual({ rate: 1.25, currency: 'USD' });
      expect(record.error).toBeNull();
    });

    it('exhausting the retries routes on_failure with the last error', async () => {
      const { sim, record, calls } = await runWithFlakyRate(
        RATES(RETRY_3),
        99,
        (n) => new SyncCapabilityError(`rate service busy #${n}`, 'BUSY'),
      );
      expect(calls.map((c) => c.at)).toEqual([at(0), at(1 * SECOND), at(3 * SECOND)]);
      expect(sim.clock.now().toISOString()).toBe(at(3 * SECOND));
      expect(record.status).toBe('FAILED');
      expect(record.history).toEqual([
        { node: 'Rate', status: 'FAILED', started_at: at(0), ended_at: at(0) },
        { node: 'Rate', status: 'FAILED', started_at: at(1 * SECOND), ended_at: at(1 * SECOND) },
        { node: 'Rate', status: 'FAILED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
        { node: 'Fallback', status: 'FAILED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
      ]);
      expect(record.error).toMatchObject({ code: 'BUSY', node: 'Rate' });
      expect(record.error?.message).toContain('rate service busy #3');
      expect(record.context).toEqual({});
    });

    it('a plain thrown error is reported as SYNC_CAPABILITY_FAILED', async () => {
      const { record } = await runWithFlakyRate(RATES(''), 99, () => new TypeError('boom'));
      expect(steps(record)).toEqual([
        ['Rate', 'FAILED'],
        ['Fallback', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'SYNC_CAPABILITY_FAILED', node: 'Rate' });
      expect(record.error?.message).toContain('boom');
    });

    it('without on_failure, exhausting the retries fails the workflow with the last error', async () => {
      const { sim, record, calls } = await runWithFlakyRate(
        withoutNode(RATES(RETRY_3, ''), 'Fallback'),
        99,
        (n) => new SyncCapabilityError(`rate service down #${n}`, 'DOWN'),
      );
      expect(calls).toHaveLength(3);
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Rate', 'FAILED'],
        ['Rate', 'FAILED'],
        ['Rate', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'DOWN', node: 'Rate' });
      expect(record.error?.message).toContain('rate service down #3');
      expect(record.output).toBeUndefined();
      expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
    });
  });
});
