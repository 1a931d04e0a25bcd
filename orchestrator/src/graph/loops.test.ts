import { at, MINUTE, requestId, runInlineWorkflow, runsOf } from './testing/run-inline-workflow';

/** Loops: a choice that sends the workflow back to a node it already ran. */

const POLL = `
workflow_name: poll
workflow_id: poll_v1
entry_point: Poll
nodes:
  Poll:
    type: async_request
    capability_id: 'customs#status'
    request_output_keys: [state]
    on_response: Is_Cleared
    timeout: 10m
    on_timeout: Gave_Up
  Is_Cleared:
    type: choice
    choices:
      - when: 'state = "CLEARED"'
        next: Cleared
    default: Poll
  Cleared:
    type: end
    output_keys: [state]
  Gave_Up:
    type: end
    status: FAILED
`;

describe('loops', () => {
  it('each visit of an async node gets its own request id and history entry', async () => {
    const { sim, record } = await runInlineWorkflow(POLL, {
      context: { shipmentId: 'S' },
      mocks: {
        'customs#status': [
          { outputs: { state: 'PENDING' }, delay: '1m' },
          { outputs: { state: 'HELD' }, delay: '2m' },
          { outputs: { state: 'CLEARED' }, delay: '3m' },
        ],
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(sim.dispatcher.sent.map((r) => r.request_id)).toEqual([
      requestId('Poll'),
      requestId('Poll', 2),
      requestId('Poll', 3),
    ]);
    // Each request carries the context as it was at that visit.
    expect(sim.dispatcher.sent.map((r) => r.input)).toEqual([
      { shipmentId: 'S' },
      { shipmentId: 'S', state: 'PENDING' },
      { shipmentId: 'S', state: 'HELD' },
    ]);
    expect(record.history).toEqual([
      { node: 'Poll', status: 'SUCCEEDED', started_at: at(0), ended_at: at(MINUTE) },
      { node: 'Is_Cleared', status: 'SUCCEEDED', started_at: at(MINUTE), ended_at: at(MINUTE) },
      { node: 'Poll', status: 'SUCCEEDED', started_at: at(MINUTE), ended_at: at(3 * MINUTE) },
      { node: 'Is_Cleared', status: 'SUCCEEDED', started_at: at(3 * MINUTE), ended_at: at(3 * MINUTE) },
      { node: 'Poll', status: 'SUCCEEDED', started_at: at(3 * MINUTE), ended_at: at(6 * MINUTE) },
      { node: 'Is_Cleared', status: 'SUCCEEDED', started_at: at(6 * MINUTE), ended_at: at(6 * MINUTE) },
      { node: 'Cleared', status: 'SUCCEEDED', started_at: at(6 * MINUTE), ended_at: at(6 * MINUTE) },
    ]);
    expect(record.output).toEqual({ state: 'CLEARED' });
  });

  it("an earlier visit's timer does not time out the current visit", async () => {
    // Visit 1 replies at 1m; its timer (10m) fires while visit 2 (deadline 11m) waits.
    const { sim, record } = await runInlineWorkflow(POLL, {
      mocks: {
        'customs#status': [
          { outputs: { state: 'PENDING' }, delay: '1m' },
          { outputs: { state: 'CLEARED' }, delay: '15m' },
        ],
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.history).toEqual([
      { node: 'Poll', status: 'SUCCEEDED', started_at: at(0), ended_at: at(MINUTE) },
      { node: 'Is_Cleared', status: 'SUCCEEDED', started_at: at(MINUTE), ended_at: at(MINUTE) },
      { node: 'Poll', status: 'TIMED_OUT', started_at: at(MINUTE), ended_at: at(11 * MINUTE) },
      { node: 'Gave_Up', status: 'FAILED', started_at: at(11 * MINUTE), ended_at: at(11 * MINUTE) },
    ]);
    expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'Poll' });
    expect(sim.metrics.total('StaleReplies')).toBe(1);
  });

  it("a duplicate of an earlier visit's reply is not applied to the current visit", async () => {
    const { sim, record } = await runInlineWorkflow(POLL, {
      mocks: {
        'customs#status': [
          { outputs: { state: 'PENDING' }, duplicates: 2 },
          { outputs: { state: 'CLEARED' }, delay: '5m' },
        ],
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(runsOf(record, 'Poll')).toHaveLength(2);
    expect(record.history.at(-1)).toMatchObject({ node: 'Cleared', started_at: at(5 * MINUTE) });
    expect(sim.metrics.total('DuplicateReplies')).toBe(2);
  });

  it('a loop through a parallel runs each branch and the join once per round', async () => {
    const yaml = `
workflow_name: rounds
workflow_id: rounds_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [A, B]
    join: Check
  A:
    type: async_request
    capability_id: 'a#work'
    request_output_keys: [a]
    on_response: Check
    timeout: 1h
  B:
    type: async_request
    capability_id: 'b#work'
    request_output_keys: [b]
    on_response: Check
    timeout: 1h
  Check:
    type: async_request
    capability_id: 'check#done'
    request_output_keys: [done]
    on_response: Decide
    timeout: 1h
  Decide:
    type: choice
    choices:
      - when: 'done = true'
        next: Done
    default: Split
  Done:
    type: end
`;
    const { sim, record } = await runInlineWorkflow(yaml, {
      mocks: {
        'a#work': { delay: '1m' },
        'b#work': [{ delay: '2m' }, { delay: '4m' }],
        'check#done': [
          { outputs: { done: false }, delay: '1m' },
          { outputs: { done: true }, delay: '1m' },
        ],
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    for (const node of ['Split', 'A', 'B', 'Check', 'Decide'])
      expect([node, runsOf(record, node).length]).toEqual([node, 2]);
    expect(sim.dispatcher.sent.map((r) => r.request_id).sort()).toEqual(
      (
        [
          ['A', 1],
          ['A', 2],
          ['B', 1],
          ['B', 2],
          ['Check', 1],
          ['Check', 2],
        ] as const
      )
        .map(([node, visit]) => requestId(node, visit))
        .sort(),
    );
    // Round 1: A 0-1m, B 0-2m, Check 2-3m. Round 2 starts at 3m: A 3-4m, B 3-7m, Check 7-8m.
    expect(runsOf(record, 'Check').map((h) => [h.started_at, h.ended_at])).toEqual([
      [at(2 * MINUTE), at(3 * MINUTE)],
      [at(7 * MINUTE), at(8 * MINUTE)],
    ]);
    expect(runsOf(record, 'Done')).toHaveLength(1);
  });
});
