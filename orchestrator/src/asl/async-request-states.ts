import type { AsyncRequestNode } from '../definition/workflow-schema';
import { INPUT_MAPPING_FAILED, MISSING_OUTPUT_KEYS, UNDELIVERABLE_ERROR } from '../step-functions/step-error';
import type { MapReplyPayload } from '../step-functions/step-payloads';
import type { Catcher, JsonValue } from './asl-types';
import {
  FUNCTION_ARN_PLACEHOLDERS,
  helperState,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  placeholder,
} from './asl-names';
import type { ScopeStates } from './compile-scope';
import { policyRetriers, TRANSIENT_RETRIER } from './lambda-retries';

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
 * - an undeliverable request fails the scope, past `on_failure`, as in the engine;
 * - `input`: the request Lambda builds the request's input with the engine's evaluator; one it cannot
 *   build (INPUT_MAPPING_FAILED, the engine's code in the cause) is never sent nor retried, and goes to
 *   `on_failure`, else fails the scope;
 * - `result`: the task writes the reply's whole outputs at `$.reply`, then Task `X.result` (steps Lambda)
 *   checks the expected keys and merges what the mapping selects; its failures (MISSING_OUTPUT_KEYS,
 *   RESULT_MAPPING_FAILED) are never retried and go to `on_failure`, else fail the scope. The node's
 *   history entry is X.result's outcome (the engine's step ends after the mapping).
 */
export function compileAsyncRequest(
  states: ScopeStates,
  name: string,
  node: AsyncRequestNode,
  workflowId: string,
): void {
  const path = (field: string) => ['nodes', name, field];
  const timeoutSeconds = node.timeout === undefined ? undefined : states.timeoutSeconds(name, node.timeout);

  const payload: Record<string, JsonValue> = {
    'task_token.$': '$$.Task.Token',
    'instance_id.$': '$$.Execution.Name',
    workflow_id: workflowId,
    node: name,
    capability_id: node.capability_id,
    ...(node.input_keys ? { input_keys: [...node.input_keys] } : {}),
    ...(node.input !== undefined ? { input: node.input } : {}),
    ...(node.request_output_keys ? { expected_output_keys: [...node.request_output_keys] } : {}),
    ...(node.result !== undefined ? { whole_reply: true } : {}),
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
  const onFailure =
    node.on_failure === undefined ? undefined : states.target(name, node.on_failure, path('on_failure'));
  if (onFailure !== undefined) {
    catchers.push(
      { ErrorEquals: [UNDELIVERABLE_ERROR], ResultPath: '$.last_error', Next: states.failure() },
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.last_error',
        Next: onFailure,
      },
    );
  }
  const onResponse = states.flow(name, node.on_response, path('on_response'));
  let next: typeof onResponse = onResponse;
  if (node.result !== undefined) {
    const mapReply = states.helper(name, helperState.result(name));
    next = { Next: mapReply };
    const mapPayload: Omit<MapReplyPayload, 'state'> & { readonly 'state.$': '$' } = {
      action: 'map_reply',
      node: name,
      ...(node.request_output_keys ? { expected_output_keys: [...node.request_output_keys] } : {}),
      result: { ...node.result },
      'state.$': '$',
    };
    states.add(mapReply, {
      Type: 'Task',
      Comment: `Checks and maps the reply ${name} received`,
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
        Payload: mapPayload as unknown as JsonValue,
      },
      OutputPath: '$.Payload',
      Retry: [TRANSIENT_RETRIER],
      ...(onFailure !== undefined
        ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: onFailure }] }
        : {}),
      ...onResponse,
    });
  }

  states.add(name, {
    Type: 'Task',
    ...(node.title ? { Comment: node.title } : {}),
    Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
    Parameters: { FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.request), Payload: payload },
    ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
    ResultPath: node.result === undefined ? '$.context' : '$.reply',
    Retry: [
      TRANSIENT_RETRIER,
      ...policyRetriers(states, name, node.retry, [
        MISSING_OUTPUT_KEYS,
        UNDELIVERABLE_ERROR,
        INPUT_MAPPING_FAILED,
      ]),
    ],
    ...(catchers.length > 0 ? { Catch: catchers } : {}),
    ...next,
  });
}
