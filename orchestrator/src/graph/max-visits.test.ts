import { requestId, runInlineWorkflow, steps } from './testing/run-inline-workflow';

/** `max_visits`: a loop that never exits fails with a clear error instead of running forever. */

const SPIN = (extra = '') => `
workflow_name: spin
workflow_id: spin_v1
entry_point: Count
initial_context: [n]
${extra}nodes:
  Count:
    type: set
    values:
      n: 'n + 1'
    next: Again
  Again:
    type: choice
    choices:
      - when: 'n < 0'
        next: Done
    default: Count
  Done:
    type: end
`;

describe('max_visits', () => {
  it('a loop of steps that never waits fails after 100 visits of a node (the default)', async () => {
    const { record } = await runInlineWorkflow(SPIN(), { context: { n: 0 } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({
      code: 'MAX_VISITS_EXCEEDED',
      message: 'node Count has run 100 times, all its max_visits allows (a loop that never exits?)',
      node: 'Count',
    });
    expect(record.context).toEqual({ n: 100 });
    expect(steps(record).filter(([node]) => node === 'Count')).toHaveLength(101);
    expect(steps(record).at(-1)).toEqual(['Count', 'FAILED']);
  });

  it('the workflow max_visits sets the default; a node max_visits overrides it', async () => {
    const byWorkflow = await runInlineWorkflow(SPIN('max_visits: 7\n'), { context: { n: 0 } });
    expect(byWorkflow.record.error?.code).toBe('MAX_VISITS_EXCEEDED');
    expect(byWorkflow.record.context).toEqual({ n: 7 });

    const byNode = await runInlineWorkflow(
      SPIN('max_visits: 7\n').replace('    type: choice\n', '    type: choice\n    max_visits: 3\n'),
      { context: { n: 0 } },
    );
    expect(byNode.record.error).toMatchObject({ code: 'MAX_VISITS_EXCEEDED', node: 'Again' });
    expect(byNode.record.context).toEqual({ n: 4 });
  });

  it('a polling loop over its limit sends no request for the visit it refuses', async () => {
    const { sim, record } = await runInlineWorkflow(
      `
workflow_name: poll
workflow_id: poll_v1
entry_point: Poll
nodes:
  Poll:
    type: async_request
    max_visits: 3
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
  Cleared: { type: end }
  Gave_Up: { type: end, status: FAILED }
`,
      { mocks: { 'customs#status': { outputs: { state: 'PENDING' }, delay: '1m' } } },
    );
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'MAX_VISITS_EXCEEDED', node: 'Poll' });
    expect(sim.dispatcher.sent.map((r) => r.request_id)).toEqual([
      requestId('Poll'),
      requestId('Poll', 2),
      requestId('Poll', 3),
    ]);
    expect(record.waits).toEqual([]);
  });

  it('a chain of 60 steps in one message runs to its end (no LangGraph recursion limit of 25)', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `S${i + 1}`);
    const nodes = names
      .map(
        (name, i) =>
          `  ${name}:\n    type: set\n    values:\n      n: 'n + 1'\n    next: ${names[i + 1] ?? 'Done'}\n`,
      )
      .join('');
    const { record } = await runInlineWorkflow(
      `workflow_name: chain\nworkflow_id: chain_v1\nentry_point: S1\ninitial_context: [n]\nnodes:\n${nodes}  Done:\n    type: end\n    output_keys: [n]\n`,
      { context: { n: 0 } },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ n: 60 });
  });
});

describe('max_visits below retry.max_attempts', () => {
  const ASK = `
workflow_name: ask
workflow_id: ask_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    max_visits: 2
    capability_id: 'quote#price'
    on_response: Done
    on_failure: Failed
    timeout: 1h
    retry: { max_attempts: 3, interval: 1m }
  Done: { type: end }
  Failed: { type: end, status: FAILED }
`;

  it("an async_request's retries run out of visits: the error says so, not 'a loop that never exits'", async () => {
    const { record } = await runInlineWorkflow(ASK, {
      mocks: { 'quote#price': { status: 'FAILURE', error: { code: 'BUSY', message: 'try later' } } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({
      code: 'MAX_VISITS_EXCEEDED',
      message:
        'node Ask has run 2 times, all its max_visits allows: its retries ran out of visits at attempt 3 of 3 (give it a max_visits of at least its retry.max_attempts)',
      node: 'Ask',
    });
    expect(steps(record)).toEqual([
      ['Ask', 'FAILED'],
      ['Ask', 'FAILED'],
      ['Ask', 'FAILED'],
    ]);
  });
});
