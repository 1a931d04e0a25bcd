import { END } from '@langchain/langgraph';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import type { BranchStructure, Scope } from './branch-structure';

/** LangGraph node names the compiler adds; user node names start with a letter, so these cannot clash. */
export const FAIL_NODE = '__fail__';
export const BRANCH_FAILED_NODE = '__branch_failed__';
export const waitNodeName = (node: string): string => `__wait__${node}`;
/** Where a node with a retry policy waits, on a durable timer, before its next attempt. */
export const retryNodeName = (node: string): string => `__retry__${node}`;
export { BRANCH_NODE_PREFIX, branchNodeName } from '../definition/reserved-node-names';
export const joinGateName = (parallel: string): string => `__gate__${parallel}`;
/** Where a branch that reaches the end node `end` (outside its parallel) stops: see `terminateNode`. */
export const TERMINATE_NODE_PREFIX = '__terminate__';
export const terminateNodeName = (end: string): string => `${TERMINATE_NODE_PREFIX}${end}`;

/**
 * Turns a definition's `next` references into LangGraph targets within the scope a node is compiled in.
 * Inside a branch, a step into the parallel's join ends the branch subgraph; a failure with no route of
 * its own ends it through `__branch_failed__`, which the parallel's gate then routes to `on_failure`; a
 * step into an end node (always outside the branch) ends it through `__terminate__<end>`, which the gate
 * then routes to that end.
 */
export class Routing {
  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly branches: BranchStructure,
  ) {}

  target(from: string, to: string): string {
    const scope = this.branches.scopeOf(from);
    if (scope.kind === 'branch' && this.joinOf(scope.parallel) === to) return END;
    // End nodes are compiled at the top level only: from inside a branch, one is a shared end.
    if (scope.kind === 'branch' && this.definition.nodes[to]?.type === 'end') return terminateNodeName(to);
    return to;
  }

  /** Where a failure without its own route goes: the branch's failure exit, or the workflow fails. */
  failureTarget(from: string, own: string | undefined): string {
    if (own !== undefined) return this.target(from, own);
    return this.scopeFailure(this.branches.scopeOf(from));
  }

  /** Where a parallel's failed branch leads: its `on_failure`, else the failure of its own scope. */
  parallelFailureTarget(parallel: string): string {
    const node = this.definition.nodes[parallel];
    const own = node?.type === 'parallel' ? node.on_failure : undefined;
    return this.failureTarget(parallel, own);
  }

  scopeFailure(scope: Scope): string {
    return scope.kind === 'branch' ? BRANCH_FAILED_NODE : FAIL_NODE;
  }

  /** Every target a node may go to, for LangGraph's `ends` (drawing and validation). */
  possibleTargets(from: string, targets: readonly (string | undefined)[], canFail: boolean): string[] {
    const out = new Set<string>();
    for (const t of targets) if (t !== undefined) out.add(this.target(from, t));
    if (canFail) out.add(this.failureTarget(from, undefined));
    return [...out];
  }

  private joinOf(parallel: string): string | undefined {
    const node = this.definition.nodes[parallel];
    return node?.type === 'parallel' ? node.join : undefined;
  }
}
