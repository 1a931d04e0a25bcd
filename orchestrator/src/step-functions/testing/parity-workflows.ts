import { END_AS_OUTER_JOIN, task } from '../../graph/testing/shared-end-workflows';

/**
 * Workflows the parity tests run beside the examples, for what the examples do not use: a retried
 * async_request, a loop (a node visited twice), a parallel nested in a branch, and a branch whose failure
 * route leads to its join.
 */

export const RETRIED_REQUEST = `
workflow_name: Retried request
workflow_id: retried_request_v1
entry_point: Fetch
nodes:
  Fetch:
    type: async_request
    capability_id: 'fetch#document'
    request_output_keys: [doc]
    on_response: Done
    on_failure: Failed
    timeout: 1h
    retry: { max_attempts: 3, interval: 1m, backoff_rate: 3 }
  Done:
    type: end
    output_keys: [doc]
  Failed:
    type: end
    status: FAILED
`;

export const LOOP = `
workflow_name: Ask until approved
workflow_id: ask_until_approved_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'review#ask'
    request_output_keys: [answer]
    on_response: Approved
    timeout: 1d
  Approved:
    type: choice
    choices:
      - when: 'answer = "yes"'
        next: Done
    default: Ask
  Done:
    type: end
    output_keys: [answer]
`;

export const NESTED = `
workflow_name: Nested parallel
workflow_id: nested_parallel_v1
entry_point: Outer
nodes:
  Outer:
    type: parallel
    branches: [Left, Inner]
    join: Join
    on_failure: Failed
  Left:
    type: async_request
    capability_id: 'left#work'
    request_output_keys: [left]
    on_response: Join
    on_failure: Join
    timeout: 1h
  Inner:
    type: parallel
    branches: [Right1, Right2]
    join: Check
  Right1:
    type: async_request
    capability_id: 'right#one'
    request_output_keys: [r1]
    on_response: Check
    timeout: 1h
  Right2:
    type: async_request
    capability_id: 'right#two'
    request_output_keys: [r2]
    on_response: Check
    timeout: 1h
  Check:
    type: choice
    choices:
      - when: 'r1 = r2'
        next: Join
    default: Join
  Join:
    type: sync_call
    capability_id: core-process-response
    output_keys: [r1, r2]
    on_success: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [left, r1, r2]
  Failed:
    type: end
    status: FAILED
`;

/**
 * A set node: every value computed over the context before the step (\`count\` counts the lines before
 * \`lines\` is filtered), a key whose expression selects nothing left as it was (\`note\`); a failing
 * expression goes to on_failure.
 */
export const SET_VALUES = `
workflow_name: Set totals
workflow_id: set_totals_v1
entry_point: Totals
nodes:
  Totals:
    type: set
    values:
      total: '$sum(lines.amount)'
      count: '$count(lines)'
      lines: 'lines[amount > 1]'
      note: 'nothing.here'
    next: Check
    on_failure: Failed
  Check:
    type: choice
    choices:
      - when: 'total > 10'
        next: Done
    default: Failed
  Done:
    type: end
    output_keys: [total, count, lines, note]
  Failed:
    type: end
    status: FAILED
`;

/** Wait nodes: a duration, then until a time from the context (a bad one goes to on_failure). */
export const WAITS = `
workflow_name: Cool off
workflow_id: cool_off_v1
entry_point: Pause
nodes:
  Pause:
    type: wait
    duration: 2h
    next: Until
  Until:
    type: wait
    until: 'due'
    next: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [due]
  Failed:
    type: end
    status: FAILED
`;

/**
 * A sync_call's result mapping over the call's whole result (\`extra\` is not an output key); a mapping that
 * fails is never retried, whatever the policy, and goes to on_failure.
 */
export const SYNC_RESULT = `
workflow_name: Score
workflow_id: score_v1
entry_point: Score
nodes:
  Score:
    type: sync_call
    capability_id: core-process-response
    output_keys: [score]
    result:
      risk: '$sum([score]) * 2'
      label: 'extra'
      absent: 'nothing.here'
    retry: { max_attempts: 3, interval: 1s }
    on_success: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [risk, label, absent, score]
  Failed:
    type: end
    status: FAILED
`;

/**
 * An async_request's \`input\` (the request's input built by JSONata over the context) and \`result\`
 * (context keys from JSONata over the reply's whole outputs: \`currency\` is not an expected key); a
 * FAILURE reply is retried, a failing input or mapping never is, and both go to on_failure.
 */
export const REQUEST_MAPPINGS = `
workflow_name: Quote
workflow_id: quote_v1
entry_point: Quote
nodes:
  Quote:
    type: async_request
    capability_id: 'pricing#quote'
    input: '{"id": shipmentId, "kg": $sum(lines.kg)}'
    request_output_keys: [price]
    result:
      total: 'price * 2'
      currency: 'currency'
      absent: 'nothing.here'
    retry: { max_attempts: 2, interval: 1m }
    timeout: 1h
    on_response: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [total, currency, absent, shipmentId, price]
  Failed:
    type: end
    status: FAILED
`;

/** An async_request node as YAML, with a 3 hour timeout (the graph tests' shared-end helper). */
const request = task;

/**
 * Shared ends: B2's failure, its timeout and Check2's "enough" route leave the parallel for end nodes
 * outside it; Split's own on_failure (Split_Failed) must not catch them. No end's output keys are
 * written by the sibling branch B1 (the exportable case, see asl/shared-end-guard.ts).
 */
export const SHARED_END = `
workflow_name: Shared ends
workflow_id: shared_end_v1
entry_point: Accept
nodes:
  Accept:
    type: set
    values:
      orderId: '"O-1"'
    next: Split
  Split:
    type: parallel
    branches: [B1, B2]
    join: Join
    on_failure: Split_Failed
${request('B1', 'b#one', 'b1', 'Join')}${request('B2', 'b#two', 'b2', 'Check2', '    on_failure: Failed\n    on_timeout: Timed_Out\n')}  Check2:
    type: choice
    choices:
      - when: 'b2 = "enough"'
        next: Enough
    default: Join
${request('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
    output_keys: [orderId, merged]
  Enough:
    type: end
    output_keys: [orderId, b2]
  Failed:
    type: end
    status: FAILED
    output_keys: [orderId]
  Timed_Out:
    type: end
    status: FAILED
  Split_Failed:
    type: end
    status: FAILED
`;

/**
 * A shared end two parallels deep: B (in Inner, itself a branch of Split beside A) fails to the top-level
 * end Failed; Inner's own on_failure must not catch it, and both C and A are stopped.
 */
export const NESTED_SHARED_END = `
workflow_name: Nested shared end
workflow_id: nested_shared_end_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [A, Inner]
    join: Join
${request('A', 'a#one', 'a', 'Join')}  Inner:
    type: parallel
    branches: [B, C]
    join: D
    on_failure: Inner_Failed
${request('B', 'b#one', 'b', 'D', '    on_failure: Failed\n')}${request('C', 'c#one', 'c', 'D')}${request('D', 'd#one', 'd', 'Join')}  Inner_Failed:
    type: end
    status: FAILED
${request('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
    output_keys: [b]
`;

/** A child: checks one line with a capability, and fails (a FAILED end) for a line marked not ok. */
export const CHECK_LINE = `
workflow_name: Check a line
workflow_id: check_line_v1
entry_point: Check
initial_context: [line]
nodes:
  Check:
    type: async_request
    capability_id: 'check#line'
    input: '{"sku": line.sku}'
    request_output_keys: [verdict]
    on_response: Judge
    timeout: 1d
  Judge:
    type: choice
    choices:
      - when: 'line.ok = false'
        next: Rejected
    default: Accepted
  Accepted:
    type: end
    output_keys: [verdict, line]
  Rejected:
    type: end
    status: FAILED
`;

/** A sub_workflow with input and result mappings, a failure route and a timeout. */
export const CHECK_ONE_LINE = `
workflow_name: Check one line
workflow_id: check_one_line_v1
entry_point: Check_Line
initial_context: [order]
nodes:
  Check_Line:
    type: sub_workflow
    workflow_id: check_line_v1
    input: '{"line": order.lines[0]}'
    result: { first_verdict: verdict }
    next: Done
    on_failure: Failed
    timeout: 2h
    on_timeout: Late
  Done:
    type: end
    output_keys: [first_verdict]
  Failed:
    type: end
    status: FAILED
  Late:
    type: end
    status: FAILED
`;

/** A map over the order's lines, two at a time, failing fast (or tolerating, as the tests vary it). */
export const CHECK_LINES = `
workflow_name: Check every line
workflow_id: check_lines_v1
entry_point: Check_Lines
initial_context: [order]
nodes:
  Check_Lines:
    type: map
    items: order.lines
    workflow_id: check_line_v1
    item_key: line
    max_concurrency: 2
    output_key: verdicts
    next: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [verdicts]
  Failed:
    type: end
    status: FAILED
`;

/** A sub_workflow in a loop: each visit starts a child of its own, and a third visit is one too many. */
export const RECHECK = `
workflow_name: Check a line again
workflow_id: recheck_v1
entry_point: Count
initial_context: [line]
nodes:
  Count:
    type: set
    values: { round: '$exists(round) ? round + 1 : 1' }
    next: Check_Line
  Check_Line:
    type: sub_workflow
    workflow_id: check_line_v1
    input_keys: [line]
    max_visits: 2
    next: Again
    on_failure: Failed
  Again:
    type: choice
    choices:
      - when: 'round < 3'
        next: Count
    default: Done
  Done:
    type: end
    output_keys: [round, verdict]
  Failed:
    type: end
    status: FAILED
`;

/** A loop through a parallel: its branch's node counts its visits across the parallel's runs. */
export const LOOP_THROUGH_PARALLEL = `
workflow_name: Loop through a parallel
workflow_id: loop_through_parallel_v1
entry_point: Count
nodes:
  Count:
    type: set
    values: { round: '$exists(round) ? round + 1 : 1' }
    next: Split
  Split:
    type: parallel
    branches: [Ask, Pause]
    join: Again
  Ask:
    type: async_request
    capability_id: 'review#ask'
    request_output_keys: [answer]
    max_visits: 2
    on_response: Again
    timeout: 1h
  Pause:
    type: wait
    duration: 1m
    next: Again
  Again:
    type: choice
    choices:
      - when: 'round < 3'
        next: Count
    default: Done
  Done:
    type: end
    output_keys: [round, answer]
`;

export const PARITY_WORKFLOWS = {
  LOOP_THROUGH_PARALLEL,
  CHECK_LINE,
  CHECK_ONE_LINE,
  CHECK_LINES,
  RECHECK,
  RETRIED_REQUEST,
  LOOP,
  NESTED,
  SET_VALUES,
  WAITS,
  SYNC_RESULT,
  REQUEST_MAPPINGS,
  SHARED_END,
  NESTED_SHARED_END,
  END_AS_OUTER_JOIN,
} as const;
