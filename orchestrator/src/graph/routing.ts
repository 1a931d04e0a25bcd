import type { WorkflowDefinition } from '../definition/workflow-schema';
import type { BranchStructure } from './branch-structure';

/** LangGraph node names the compiler adds; user node names start with a letter, so these cannot clash. */
export const FAIL_NODE = '__fail__';
export const waitNodeName = (node: string): string => `__wait__${node}`;
export const arrivalNodeName = (join: string, branch: string): string => `__arrive__${join}__${branch}`;

/**
 * Turns a definition's `next` references into LangGraph targets. A step into a parallel's join from inside
 * one of its branches goes to that branch's arrival node instead, and the join waits on all arrivals: so
 * the join runs once, after every branch, however each branch got there.
 */
export class Routing {
  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly branches: BranchStructure,
  ) {}

  target(from: string, to: string): string {
    const owner = this.branches.joinOwner(to);
    if (owner !== undefined) {
      const membership = this.branches.enclosing(from).find((m) => m.parallel === owner);
      if (membership) return arrivalNodeName(to, membership.branch);
    }
    return to;
  }

  /**
   * Where a failure without its own `on_failure` goes: the innermost enclosing parallel's `on_failure`
   * (outwards), else the workflow fails.
   */
  failureTarget(from: string, own: string | undefined): string {
    if (own !== undefined) return this.target(from, own);
    for (const { parallel } of this.branches.enclosing(from)) {
      const node = this.definition.nodes[parallel];
      if (node?.type === 'parallel' && node.on_failure !== undefined)
        return this.target(parallel, node.on_failure);
    }
    return FAIL_NODE;
  }

  /** Every target a node may go to, for LangGraph's `ends` (drawing and validation). */
  possibleTargets(from: string, targets: readonly (string | undefined)[], canFail: boolean): string[] {
    const out = new Set<string>();
    for (const t of targets) if (t !== undefined) out.add(this.target(from, t));
    if (canFail) out.add(this.failureTarget(from, undefined));
    return [...out];
  }
}
