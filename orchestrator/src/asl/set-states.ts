import type { SetNode } from '../definition/workflow-schema';
import type { SetPayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<SetPayload, 'state'> & { readonly 'state.$': '$' };

/**
 * set X becomes Task X: the steps Lambda evaluates the `values` over the context before the step with
 * the engine's own JSONata evaluator (same limits) and returns the whole new state (`OutputPath:
 * $.Payload`). A failing expression (EXPRESSION_FAILED, EXPRESSION_TIMEOUT, ...) goes to `on_failure`,
 * else fails the scope, as in the engine.
 */
export function compileSet(states: ScopeStates, name: string, node: SetNode): void {
  const payload: Payload = { action: 'set', node: name, values: { ...node.values }, 'state.$': '$' };
  states.add(name, {
    Type: 'Task',
    ...(node.title ? { Comment: node.title } : {}),
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    OutputPath: '$.Payload',
    Retry: [TRANSIENT_RETRIER],
    ...catchTo(states, name, node.on_failure),
    ...states.flow(name, node.next, ['nodes', name, 'next']),
  });
}

/** Every failure of `name`'s Task to its `on_failure` (recorded at `$.last_error`); none: uncaught. */
export function catchTo(states: ScopeStates, name: string, onFailure: string | undefined) {
  return onFailure === undefined
    ? {}
    : {
        Catch: [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.last_error',
            Next: states.target(name, onFailure, ['nodes', name, 'on_failure']),
          },
        ],
      };
}
