import { at, MINUTE, recordOf, runInlineWorkflow, startInlineWorkflow } from './testing/run-inline-workflow';

/**
 * The history in the status record: one entry per node execution, with started_at / ended_at on the
 * engine's clock. An async node starts when its wait begins and ends when its reply (or timeout) applies.
 */

const FLOW = `
workflow_name: flow
workflow_id: flow_v1
entry_point: Enrich
nodes:
  Enrich:
    type: async_request
    capability_id: 'import#enrichment'
    request_output_keys: [enrichment_uri]
    on_response: Process
    timeout: 1h
  Process:
    type: sync_call
    capability_id: core-process-response
    output_keys: [enrichment_uri]
    on_success: Route
  Route:
    type: choice
    choices:
      - when: 'express = true'
        next: Done
    default: Classify
  Classify:
    type: async_request
    capability_id: 'classify#goods'
    request_output_keys: [hs_code]
    on_response: Done
    timeout: 1h
  Done:
    type: end
`;

describe('history', () => {
  it('has one entry per node execution, timed on the engine clock', async () => {
    const { record } = await runInlineWorkflow(FLOW, {
      context: { express: false },
      mocks: { 'import#enrichment': { delay: '5m' }, 'classify#goods': { delay: '7m' } },
    });
    expect(record.history).toEqual([
      { node: 'Enrich', status: 'SUCCEEDED', started_at: at(0), ended_at: at(5 * MINUTE) },
      { node: 'Process', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(5 * MINUTE) },
      { node: 'Route', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(5 * MINUTE) },
      { node: 'Classify', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(12 * MINUTE) },
      { node: 'Done', status: 'SUCCEEDED', started_at: at(12 * MINUTE), ended_at: at(12 * MINUTE) },
    ]);
  });

  it('lists only the nodes that ran', async () => {
    const { record } = await runInlineWorkflow(FLOW, { context: { express: true } });
    expect(record.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route', 'Done']);
  });

  it('an async entry starts when its wait began, not when the reply arrived', async () => {
    const { sim, record } = await runInlineWorkflow(FLOW, {
      context: { express: false },
      mocks: { 'import#enrichment': { reply: false } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.history).toEqual([
      { node: 'Enrich', status: 'TIMED_OUT', started_at: at(0), ended_at: at(60 * MINUTE) },
    ]);
    expect(sim.dispatcher.sent[0]?.sent_at).toBe(record.history[0]?.started_at);
  });

  it('shows the entries so far while the instance waits, and nothing for the node still waiting', async () => {
    const sim = startInlineWorkflow(FLOW, { mocks: { 'classify#goods': { reply: false } } });
    await sim.step();
    await sim.step();
    const record = await recordOf(sim);
    expect(record.status).toBe('WAITING');
    expect(record.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route']);
    expect(record.waits.map((w) => w.node)).toEqual(['Classify']);
  });

  it('duplicate and redelivered replies add no entries', async () => {
    const { sim, record } = await runInlineWorkflow(FLOW, {
      context: { express: true },
      mocks: { 'import#enrichment': { duplicates: 3, delay: '1m' } },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route', 'Done']);
    expect(sim.metrics.total('DuplicateReplies')).toBe(3);
  });
});
