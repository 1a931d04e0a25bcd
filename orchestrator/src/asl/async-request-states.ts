import type { AsyncRequestNode } from '../definition/workflow-schema';
import { MISSING_OUTPUT_KEYS, UNDELIVERABLE_ERROR } from '../step-functions/step-error';
import type { Catcher, JsonValue } from './asl-types';
import {
  FUNCTION_ARN_PLACEHOLDERS,
  helperState,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  placeholder,
} from './asl-names';
import type { ScopeStates } from './compile-scope';
import { policyRetriers, TRANSIENT_RETRIER } from './lambda-retries';
import { wholeSeconds } from './whole-seconds';

/**
 * async_request X becomes Task X, which invokes the request Lambda with a task token and waits: the
 * Lambda records request id -> token and sends the same ASYNC_REQ to the same queue; the reply Lambda
 * completes the task with the context merged with the reply (the task's result, at `$.context`), or fails
 * it with the reply's error code. Then, as the engine routes:
 * - `timeout`: TimeoutSeconds; the timeout becomes the engine's TIMEOUT error (state `X.timed-out`),
 *   then goes to `on_timeout`, else fails the scope;
 * - a FAILURE or a reply missing an expected key: `on_failure`, else fails the scope (uncaught, the error
 *   fails the branch or the execution, which is what the engine's default does);
 * - `retry`: a FAILURE reply is retried (a new task token, so a new request id, as the engine's new
 *   visit); a missing key or an undeliverable request never is;
 * - an undeliverable request fails the scope, past `on_failure`, as in the engine.
 */
export function compileAsyncRequest(
  states: ScopeStates,
  name: string,
  node: AsyncRequestNode,
  workflowId: string,
): void {
  const path = (field: string) => ['nodes', name, field];
  let timeoutSeconds: number | undefined;
  if (node.timeout !== undefined) {
    timeoutSeconds = wholeSeconds(node.timeout);
    if (timeoutSeconds === undefined) {
      states.problem({
        code: 'asl-duration-not-whole-seconds',
        node: name,
        path: path('timeout'),
        message: `node ${name}: timeout ${node.timeout} is not a whole number of seconds, and a Step Functions task times out after whole seconds only`,
      });
    }
  }

  const payload: Record<string, JsonValue> = {
    'task_token.$': '$$.Task.Token',
    'instance_id.$': '$$.Execution.Name',
    workflow_id: workflowId,
    node: name,
    capability_id: node.capability_id,
    ...(node.input_keys ? { input_keys: [...node.input_keys] } : {}),
    ...(node.request_output_keys ? { expected_output_keys: [...node.request_output_keys] } : {}),
    'context.$': '$.context',
  };

  const catchers: Catcher[] = [];
  if (node.timeout !== undefined) {
    const timedOut = states.helper(name, helperState.timedOut(name));
    catchers.push({ ErrorEquals: ['States.Timeout'], ResultPath: '$.last_error', Next: timedOut });
    const error = { code: 'TIMEOUT', message: `no reply within ${node.timeout}`, node: name };
    const onTimeout =
      node.on_timeout === undefined
        ? { Next: states.failure() }
        : states.flow(name, node.on_timeout, path('on_timeout'));
    states.add(timedOut, {
      Type: 'Pass',
      Comment: `${name} timed out`,
      Result: { Error: 'TIMEOUT', Cause: JSON.stringify(error) },
      ResultPath: '$.last_error',
      ...onTimeout,
    });
  }
  if (node.on_failure !== undefined) {
    catchers.push(
      { ErrorEquals: [UNDELIVERABLE_ERROR], ResultPath: '$.last_error', Next: states.failure() },
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.last_error',
        Next: states.target(name, node.on_failure, path('on_failure')),
      },
    );
  }

  states.add(name, {
    Type: 'Task',
    ...(node.title ? { Comment: node.title } : {}),
    Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
    Parameters: { FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.request), Payload: payload },
    ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
    ResultPath: '$.context',
    Retry: [
      TRANSIENT_RETRIER,
      ...policyRetriers(states, name, node.retry, [MISSING_OUTPUT_KEYS, UNDELIVERABLE_ERROR]),
    ],
    ...(catchers.length > 0 ? { Catch: catchers } : {}),
    ...states.flow(name, node.on_response, path('on_response')),
  });
}
