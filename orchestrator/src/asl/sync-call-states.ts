import type { SyncCallNode } from '../definition/workflow-schema';
import { RESULT_MAPPING_FAILED } from '../step-functions/step-error';
import type { SyncCallPayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { policyRetriers, TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<SyncCallPayload, 'state'> & { readonly 'state.$': '$' };

/**
 * sync_call X becomes Task X: the steps Lambda runs one attempt of the same sync capability registry and
 * returns the whole new state (`OutputPath: $.Payload`), its `result` mapping applied there as the engine
 * applies it. A failure is retried by the node's policy (never when the capability is unknown or the
 * `result` mapping failed, as in the engine), then goes to `on_failure` or fails the scope.
 */
export function compileSyncCall(states: ScopeStates, name: string, node: SyncCallNode): void {
  const payload: Payload = {
    action: 'sync_call',
    node: name,
    capability_id: node.capability_id,
    ...(node.with ? { with: node.with } : {}),
    ...(node.output_keys ? { output_keys: [...node.output_keys] } : {}),
    ...(node.result ? { result: { ...node.result } } : {}),
    'state.$': '$',
  };
  states.add(name, {
    Type: 'Task',
    ...(node.title ? { Comment: node.title } : {}),
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    OutputPath: '$.Payload',
    Retry: [
      TRANSIENT_RETRIER,
      ...policyRetriers(states, name, node.retry, ['UNKNOWN_CAPABILITY', RESULT_MAPPING_FAILED]),
    ],
    ...(node.on_failure !== undefined
      ? {
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              ResultPath: '$.last_error',
              Next: states.target(name, node.on_failure, ['nodes', name, 'on_failure']),
            },
          ],
        }
      : {}),
    ...states.flow(name, node.on_success, ['nodes', name, 'on_success']),
  });
}
