import { Command, Overwrite } from '@langchain/langgraph';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { BranchStructure } from '../graph/branch-structure';
import type { CompiledWorkflow } from '../graph/compile-workflow';
import { branchNodeName, joinGateName, waitNodeName } from '../graph/routing';
import type { InstanceRecord, RecordHistoryEntry } from './instance-record';

/** Where a redrive starts: the failed node and how the fork of the FAILED head is written. */
export interface RedrivePlan {
  /** The step that failed, which runs again. */
  readonly node: string;
  /** The FAILED top-level checkpoint the fork is written on. */
  readonly head: string;
  /** The node the fork is written as (one with no edges of its own, so only `goto` decides what runs). */
  readonly asNode: string;
  readonly goto: string | string[];
  /** Runners of the parallel branches that completed: written as having run again, so they do not. */
  readonly completedBranches: readonly string[];
}

/** What a plan may need to read, read only once the instance is known to be redrivable at all. */
export interface RedriveSources {
  readonly definition: () => Promise<WorkflowDefinition>;
  /** The instance's whole history, oldest first. */
  readonly history: () => Promise<readonly RecordHistoryEntry[]>;
}

/**
 * Where a redrive of `record` starts, or why the instance cannot be redriven.
 *
 * A step that failed inside a parallel branch: the branches that did not complete (the failed one, and
 * siblings stopped because of it) run again from their first node, the completed ones do not, and the
 * join runs once after them. Refused when that would run a completed step again (a branch to re-run
 * completed a step before it stopped) or the parallel is nested.
 */
export async function planRedrive(
  record: InstanceRecord,
  sources: RedriveSources,
): Promise<RedrivePlan | { refused: string }> {
  if (record.status !== 'FAILED') {
    return { refused: `the instance is ${record.status}; only a FAILED instance can be redriven` };
  }
  const head = record.checkpoints?.heads[''];
  if (head === undefined) {
    return {
      refused: `the instance failed before its first step (${record.error?.code ?? 'FAILED'}): start a new instance instead`,
    };
  }
  const node = record.error?.node;
  if (node === undefined) return { refused: 'its failure names no step to run again' };
  const definition = await sources.definition();
  const kind = definition.nodes[node]?.type;
  if (kind === undefined) {
    return { refused: `its failure names '${node}', which is no node of the definition` };
  }
  if (kind === 'end') return { refused: `it ended at its end node '${node}': no step failed` };
  const structure = new BranchStructure(definition);
  const enclosing = structure.enclosing(node);
  if (enclosing.length === 0) {
    // An async_request is two nodes: the fork is written as its waiting half, which routes by `goto` only.
    const asNode = kind === 'async_request' ? waitNodeName(node) : node;
    return { node, head, asNode, goto: node, completedBranches: [] };
  }
  const parallel = enclosing[0]?.parallel ?? '';
  const parallelNode = definition.nodes[parallel];
  if (enclosing.length > 1 || parallelNode?.type !== 'parallel') {
    return { refused: `the failed step '${node}' runs in nested parallels; redriving it is not supported` };
  }
  // What each branch did since the parallel last started, from the whole history.
  const history = await sources.history();
  const started = history.map((h) => h.node).lastIndexOf(parallel);
  const rerun: string[] = [];
  const completed: string[] = [];
  for (const branch of parallelNode.branches) {
    const nodes = new Set(structure.nodesIn({ kind: 'branch', parallel, branch }));
    const ran = history.slice(started + 1).filter((h) => nodes.has(h.node));
    if (ran.at(-1)?.status === 'SUCCEEDED') {
      completed.push(branch);
      continue;
    }
    const done = ran.find((h) => h.status === 'SUCCEEDED');
    if (done) {
      return {
        refused: `branch '${branch}' of parallel '${parallel}' completed '${done.node}' before it stopped, and a branch runs again from its start; redriving it would run that step again`,
      };
    }
    rerun.push(branch);
  }
  return {
    node,
    head,
    // The gate routes by `goto` only, and runs again once the branches run again have ended.
    asNode: joinGateName(parallel),
    goto: rerun.map((branch) => branchNodeName(parallel, branch)),
    completedBranches: completed.map((branch) => branchNodeName(parallel, branch)),
  };
}

/**
 * Writes the fork of `plan.head` as one superstep. Branches that completed are written as having run
 * again (their runners' writes to the join's barrier), so the join waits only for the branches that run
 * again. Nothing is adopted until the runtime commits the record.
 */
export async function writeRedriveFork(
  graph: CompiledWorkflow,
  instanceId: string,
  plan: RedrivePlan,
): Promise<void> {
  await graph.bulkUpdateState(
    { configurable: { thread_id: instanceId, checkpoint_ns: '', checkpoint_id: plan.head } },
    [
      {
        updates: [
          ...plan.completedBranches.map((runner) => ({ asNode: runner, values: {} })),
          {
            asNode: plan.asNode,
            // `outcome` keeps its first value through its reducer: only an Overwrite clears it.
            values: new Command({
              update: { outcome: new Overwrite(null), last_error: null },
              goto: plan.goto,
            }),
          },
        ],
      },
    ],
  );
}
