import type { EndNode } from '../definition/workflow-schema';
import type { FinishPayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, helperState, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<FinishPayload, 'state'> & { readonly 'state.$': '$' };

/**
 * end E: a SUCCEEDED end without output keys is a Succeed state (the execution's output is the state);
 * otherwise Task E, where the steps Lambda computes the engine's outcome (the output keys the context
 * has; for FAILED, the last error or FAILED), at `$.outcome`. A SUCCEEDED one ends there; a FAILED one
 * goes on to the Fail state `E.fail`, which ends the execution with the outcome's code and, as cause, the
 * whole error (and output) as JSON.
 */
export function compileEnd(states: ScopeStates, name: string, node: EndNode): void {
  const status = node.status ?? 'SUCCEEDED';
  const comment = node.title ? { Comment: node.title } : {};
  if (status === 'SUCCEEDED' && node.output_keys === undefined) {
    states.add(name, { Type: 'Succeed', ...comment });
    return;
  }
  const payload: Payload = {
    action: 'finish',
    node: name,
    status,
    ...(node.output_keys ? { output_keys: [...node.output_keys] } : {}),
    'state.$': '$',
  };
  const fail = status === 'FAILED' ? states.helper(name, helperState.fail(name)) : undefined;
  states.add(name, {
    Type: 'Task',
    ...comment,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    OutputPath: '$.Payload',
    Retry: [TRANSIENT_RETRIER],
    ...(fail ? { Next: fail } : { End: true }),
  });
  if (fail) {
    states.add(fail, {
      Type: 'Fail',
      Comment: `Ends the workflow FAILED at ${name}`,
      ErrorPath: '$.outcome.error.code',
      CausePath: '$.outcome.cause',
    });
  }
}
