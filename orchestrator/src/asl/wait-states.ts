import type { WaitNode } from '../definition/workflow-schema';
import type { WaitUntilPayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, helperState, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';
import { catchTo } from './set-states';
import { wholeSeconds } from './whole-seconds';

type Payload = Omit<WaitUntilPayload, 'context'> & { readonly 'context.$': '$.context' };

/**
 * wait X with `duration` becomes the Wait state X (`Seconds`; a duration that is not whole seconds is
 * refused). With `until`: Task X, where the steps Lambda evaluates `until` by the engine's rules (a
 * failing expression with its code, no time or one over a year away with INVALID_WAIT, to `on_failure`
 * or out of the scope) and writes the time at `$.wait.until`, then the Wait state `X.wait` waits until
 * it (a past time: it goes straight on, as the engine does).
 */
export function compileWait(states: ScopeStates, name: string, node: WaitNode): void {
  const comment = node.title ? { Comment: node.title } : {};
  const next = states.flow(name, node.next, ['nodes', name, 'next']);
  if (node.duration !== undefined) {
    const seconds = wholeSeconds(node.duration);
    if (seconds === undefined) {
      states.problem({
        code: 'asl-duration-not-whole-seconds',
        node: name,
        path: ['nodes', name, 'duration'],
        message: `node ${name}: wait duration ${node.duration} is not a whole number of seconds, and a Step Functions Wait state waits whole seconds only`,
      });
    }
    states.add(name, { Type: 'Wait', ...comment, Seconds: seconds ?? 0, ...next });
    return;
  }
  const wait = states.helper(name, helperState.wait(name));
  const payload: Payload = {
    action: 'wait_until',
    node: name,
    until: node.until ?? '',
    'context.$': '$.context',
  };
  states.add(name, {
    Type: 'Task',
    ...comment,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    ResultSelector: { 'until.$': '$.Payload.until' },
    ResultPath: '$.wait',
    Retry: [TRANSIENT_RETRIER],
    ...catchTo(states, name, node.on_failure),
    Next: wait,
  });
  states.add(wait, {
    Type: 'Wait',
    Comment: `Waits until the time ${name} computed`,
    TimestampPath: '$.wait.until',
    ...next,
  });
}
