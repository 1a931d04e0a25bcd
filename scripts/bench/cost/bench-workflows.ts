import type { ChildDefinition } from '../../../orchestrator/src/cli/child-definitions';
import { MAX_VISITS_LIMIT } from '../../../orchestrator/src/definition/workflow-schema';
import type { Context } from '../../../orchestrator/src/graph/workflow-state';
/*
 * Workflows generated for the bench, as YAML texts the engine validates like any other. Each one isolates
 * what a figure of issue 10 varies: history length, fan-out width, context size, a long wait, CPU.
 */

export interface BenchWorkflow {
  readonly workflowId: string;
  readonly text: string;
  /** Its START's context; the shipment context (SHIPMENT_CONTEXT) unless given. */
  readonly context?: Context;
  /**
   * The definitions its sub_workflow and map nodes start (theirs too), each under the key the engine
   * loads it by (`definition_key`, default `<workflow_id>.yaml`): deployed beside it.
   */
  readonly children?: readonly ChildDefinition[];
}

const pad = (n: number, width = 3) => String(n).padStart(width, '0');

/**
 * A loop driven by a counter in the context: `Ask` (one async_request, whose reply carries the new
 * counter) then `Route` (a choice) back to `Ask` while `counter < limit`. Every reply is one message and
 * one turn of the loop; nothing but `counter` changes, and the request carries `counter` only. No timeout,
 * so no timer traffic mixes into the per-step figures. `max_visits` at its limit: figure 1 runs the loop
 * 500 times, past the default of 100 visits a node.
 */
export function counterLoop(limit: number): BenchWorkflow {
  const workflowId = 'bench_counter_loop_v1';
  return {
    workflowId,
    text: `workflow_name: 'Bench: counter loop'
workflow_id: '${workflowId}'
entry_point: Ask
initial_context: [counter]
max_visits: ${MAX_VISITS_LIMIT}
nodes:
  Ask:
    type: async_request
    capability_id: 'bench#step'
    input_keys: [counter]
    request_output_keys: [counter]
    on_response: Route
  Route:
    type: choice
    choices:
      - when: 'counter < ${limit}'
        next: Ask
    default: Done
  Done:
    type: end
    output_keys: [counter]
`,
  };
}

/**
 * The fan-out example's shape at any width: `Task_A`, then `width` branches of one async_request each in
 * parallel, joined by `Task_C`, then `Done`. Every request has a 15-minute timeout, as in the example.
 */
export function fanOut(width: number): BenchWorkflow {
  const workflowId = `bench_fanout_w${width}_v1`;
  const branches = Array.from({ length: width }, (_, i) => `B_${pad(i + 1)}`);
  const branchNodes = branches
    .map(
      (name) => `  ${name}:
    type: async_request
    capability_id: 'bench#branch'
    input_keys: [shipmentId, a_result]
    request_output_keys: [${name.toLowerCase()}_result]
    on_response: Task_C
    timeout: 15m
`,
    )
    .join('');
  return {
    workflowId,
    text: `workflow_name: 'Bench: fan-out of width ${width}'
workflow_id: '${workflowId}'
entry_point: Task_A
initial_context: [shipmentId]
nodes:
  Task_A:
    type: async_request
    capability_id: 'bench#prepare'
    input_keys: [shipmentId]
    request_output_keys: [a_result]
    on_response: Fan_Out
    timeout: 15m
  Fan_Out:
    type: parallel
    branches: [${branches.join(', ')}]
    join: Task_C
${branchNodes}  Task_C:
    type: async_request
    capability_id: 'bench#file'
    input_keys: [shipmentId]
    request_output_keys: [c_result]
    on_response: Done
    timeout: 15m
  Done:
    type: end
`,
  };
}

/**
 * `steps` async_requests in a row, each a node of its own, then `Done`. By default each has a 15-minute
 * timeout and its reply adds a key of its own to the context (as a real workflow's steps do); `lean`: no
 * timeout, and every reply rewrites the same key, so only the number of distinct nodes grows.
 */
export function asyncChain(steps: number, options: { lean?: boolean } = {}): BenchWorkflow {
  const lean = options.lean === true;
  const workflowId = `bench_chain_${steps}${lean ? '_lean' : ''}_v1`;
  const names = Array.from({ length: steps }, (_, i) => `Step_${pad(i + 1)}`);
  const nodes = names
    .map(
      (name, i) => `  ${name}:
    type: async_request
    capability_id: 'bench#step'
    input_keys: [shipmentId]
    request_output_keys: [${lean ? 'result' : `${name.toLowerCase()}_result`}]
    on_response: ${names[i + 1] ?? 'Done'}
${lean ? '' : '    timeout: 15m\n'}`,
    )
    .join('');
  return {
    workflowId,
    text: `workflow_name: 'Bench: ${steps} async steps in a row'
workflow_id: '${workflowId}'
entry_point: ${names[0]}
initial_context: [shipmentId]
nodes:
${nodes}  Done:
    type: end
`,
  };
}

/** `steps` sync_calls of `core-process-response` in a row: one START runs them all. */
export function syncChain(steps: number): BenchWorkflow {
  const workflowId = `bench_sync_chain_${steps}_v1`;
  const names = Array.from({ length: steps }, (_, i) => `Sync_${pad(i + 1, 2)}`);
  const nodes = names
    .map(
      (name, i) => `  ${name}:
    type: sync_call
    capability_id: 'core-process-response'
    output_keys: [shipmentId]
    on_success: ${names[i + 1] ?? 'Done'}
    on_failure: Failed
`,
    )
    .join('');
  return {
    workflowId,
    text: `workflow_name: 'Bench: ${steps} sync calls in a row'
workflow_id: '${workflowId}'
entry_point: ${names[0]}
initial_context: [shipmentId]
nodes:
${nodes}  Done:
    type: end
    output_keys: [shipmentId]
  Failed:
    type: end
    status: FAILED
`,
  };
}

/** One wait of `timeout` (e.g. `7d`), then `Done`: the long-wait timer figure. */
export function longWait(timeout: string): BenchWorkflow {
  const workflowId = 'bench_long_wait_v1';
  return {
    workflowId,
    text: `workflow_name: 'Bench: one long wait'
workflow_id: '${workflowId}'
entry_point: Review
initial_context: [shipmentId]
nodes:
  Review:
    type: async_request
    capability_id: 'bench#review'
    input_keys: [shipmentId]
    request_output_keys: [decision]
    on_response: Done
    timeout: ${timeout}
    on_timeout: Expired
  Done:
    type: end
  Expired:
    type: end
    status: FAILED
`,
  };
}
