import { edgesOf } from '../definition/node-edges';
import type { WorkflowDefinition } from '../definition/workflow-schema';

/** Where a node sits inside a parallel: the parallel, and which of its branches. */
export interface BranchMembership {
  readonly parallel: string;
  readonly branch: string;
  readonly size: number;
}

/**
 * The parallel structure of a validated definition: for every node, the branches it belongs to (innermost
 * first), and for every join, the parallel that owns it. Validation guarantees branches are disjoint and
 * every branch reaches its join without passing an end.
 */
export class BranchStructure {
  private readonly memberships = new Map<string, BranchMembership[]>();
  private readonly joinOwners = new Map<string, string>();

  constructor(private readonly definition: WorkflowDefinition) {
    const successors = new Map<string, string[]>();
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
            if (next !== node.join && !members.has(next)) {
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

  /** The parallel whose join `node` is, if any. */
  joinOwner(node: string): string | undefined {
    return this.joinOwners.get(node);
  }

  /** The branches of the parallel that owns `join`. */
  branchesOfJoin(join: string): readonly string[] {
    const owner = this.joinOwners.get(join);
    const node = owner === undefined ? undefined : this.definition.nodes[owner];
    return node?.type === 'parallel' ? node.branches : [];
  }
}
