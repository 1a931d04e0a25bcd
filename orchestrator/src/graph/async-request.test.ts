import {
  at,
  firstWait,
  INSTANCE,
  lastRequestOf,
  MINUTE,
  recordOf,
  requestId,
  runInlineWorkflow,
  sendSuccessReply,
  startInlineWorkflow,
  steps,
  withoutNode,
} from './testing/run-inline-workflow';

/** Behaviour of `async_request` nodes, driven end to end through the in-memory orchestrator. */

const ENRICH = `
workflow_name: enrich
workflow_id: enrich_v1
entry_point: Enrich
nodes:
  Enrich:
    type: async_request
    capability_id: 'import#enrichment'
    input_keys: [shipmentId, originCountry, notInContext]
    request_output_keys: [enrichment_uri, hs_code]
    on_response: Report
    on_failure: Rejected
    timeout: 15m
    on_timeout: Late
  Report:
    type: async_request
    capability_id: 'report#summary'
    request_output_keys: [report_uri]
    on_response: Done
    timeout: 15m
  Done:
    type: end
    output_keys: [enrichment_uri, hs_code, report_uri]
  Rejected:
    type: end
    status: FAILED
  Late:
    type: end
    status: FAILED
`;

const SHIPMENT = { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US', secret: 'k' };

/** Runs `yaml` with no mocks, answering Enrich's request with a SUCCESS carrying just `outputs`. */
async function runWithEnrichReply(yaml: string, outputs: Record<string, unknown>) {
  const sim = startInlineWorkflow(yaml, { context: SHIPMENT, mocks: false });
  await sim.step();
  sendSuccessReply(sim, lastRequestOf(sim, 'Enrich').request_id, outputs);
  await sim.drain();
  return { sim, record: await recordOf(sim) };
}

describe('async_request', () => {
  describe('request input', () => {
    it('input_keys restricts the input to the listed keys that the context has', async () => {
      const { sim } = await runInlineWorkflow(ENRICH, { context: SHIPMENT });
      expect(lastRequestOf(sim, 'Enrich').input).toEqual({ shipmentId: 'SHP-1', originCountry: 'VN' });
    });

    it('without input_keys the whole context is sent, including earlier replies', async () => {
      const { sim } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { outputs: { enrichment_uri: 's3://e', hs_code: '8471' } } },
      });
      expect(lastRequestOf(sim, 'Report').input).toEqual({
        ...SHIPMENT,
        enrichment_uri: 's3://e',
        hs_code: '8471',
      });
    });

    it('the request names the instance, node, capability, a stable request id and the expected keys', async () => {
      const { sim } = await runInlineWorkflow(ENRICH, { context: SHIPMENT, mocks: false });
      expect(sim.dispatcher.sent).toHaveLength(1);
      expect(lastRequestOf(sim, 'Enrich')).toMatchObject({
        type: 'ASYNC_REQ',
        instance_id: INSTANCE,
        workflow_id: 'enrich_v1',
        node: 'Enrich',
        capability_id: 'import#enrichment',
        request_id: requestId('Enrich'),
        expected_output_keys: ['enrichment_uri', 'hs_code'],
        sent_at: at(0),
      });
    });
  });

  describe('reply outputs', () => {
    it('merges the declared output keys into the context and ignores undeclared extras', async () => {
      const { record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: {
          'import#enrichment': {
            outputs: {
              enrichment_uri: 's3://e',
              hs_code: '8471',
              extra: 'ignored',
              shipmentId: 'OVERWRITTEN',
            },
          },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.context).toEqual({
        ...SHIPMENT,
        enrichment_uri: 's3://e',
        hs_code: '8471',
        report_uri: 'mock://report#summary/report_uri',
      });
      expect(record.output).toEqual({
        enrichment_uri: 's3://e',
        hs_code: '8471',
        report_uri: 'mock://report#summary/report_uri',
      });
    });

    it('a SUCCESS reply missing a declared key routes on_failure with MISSING_OUTPUT_KEYS', async () => {
      const { sim, record } = await runWithEnrichReply(ENRICH, { enrichment_uri: 's3://e' });
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Enrich', 'FAILED'],
        ['Rejected', 'FAILED'],
      ]);
      expect(record.error).toMatchObject({ code: 'MISSING_OUTPUT_KEYS', node: 'Enrich' });
      expect(record.error?.message).toContain('hs_code');
      expect(record.error?.message).not.toContain('enrichment_uri');
      expect(sim.dispatcher.sent.map((r) => r.node)).toEqual(['Enrich']);
    });

    it('a SUCCESS reply missing a declared key fails the workflow when there is no on_failure', async () => {
      const yaml = withoutNode(ENRICH.replace('    on_failure: Rejected\n', ''), 'Rejected');
      const { record } = await runWithEnrichReply(yaml, { hs_code: '8471' });
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([['Enrich', 'FAILED']]);
      expect(record.error).toMatchObject({ code: 'MISSING_OUTPUT_KEYS', node: 'Enrich' });
      expect(record.error?.message).toContain('enrichment_uri');
    });
  });

  describe('FAILURE replies', () => {
    it('route on_failure, whose end reports the reply error', async () => {
      const { sim, record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: {
          'import#enrichment': {
            status: 'FAILURE',
            error: { code: 'NOT_FOUND', message: 'no such shipment' },
            delay: '2m',
          },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Enrich', 'FAILED'],
        ['Rejected', 'FAILED'],
      ]);
      expect(record.error).toEqual({ code: 'NOT_FOUND', message: 'no such shipment', node: 'Enrich' });
      expect(record.waits).toEqual([]);
      expect(sim.dispatcher.sent.map((r) => r.node)).toEqual(['Enrich']);
    });

    it('route on_failure to a recovery path that can still succeed', async () => {
      const yaml = withoutNode(
        ENRICH.replace('    on_failure: Rejected\n', '    on_failure: Report\n'),
        'Rejected',
      );
      const { record } = await runInlineWorkflow(yaml, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { status: 'FAILURE', error: { code: 'NOT_FOUND', message: 'x' } } },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(steps(record)).toEqual([
        ['Enrich', 'FAILED'],
        ['Report', 'SUCCEEDED'],
        ['Done', 'SUCCEEDED'],
      ]);
      expect(record.error).toBeNull();
      expect(record.context.enrichment_uri).toBeUndefined();
    });

    it('fail the workflow with the reply error code when there is no on_failure', async () => {
      const { sim, record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'report#summary': { status: 'FAILURE', error: { code: 'QUOTA', message: 'over quota' } } },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toEqual({ code: 'QUOTA', message: 'over quota', node: 'Report' });
      expect(steps(record)).toEqual([
        ['Enrich', 'SUCCEEDED'],
        ['Report', 'FAILED'],
      ]);
      expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
    });
  });

  describe('timeouts', () => {
    it('while waiting, the record shows the wait with its deadline, and a timer is set for it', async () => {
      const sim = startInlineWorkflow(ENRICH, { context: SHIPMENT, mocks: false });
      await sim.step();
      const record = await recordOf(sim);
      expect(record.status).toBe('WAITING');
      expect(record.waits).toEqual([firstWait('Enrich', 'import#enrichment', at(0), at(15 * MINUTE))]);
      expect(sim.timers.scheduled).toEqual([
        {
          type: 'TIMER_FIRED',
          instance_id: INSTANCE,
          request_id: requestId('Enrich'),
          fire_at: at(15 * MINUTE),
        },
      ]);
    });

    it('a wait without timeout has a null deadline and no timer', async () => {
      const yaml = ENRICH.replace('on_response: Done\n    timeout: 15m\n', 'on_response: Done\n');
      const { sim, record } = await runInlineWorkflow(yaml, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { delay: '1m' }, 'report#summary': { reply: false } },
      });
      expect(record.status).toBe('WAITING');
      expect(record.waits).toEqual([firstWait('Report', 'report#summary', at(MINUTE), null)]);
      expect(sim.timers.scheduled).toEqual([]);
      expect(sim.pending()).toEqual([]);
    });

    it('no reply by the deadline routes on_timeout exactly at the deadline', async () => {
      const { record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { reply: false } },
      });
      expect(record.status).toBe('FAILED');
      expect(record.history).toEqual([
        { node: 'Enrich', status: 'TIMED_OUT', started_at: at(0), ended_at: at(15 * MINUTE) },
        { node: 'Late', status: 'FAILED', started_at: at(15 * MINUTE), ended_at: at(15 * MINUTE) },
      ]);
      expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'Enrich' });
      expect(record.waits).toEqual([]);
    });

    it('the timer does nothing before the deadline: a reply 1 ms early wins', async () => {
      const { sim, record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { delay: `${15 * MINUTE - 1}ms` } },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.history[0]).toEqual({
        node: 'Enrich',
        status: 'SUCCEEDED',
        started_at: at(0),
        ended_at: at(15 * MINUTE - 1),
      });
      expect(sim.metrics.total('StaleReplies')).toBe(0);
    });

    it('a reply 1 ms after the deadline is stale: on_timeout was taken and the reply is not applied', async () => {
      const { sim, record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { delay: `${15 * MINUTE + 1}ms` } },
      });
      expect(record.status).toBe('FAILED');
      expect(steps(record)).toEqual([
        ['Enrich', 'TIMED_OUT'],
        ['Late', 'FAILED'],
      ]);
      expect(record.context.enrichment_uri).toBeUndefined();
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it('on_timeout can lead on to more work', async () => {
      const yaml = withoutNode(ENRICH.replace('on_timeout: Late', 'on_timeout: Report'), 'Late');
      const { sim, record } = await runInlineWorkflow(yaml, {
        context: SHIPMENT,
        mocks: { 'import#enrichment': { reply: false }, 'report#summary': { delay: '1m' } },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.history).toEqual([
        { node: 'Enrich', status: 'TIMED_OUT', started_at: at(0), ended_at: at(15 * MINUTE) },
        {
          node: 'Report',
          status: 'SUCCEEDED',
          started_at: at(15 * MINUTE),
          ended_at: at(16 * MINUTE),
        },
        { node: 'Done', status: 'SUCCEEDED', started_at: at(16 * MINUTE), ended_at: at(16 * MINUTE) },
      ]);
      expect(lastRequestOf(sim, 'Report').sent_at).toBe(at(15 * MINUTE));
    });

    it('without on_timeout, a timeout fails the workflow with TIMEOUT at the deadline', async () => {
      const { record } = await runInlineWorkflow(ENRICH, {
        context: SHIPMENT,
        mocks: { 'report#summary': { reply: false }, 'import#enrichment': { delay: '3m' } },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'Report' });
      expect(record.history.at(-1)).toEqual({
        node: 'Report',
        status: 'TIMED_OUT',
        started_at: at(3 * MINUTE),
        ended_at: at(18 * MINUTE),
      });
      expect(record.waits).toEqual([]);
    });
  });
});
