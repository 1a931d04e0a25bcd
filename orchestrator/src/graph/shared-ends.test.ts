import {
  at,
  MINUTE,
  requestsOf,
  runInlineWorkflow,
  runsOf,
  steps,
} from './testing/run-inline-workflow';

const task = (name: string, capability: string, key: string, next: string, extra = '') =>
  `  ${name}:
    type: async_request
    capability_id: '${capability}'
    request_output_keys: [${key}]
    on_response: ${next}
    timeout: 3h
${extra}`;

const PAIR = `
workflow_name: pair
workflow_id: pair_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [B1, B2]
    join: Join
${task('B1', 'b#one', 'b1', 'Join')}${task('B2', 'b#two', 'b2', 'Join', '    on_failure: Failed\n')}${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
    output_keys: [b1, b2]
`;

describe('shared end', () => {
  it('smoke', async () => {
    const { sim, record } = await runInlineWorkflow(PAIR, {
      mocks: {
        'b#one': { delay: '1h', outputs: { b1: 'late' } },
        'b#two': { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
      },
    });
    console.log(JSON.stringify(record, null, 1), sim.deadLetters, sim.metrics.total('StaleReplies'));
    void steps; void runsOf; void requestsOf; void at; void MINUTE;
  });
});
