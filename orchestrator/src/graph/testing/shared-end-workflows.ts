/**
 * Workflows with shared end nodes (issue 14 item 6), for the behaviour tests of the graph and the
 * guarantees suites of the runtime.
 */

/** An async_request node as YAML, with a 3 hour timeout. */
export const task = (name: string, capability: string, key: string, next: string, extra = '') =>
  `  ${name}:
    type: async_request
    capability_id: '${capability}'
    request_output_keys: [${key}]
    on_response: ${next}
    timeout: 3h
${extra}`;

/**
 * Accept -> Split (B1 | B2 -> Check2) -> Join -> Done. B2's failure and timeout and Check2's "enough"
 * route go to end nodes that the top level does not use: shared ends.
 */
export const SHARED_ENDS = `
workflow_name: shared ends
workflow_id: shared_ends_v1
entry_point: Accept
nodes:
  Accept:
    type: sync_call
    capability_id: core-process-response
    output_keys: [orderId]
    on_success: Split
  Split:
    type: parallel
    branches: [B1, B2]
    join: Join
${task('B1', 'b#one', 'b1', 'Join')}${task('B2', 'b#two', 'b2', 'Check2', '    on_failure: Failed\n    on_timeout: Timed_Out\n')}  Check2:
    type: choice
    choices:
      - when: 'b2 = "enough"'
        next: Enough
    default: Join
${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
    output_keys: [orderId, merged]
  Enough:
    type: end
    output_keys: [b1, b2]
  Failed:
    type: end
    status: FAILED
    output_keys: [orderId, b1]
  Timed_Out:
    type: end
    status: FAILED
    output_keys: [orderId, b1]
`;

export const ORDER = { orderId: 'O-1' };

/** Split runs A beside Inner; Inner runs B and C, joined by D. B's failure goes to the top-level end. */
export const NESTED_SHARED_END = `
workflow_name: nested shared end
workflow_id: nested_shared_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [A, Inner]
    join: Join
${task('A', 'a#one', 'a', 'Join')}  Inner:
    type: parallel
    branches: [B, C]
    join: D
${task('B', 'b#one', 'b', 'D', '    on_failure: Failed\n')}${task('C', 'c#one', 'c', 'D')}${task('D', 'd#one', 'd', 'Join')}${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
    output_keys: [a, c]
`;

/**
 * A shared end that is the join of the enclosing parallel: Invoice's failure route to Release stops
 * Packing_List and ends Inner's outer branch there, which then joins Customs at Release.
 */
export const END_AS_OUTER_JOIN = `
workflow_name: End as outer join
workflow_id: end_as_outer_join_v1
entry_point: Outer
nodes:
  Outer:
    type: parallel
    branches: [Customs, Inner]
    join: Release
${task('Customs', 'customs#declaration', 'declared', 'Release')}  Inner:
    type: parallel
    branches: [Invoice, Packing_List]
    join: Sign
${task('Invoice', 'docs#invoice', 'invoice', 'Sign', '    on_failure: Release\n')}${task('Packing_List', 'docs#packing-list', 'packing', 'Sign')}${task('Sign', 'docs#sign', 'signed', 'Release')}  Release:
    type: end
    output_keys: [declared]
`;
