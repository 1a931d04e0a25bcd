import type { BranchStructure } from './branch-structure';
import { branchNodeName } from './routing';
import type { Context, StoppedBranch, WorkflowStateUpdate } from './workflow-state';

/**
 * Where parallel branches stop, so a redrive resumes each unfinished branch where it stopped (see
 * `StoppedBranch` and `WorkflowState.stopped`). A branch is keyed by its runner's node name.
 *
 * Written by the node a branch stops at: a step that fails into `__branch_failed__`, a wait stopped because
 * a sibling failed, the gate of a parallel nested in the branch that fails the branch or is stopped (then
 * the branch resumes inside that parallel). Cleared by the branch's runner when the branch completes, by
 * the parallel's fan-out when it starts, and by its gate on the way to the join.
 */

/** The record that the branch `node` is compiled in stopped at `node`, with `context`; none at top level. */
export function stopAt(
  branches: BranchStructure,
  node: string,
  context: Context,
): Pick<WorkflowStateUpdate, 'stopped'> {
  const scope = branches.scopeOf(node);
  if (scope.kind === 'top') return {};
  return { stopped: { [branchNodeName(scope.parallel, scope.branch)]: { node, context: { ...context } } } };
}

/** The update that deletes whichever of `keys` `stopped` holds; none when it holds none. */
export function clearStops(
  keys: readonly string[],
  stopped: Readonly<Record<string, StoppedBranch>> | undefined,
): Pick<WorkflowStateUpdate, 'stopped'> {
  const present = keys.filter((key) => stopped?.[key] !== undefined);
  if (present.length === 0) return {};
  return { stopped: Object.fromEntries(present.map((key) => [key, null])) };
}

/** The runner names of the branches of `parallel` and of every parallel nested in them. */
export function stopKeysOf(branches: BranchStructure, parallel: string): string[] {
  return branches.branchesWithin({ parallel }).map((b) => branchNodeName(b.parallel, b.branch));
}

/** The runner names of the branches of every parallel nested in the branch `branch` of `parallel`. */
export function stopKeysInside(branches: BranchStructure, parallel: string, branch: string): string[] {
  return branches.branchesWithin({ parallel, branch }).map((b) => branchNodeName(b.parallel, b.branch));
}
