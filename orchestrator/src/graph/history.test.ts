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

describe('history of a branch still running', () => {
  const FANOUT = `
workflow_name: progress
workflow_id: progress_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [Slow, Fast1]
    join: Done
  Slow:
    type: async_request
    capability_id: 'slow#work'
    on_response: Done
    timeout: 1d
  Fast1:
    type: async_request
    capability_id: 'fast#one'
    on_response: Fast2
    timeout: 1d
  Fast2:
    type: async_request
    capability_id: 'fast#two'
    on_response: Fast3
    timeout: 1d
  Fast3:
    type: async_request
    capability_id: 'fast#three'
    on_response: Done
    timeout: 1d
  Done:
    type: end
`;

  it('shows the steps a branch finished while its sibling still waits', async () => {
    const sim = startInlineWorkflow(FANOUT, {
      mocks: {
        'slow#work': { delay: '1h' },
        'fast#one': { delay: '1m' },
        'fast#two': { delay: '1m' },
        'fast#three': { delay: '1m' },
      },
    });
    // START, Fast1's reply (1m), Fast2's reply (2m): the fast branch now waits on Fast3, Slow until 1h.
    await sim.step();
    await sim.step();
    await sim.step();
    expect(sim.clock.now().toISOString()).toBe(at(2 * MINUTE));
    const waiting = await recordOf(sim);
    expect(waiting.status).toBe('WAITING');
    expect(waiting.waits.map((w) => w.node).sort()).toEqual(['Fast3', 'Slow']);
    expect(waiting.history.map((h) => [h.node, h.ended_at])).toEqual([
      ['Split', at(0)],
      ['Fast1', at(MINUTE)],
      ['Fast2', at(2 * MINUTE)],
    ]);
    await sim.drain();
    const done = await recordOf(sim);
    expect(done.history.map((h) => h.node)).toEqual(['Split', 'Fast1', 'Fast2', 'Fast3', 'Slow', 'Done']);
  });
});
