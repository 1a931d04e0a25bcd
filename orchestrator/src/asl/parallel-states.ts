import type { ParallelNode } from '../definition/workflow-schema';
import type { MergePayload } from '../step-functions/step-payloads';
import {
  FUNCTION_ARN_PLACEHOLDERS,
  helperState,
  LAMBDA_INVOKE,
  placeholder,
  terminateError,
} from './asl-names';
import type { Catcher, JsonValue, StateMachineBody } from './asl-types';
import type { ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

type Payload = Omit<MergePayload, 'state'> & { readonly 'state.$': '$' };

/**
 * parallel P becomes Parallel P, one branch per `branches` entry, each ending where it reaches the join;
 * their final states land at `$.branches` beside P's input, and the Task `P.merge` applies each branch's
 * changes to it (the steps Lambda, as the engine merges branch deltas: no lost update), then goes to the
 * join. A failing branch stops its siblings and fails P, whose Catch goes to `on_failure` with the
 * branch's error as `last_error`; without `on_failure` P's scope fails. A branch that reaches a shared
 * end fails the same way, with `terminateError(end)`, which P catches first (see ScopeStates.endedAt).
 */
export function compileParallel(
  states: ScopeStates,
  name: string,
  node: ParallelNode,
  compileBranch: (branch: string) => StateMachineBody,
): void {
  const merge = states.helper(name, helperState.merge(name));
  const payload: Payload = { action: 'merge', 'state.$': '$' };
  const branches = node.branches.map(compileBranch);
  // A branch that reached a shared end fails with terminateError(end): caught before `on_failure`, as
  // the engine ends there whatever the parallel's on_failure says. Uncaught (no on_failure, and the end
  // is not for this scope to reach) it fails this scope with the same error, which climbs on by itself.
  const terminations: Catcher[] = [];
  for (const end of states.branches.sharedEndsOf(name).filter((e) => e !== node.join)) {
    const here = states.scope.kind === 'top' || joinOfScope(states) === end;
    if (!here && node.on_failure === undefined) continue;
    terminations.push({
      ErrorEquals: [terminateError(end)],
      ResultPath: '$.terminated',
      Next: states.endedAt(name, end),
    });
  }
  const failure: Catcher[] =
    node.on_failure === undefined
      ? []
      : [
          {
            ErrorEquals: ['States.ALL'],
            ResultPath: '$.last_error',
            Next: states.target(name, node.on_failure, ['nodes', name, 'on_failure']),
          },
        ];
  const catchers = [...terminations, ...failure];
  states.add(name, {
    Type: 'Parallel',
    ...(node.title ? { Comment: node.title } : {}),
    Branches: branches,
    ResultPath: '$.branches',
    ...(catchers.length > 0 ? { Catch: catchers } : {}),
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

/** The join of the parallel whose branch `states` is, if it is one. */
function joinOfScope(states: ScopeStates): string | undefined {
  if (states.scope.kind === 'top') return undefined;
  const node = states.definition.nodes[states.scope.parallel];
  return node?.type === 'parallel' ? node.join : undefined;
}
