import type { ParallelNode } from '../definition/workflow-schema';
import type { MergePayload } from '../step-functions/step-payloads';
import { FUNCTION_ARN_PLACEHOLDERS, helperState, LAMBDA_INVOKE, placeholder } from './asl-names';
import type { JsonValue, StateMachineBody } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<MergePayload, 'state'> & { readonly 'state.$': '$' };

/**
 * parallel P becomes Parallel P, one branch per `branches` entry, each ending where it reaches the join;
 * their final states land at `$.branches` beside P's input, and the Task `P.merge` applies each branch's
 * changes to it (the steps Lambda, as the engine merges branch deltas: no lost update), then goes to the
 * join. A failing branch stops its siblings and fails P, whose Catch goes to `on_failure` with the
 * branch's error as `last_error`; without `on_failure` P's scope fails.
 */
export function compileParallel(
  states: ScopeStates,
  name: string,
  node: ParallelNode,
  compileBranch: (branch: string) => StateMachineBody,
): void {
  const merge = states.helper(name, helperState.merge(name));
  const payload: Payload = { action: 'merge', 'state.$': '$' };
  states.add(name, {
    Type: 'Parallel',
    ...(node.title ? { Comment: node.title } : {}),
    Branches: node.branches.map(compileBranch),
    ResultPath: '$.branches',
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
    Next: merge,
  });
  states.add(merge, {
    Type: 'Task',
    Comment: `Merges what the branches of ${name} changed`,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: payload as unknown as JsonValue,
    },
    OutputPath: '$.Payload',
    Retry: [TRANSIENT_RETRIER],
    ...states.flow(name, node.join, ['nodes', name, 'join']),
  });
}
