import { validateDefinition } from '../definition/validate-definition';
import type { InstanceRecord } from '../runtime/instance-record';
import { FakeClock } from '../runtime/memory/fake-clock';
import { WorkflowSimulation, type SimulationOptions } from '../runtime/memory/workflow-simulation';
import {
  builtinSyncCapabilities,
  SyncCapabilityError,
  type SyncCapability,
  type SyncCapabilityCall,
} from '../sync-capabilities/registry';

/** Behaviour of `sync_call` nodes: built-in and registered capabilities, retries on the fake clock. */

const INSTANCE = 'inst-1';
const T0 = new FakeClock().now().getTime();
const SECOND = 1000;
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function startWorkflow(
  yaml: string,
  context: Record<string, unknown> = {},
  options: SimulationOptions = {},
): WorkflowSimulation {
  const syncCapabilityIds = new Set(Object.keys(options.syncCapabilities ?? builtinSyncCapabilities));
  const { diagnostics } = validateDefinition('test.yaml', yaml, { syncCapabilityIds });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const workflowId = /^workflow_id: (\S+)$/m.exec(yaml)?.[1] ?? 'missing';
  const sim = new WorkflowSimulation(options);
  sim.definitions.put(`${workflowId}.yaml`, yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: INSTANCE, context });
  return sim;
}

async function recordOf(sim: WorkflowSimulation): Promise<InstanceRecord> {
  const record = await sim.instances.get(INSTANCE);
  if (!record) throw new Error(`no record for ${INSTANCE}`);
  return record;
}

const steps = (record: InstanceRecord) => record.history.map((h) => [h.node, h.status]);

/** A registered capability that fails `failures` times (recording each call's clock time), then answers. */
function flaky(failures: number, clock: () => FakeClock, error: (n: number) => Error) {
  const calls: { at: string; call: SyncCapabilityCall }[] = [];
  const capability: SyncCapability = (call) => {
    calls.push({ at: clock().now().toISOString(), call });
    if (calls.length <= failures) return Promise.reject(error(calls.length));
    return Promise.resolve({ rate: 1.25, currency: 'USD', internal: 'not declared' });
  };
  return { calls, capability };
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
      const sim = startWorkflow(
        CORE,
        { shipmentId: 'S', origin: 'VN' },
        {
          mocks: {
            'import#enrichment': { outputs: { enrichment_uri: 's3://e', hs_code: '8471' }, delay: '2m' },
          },
        },
      );
      await sim.drain();
      const record = await recordOf(sim);
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
      const sim = startWorkflow(CORE, { shipmentId: 'S' });
      await sim.drain();
      const record = await recordOf(sim);
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
      let sim: WorkflowSimulation | undefined = undefined;
      const { calls, capability } = flaky(
        0,
        () => sim?.clock as FakeClock,
        () => new Error('unused'),
      );
      sim = startWorkflow(RATES(''), { amount: 10 }, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      const record = await recordOf(sim);
      expect(record.status).toBe('SUCCEEDED');
      expect(calls.map((c) => c.call)).toEqual([
        { context: { amount: 10 }, outputKeys: ['rate', 'currency'], node: 'Rate' },
      ]);
      expect(record.context).toEqual({ amount: 10, rate: 1.25, currency: 'USD' });
      expect(record.output).toEqual({ rate: 1.25, currency: 'USD' });
    });

    it('without retry, a failure is not retried', async () => {
      let sim: WorkflowSimulation | undefined = undefined;
      const { calls, capability } = flaky(
        1,
        () => sim?.clock as FakeClock,
        () => new Error('flaky'),
      );
      sim = startWorkflow(RATES(''), {}, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      expect(calls).toHaveLength(1);
      expect((await recordOf(sim)).status).toBe('FAILED');
      expect(sim.clock.now().toISOString()).toBe(at(0));
    });

    it('failing twice then succeeding with max_attempts 3, interval 1s, backoff 2 takes exactly 1s + 2s', async () => {
      let sim: WorkflowSimulation | undefined = undefined;
      const { calls, capability } = flaky(
        2,
        () => sim?.clock as FakeClock,
        (n) => new SyncCapabilityError(`rate service busy #${n}`, 'BUSY'),
      );
      sim = startWorkflow(RATES(RETRY_3), {}, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      const record = await recordOf(sim);
      expect(record.status).toBe('SUCCEEDED');
      expect(calls.map((c) => c.at)).toEqual([at(0), at(1 * SECOND), at(3 * SECOND)]);
      expect(sim.clock.now().toISOString()).toBe(at(3 * SECOND));
      expect(record.history).toEqual([
        { node: 'Rate', status: 'SUCCEEDED', started_at: at(0), ended_at: at(3 * SECOND) },
        { node: 'Done', status: 'SUCCEEDED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
      ]);
      expect(record.context).toEqual({ rate: 1.25, currency: 'USD' });
      expect(record.error).toBeNull();
    });

    it('exhausting the retries routes on_failure with the last error', async () => {
      let sim: WorkflowSimulation | undefined = undefined;
      const { calls, capability } = flaky(
        99,
        () => sim?.clock as FakeClock,
        (n) => new SyncCapabilityError(`rate service busy #${n}`, 'BUSY'),
      );
      sim = startWorkflow(RATES(RETRY_3), {}, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      const record = await recordOf(sim);
      expect(calls.map((c) => c.at)).toEqual([at(0), at(1 * SECOND), at(3 * SECOND)]);
      expect(sim.clock.now().toISOString()).toBe(at(3 * SECOND));
      expect(record.status).toBe('FAILED');
      expect(record.history).toEqual([
        { node: 'Rate', status: 'FAILED', started_at: at(0), ended_at: at(3 * SECOND) },
        { node: 'Fallback', status: 'FAILED', started_at: at(3 * SECOND), ended_at: at(3 * SECOND) },
      ]);
      expect(record.error).toMatchObject({ code: 'BUSY', node: 'Rate' });
      expect(record.error?.message).toContain('rate service busy #3');
      expect(record.context).toEqual({});
    });

    it('a plain thrown error is reported as SYNC_CAPABILITY_FAILED', async () => {
      let sim: WorkflowSimulation | undefined = undefined;
      const { capability } = flaky(
        99,
        () => sim?.clock as FakeClock,
        () => new TypeError('boom'),
      );
      sim = startWorkflow(RATES(''), {}, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      const record = await recordOf(sim);
      expect(steps(record)).toEqual([
        ['Rate', 'FAILED'],
        ['Fallback', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'SYNC_CAPABILITY_FAILED', node: 'Rate' });
      expect(record.error?.message).toContain('boom');
    });

    it('without on_failure, exhausting the retries fails the workflow with the last error', async () => {
      let sim: WorkflowSimulation | undefined = undefined;
      const { calls, capability } = flaky(
        99,
        () => sim?.clock as FakeClock,
        (n) => new SyncCapabilityError(`rate service down #${n}`, 'DOWN'),
      );
      const yaml = RATES(RETRY_3, '').replace(/ {2}Fallback:\n.*\n.*\n/, '');
      sim = startWorkflow(yaml, {}, { syncCapabilities: { 'fx-rate': capability } });
      await sim.drain();
      const record = await recordOf(sim);
      expect(calls).toHaveLength(3);
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([['Rate', 'FAILED']]);
      expect(record.error).toMatchObject({ code: 'DOWN', node: 'Rate' });
      expect(record.error?.message).toContain('rate service down #3');
      expect(record.output).toBeUndefined();
      expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
    });
  });
});
