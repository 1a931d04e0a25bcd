import { edgesOf } from '../definition/node-edges';
import type { WorkflowDefinition } from '../definition/workflow-schema';

/** Where a node sits inside a parallel: the parallel, and which of its branches. */
export interface BranchMembership {
  readonly parallel: string;
  readonly branch: string;
  readonly size: number;
}

/** A graph scope: the top level, or one branch of one parallel (compiled as its own subgraph). */
export type Scope =
  { readonly kind: 'top' } | { readonly kind: 'branch'; readonly parallel: string; readonly branch: string };

export const TOP: Scope = { kind: 'top' };

/**
 * The parallel structure of a validated definition: for every node, the branches it belongs to (innermost
 * first), the scope it is compiled in, and for every join, the parallel that owns it. Validation
 * guarantees branches are disjoint and every branch reaches its join. End nodes belong to no branch (they
 * are compiled at the top level): a branch that reaches one ends the instance there (see `sharedEndsOf`).
 */
export class BranchStructure {
  private readonly memberships = new Map<string, BranchMembership[]>();
  private readonly joinOwners = new Map<string, string>();
  private readonly successors = new Map<string, string[]>();

  constructor(private readonly definition: WorkflowDefinition) {
    const successors = this.successors;
    for (const [name, node] of Object.entries(definition.nodes)) {
      successors.set(
        name,
        edgesOf(name, node).map((e) => e.to),
      );
    }
    for (const [name, node] of Object.entries(definition.nodes)) {
      if (node.type !== 'parallel') continue;
      this.joinOwners.set(node.join, name);
      for (const branch of node.branches) {
        const members = new Set<string>([branch]);
        const queue = [branch];
        while (queue.length > 0) {
          const current = queue.shift() as string;
          for (const next of successors.get(current) ?? []) {
            // An end node is never a branch's own: a branch reaching one ends the instance there (a shared end).
            if (next !== node.join && !members.has(next) && definition.nodes[next]?.type !== 'end') {
              members.add(next);
              queue.push(next);
            }
          }
        }
        for (const member of members) {
          const list = this.memberships.get(member) ?? [];
          list.push({ parallel: name, branch, size: members.size });
          this.memberships.set(member, list);
        }
      }
    }
    for (const list of this.memberships.values()) list.sort((a, b) => a.size - b.size);
  }

  /** The parallels a node runs inside, innermost first. */
  enclosing(node: string): readonly BranchMembership[] {
    return this.memberships.get(node) ?? [];
  }

  /** The scope a node is compiled in: its innermost branch, or the top level. */
  scopeOf(node: string): Scope {
    const inner = this.enclosing(node)[0];
    return inner ? { kind: 'branch', parallel: inner.parallel, branch: inner.branch } : TOP;
  }

  /** The nodes compiled in `scope`. */
  nodesIn(scope: Scope): string[] {
    return Object.keys(this.definition.nodes).filter((name) => sameScope(this.scopeOf(name), scope));
  }

  /**
   * The branches of every parallel nested anywhere inside `within`: a branch scope, or a parallel (then its
   * own branches count too).
   */
  branchesWithin(within: {
    readonly parallel: string;
    readonly branch?: string;
  }): { readonly parallel: string; readonly branch: string }[] {
    const out: { parallel: string; branch: string }[] = [];
    for (const [name, node] of Object.entries(this.definition.nodes)) {
      if (node.type !== 'parallel') continue;
      const inside =
        (within.branch === undefined && name === within.parallel) ||
        this.enclosing(name).some(
          (m) =>
            m.parallel === within.parallel && (within.branch === undefined || m.branch === within.branch),
        );
      if (inside) for (const branch of node.branches) out.push({ parallel: name, branch });
    }
    return out;
  }

  /**
   * The end nodes a branch of `parallel` (or of a parallel nested in one) can go to: shared ends, each of
   * which, reached from inside, ends the instance after the other branches are stopped. The list may also
   * hold an end that is the join of `parallel` or of a parallel around it, which is no shared end: the
   * gate's route to it is `Routing.target`'s, which checks for the scope's own join before end nodes, so
   * that entry only repeats the gate's route to the join (or to the end of the enclosing branch).
   */
  sharedEndsOf(parallel: string): string[] {
    const ends = new Set<string>();
    for (const [member, list] of this.memberships) {
      if (!list.some((m) => m.parallel === parallel)) continue;
      for (const next of this.successors.get(member) ?? []) {
        if (this.definition.nodes[next]?.type === 'end') ends.add(next);
      }
    }
    return [...ends];
  }

  /** The parallel whose join `node` is, if any. */
  joinOwner(node: string): string | undefined {
    return this.joinOwners.get(node);
  }
}

export function sameScope(a: Scope, b: Scope): boolean {
  if (a.kind === 'top' || b.kind === 'top') return a.kind === b.kind;
  return a.parallel === b.parallel && a.branch === b.branch;
}
