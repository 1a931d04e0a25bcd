import { formatDiagnostic } from './diagnostic';
import { validateDefinition } from './validate-definition';

/** The warnings about context keys that may be missing, as `line:col message`. */
function keyWarnings(yaml: string): string[] {
  const result = validateDefinition('wf.yaml', yaml);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  return result.diagnostics
    .filter((d) => d.code === 'uncertain-key')
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

const HEAD = `workflow_name: keys
workflow_id: keys_v1
entry_point: Route
`;

describe('context keys that may be missing where they are used', () => {
  it('a misspelt key in a when is a warning at the key, with a did-you-mean', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount]
nodes:
  Route:
    type: choice
    choices:
      - when: 'ammount > 10000 and amount < 20000'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "9:16 context key 'ammount' may be missing here: it is not in initial_context and not produced on every path to 'Route'; did you mean 'amount'?",
    ]);
  });

  it('a key produced on only one route of a choice is missing on the other', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount]
nodes:
  Route:
    type: choice
    choices:
      - when: 'amount > 10'
        next: Review
    default: Report
  Review:
    type: async_request
    capability_id: 'risk#review'
    request_output_keys: [verdict]
    on_response: Report
    timeout: 1h
    on_timeout: Report
  Report:
    type: async_request
    capability_id: 'risk#report'
    input_keys: [amount, verdict]
    on_response: Done
    timeout: 1h
  Done:
    type: end
    output_keys: [amount]
`);
    expect(warnings).toEqual([
      "22:26 context key 'verdict' may be missing here: it is not in initial_context and not produced on every path to 'Report'",
    ]);
  });

  it('at a join, the keys of every branch are there; a failure route carries none of them', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: parallel
    branches: [Left, Right]
    join: Joined
    on_failure: Failed
  Left:
    type: async_request
    capability_id: 'side#left'
    request_output_keys: [left]
    on_response: Joined
    timeout: 1h
  Right:
    type: async_request
    capability_id: 'side#right'
    request_output_keys: [right]
    on_response: Joined
    timeout: 1h
  Joined:
    type: end
    output_keys: [id, left, right]
  Failed:
    type: end
    status: FAILED
    output_keys: [left]
`);
    expect(warnings).toEqual([
      "29:19 context key 'left' may be missing here: it is not in initial_context and not produced on every path to 'Failed'",
    ]);
  });

  it("a shared end reached from a branch has that branch's keys, not its siblings' (they may have been stopped)", () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: parallel
    branches: [Left, Right]
    join: Joined
  Left:
    type: async_request
    capability_id: 'side#left'
    request_output_keys: [left]
    on_response: Check
    timeout: 1h
    on_timeout: Stopped
  Check:
    type: choice
    choices: [{ when: 'left = "stop"', next: Stopped }]
    default: Joined
  Right:
    type: async_request
    capability_id: 'side#right'
    request_output_keys: [right]
    on_response: Joined
    timeout: 1h
  Joined:
    type: end
    output_keys: [id, left, right]
  Stopped:
    type: end
    output_keys: [id, left, right]
`);
    // 'left' comes with the choice's route but not with the timeout's; 'right' with neither.
    expect(warnings).toEqual([
      "32:23 context key 'left' may be missing here: it is not in initial_context and not produced on every path to 'Stopped'",
      "32:29 context key 'right' may be missing here: it is not in initial_context and not produced on every path to 'Stopped'",
    ]);
  });

  it('a loop keeps what it produced before coming back; the first pass decides', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: async_request
    capability_id: 'poll#status'
    request_output_keys: [state]
    on_response: Check
    timeout: 1h
  Check:
    type: choice
    choices:
      - when: 'state = "DONE" and attempts > 3'
        next: Done
    default: Route
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "15:35 context key 'attempts' may be missing here: it is not in initial_context and not produced on every path to 'Check'",
    ]);
  });

  it('past a step that declares no outputs, or without initial_context, nothing is reported', () => {
    const undeclared = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: async_request
    capability_id: 'any#thing'
    on_response: Check
    timeout: 1h
  Check:
    type: choice
    choices:
      - when: 'whatever = 1'
        next: Done
    default: Done
  Done: { type: end, output_keys: [anything] }
`);
    expect(undeclared).toEqual([]);
    const noInitial = keyWarnings(`${HEAD}nodes:
  Route:
    type: choice
    choices:
      - when: 'amount > 1'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(noInitial).toEqual([]);
  });

  it('keys inside paths, predicates and lambdas are not context keys; True is a hint for true', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [order, flag]
nodes:
  Route:
    type: choice
    choices:
      - when: 'order.total > 10 and $count(order.lines[qty > 1]) > 0 and $map(order.lines, function($l) { $l.sku }) and flag = True'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      expect.stringMatching(
        /context key 'True' may be missing here: .*; JSONata's literals are true, false and null$/,
      ),
    ]);
  });
});
