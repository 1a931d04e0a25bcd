import type { ChoiceNode } from '../definition/workflow-schema';
import type { ChoosePayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, helperState, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<ChoosePayload, 'context'> & { readonly 'context.$': '$.context' };

/**
 * choice X becomes Task X, where the steps Lambda evaluates the `when` conditions with the engine's own
 * JSONata evaluator and returns the index of the first true one (-1: none), then the Choice state
 * `X.route`, whose JSONPath rules route on that index. Why not JSONata conditions in the Choice state
 * itself: docs/step-functions.md. An expression that fails fails the scope, as in the engine.
 */
export function compileChoice(states: ScopeStates, name: string, node: ChoiceNode): void {
  const route = states.helper(name, helperState.route(name));
  const payload: Payload = {
    action: 'choose',
    node: name,
    conditions: node.choices.map((c) => c.when),
    'context.$': '$.context',
  };
  states.add(name, {
    Type: 'Task',
    ...(node.title ? { Comment: node.title } : {}),
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    ResultSelector: { 'index.$': '$.Payload.index' },
    ResultPath: '$.choice',
    Retry: [TRANSIENT_RETRIER],
    Next: route,
  });
  states.add(route, {
    Type: 'Choice',
    Comment: `Routes on the condition ${name} found true`,
    Choices: node.choices.map((c, i) => ({
      Variable: '$.choice.index',
      NumericEquals: i,
      Next: states.target(name, c.next, ['nodes', name, 'choices', i, 'next']),
    })),
    Default: states.target(name, node.default, ['nodes', name, 'default']),
  });
}
