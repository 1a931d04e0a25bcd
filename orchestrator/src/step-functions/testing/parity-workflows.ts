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

export const PARITY_WORKFLOWS = {
  RETRIED_REQUEST,
  LOOP,
  NESTED,
  SET_VALUES,
  WAITS,
  SYNC_RESULT,
  REQUEST_MAPPINGS,
} as const;
