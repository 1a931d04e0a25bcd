import type { PathSegment } from '../definition/diagnostic';
import type { WorkflowDefinition, WorkflowNode } from '../definition/workflow-schema';
import type { BranchStructure } from '../graph/branch-structure';
import type { AslProblem } from './asl-problem';

/** The context keys a node's step can write; `any`: keys the definition does not name (a reply's). */
export function writtenKeys(node: WorkflowNode): readonly string[] | 'any' {
  switch (node.type) {
    case 'async_request':
      return node.result ? Object.keys(node.result) : (node.request_output_keys ?? 'any');
    case 'sync_call':
      return node.result ? Object.keys(node.result) : (node.output_keys ?? 'any');
    case 'set':
      return Object.keys(node.values);
    case 'sub_workflow':
      return node.result ? Object.keys(node.result) : 'any';
    case 'map':
      return [node.output_key];
    case 'choice':
    case 'wait':
    case 'parallel':
    case 'end':
      return [];
  }
}

/**
 * The parallels a branch's step to the shared end `end` leaves early (innermost first): every one
 * enclosing `from`, up to the one whose join `end` is (that one's branch just ends, as at its join).
 */
export function parallelsLeft(
  definition: WorkflowDefinition,
  branches: BranchStructure,
  from: string,
  end: string,
): { readonly parallel: string; readonly branch: string }[] {
  const left: { parallel: string; branch: string }[] = [];
  for (const m of branches.enclosing(from)) {
    const node = definition.nodes[m.parallel];
    if (node?.type === 'parallel' && node.join === end) break;
    left.push({ parallel: m.parallel, branch: m.branch });
  }
  return left;
}

/**
 * Why a step from `from` to the shared end `end` cannot be exported, if it cannot. Step Functions stops
 * the sibling branches the only way it can, by failing the branch (the Parallel then drops every
 * branch's result), so the end sees the terminating branch's state alone, where the engine's sees what
 * every branch changed. The end's outcome is the same exactly when no sibling branch of a parallel left
 * early can write one of the end's `output_keys` (its status and error come from the terminating branch
 * in both modes); otherwise this refuses, naming the sibling step and the key.
 */
export function sharedEndProblem(
  definition: WorkflowDefinition,
  branches: BranchStructure,
  from: string,
  end: string,
  path: readonly PathSegment[],
): AslProblem | undefined {
  const endNode = definition.nodes[end];
  const outputs = endNode?.type === 'end' ? (endNode.output_keys ?? []) : [];
  if (outputs.length === 0) return undefined;
  for (const left of parallelsLeft(definition, branches, from, end)) {
    const parallel = definition.nodes[left.parallel];
    if (parallel?.type !== 'parallel') continue;
    for (const sibling of parallel.branches.filter((b) => b !== left.branch)) {
      for (const [name, node] of Object.entries(definition.nodes)) {
        const inSibling = branches
          .enclosing(name)
          .some((m) => m.parallel === left.parallel && m.branch === sibling);
        if (!inSibling) continue;
        const keys = writtenKeys(node);
        const key = keys === 'any' ? outputs[0] : outputs.find((k) => keys.includes(k));
        if (key === undefined) continue;
        const writes =
          keys === 'any' ? `may write any context key (it names none)` : `writes output key '${key}'`;
        return {
          code: 'asl-shared-end',
          node: from,
          path,
          message: `node ${from} goes to end node ${end}, outside parallel ${left.parallel} (a shared end), and node ${name} in sibling branch ${sibling} ${writes} of ${end}; Step Functions stops the siblings by failing the branch, which drops their changes, so ${end}'s output could differ from the engine's (route the branch to its join and decide after it, or keep ${end}'s output keys out of the sibling branches)`,
        };
      }
    }
  }
  return undefined;
}
