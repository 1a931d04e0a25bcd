import { Command, Overwrite } from '@langchain/langgraph';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { BranchStructure } from '../graph/branch-structure';
import { TWO_NODE_TYPES, type CompiledWorkflow } from '../graph/compile-workflow';
import { branchNodeName, joinGateName, waitNodeName } from '../graph/routing';
import type { StoppedBranch, WorkflowStateValue } from '../graph/workflow-state';
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
  /** The instance's compiled graph, to read its FAILED checkpoint. */
  readonly graph: () => Promise<CompiledWorkflow>;
}

/**
 * Why `record` cannot be redriven, from the record alone and, given its definition, from the step its
 * failure names; undefined when nothing here refuses it (the checkpoint may still: see `planRedrive`).
 * `wf redrive` asks the same before it sends anything.
 */
export function redriveRefusal(record: InstanceRecord, definition?: WorkflowDefinition): string | undefined {
  if (record.status !== 'FAILED') {
    return `the instance is ${record.status}; only a FAILED instance can be redriven`;
  }
  if (record.checkpoints?.heads[''] === undefined) {
    return `the instance failed before its first step (${record.error?.code ?? 'FAILED'}): start a new instance instead`;
  }
  const node = record.error?.node;
  if (node === undefined) return 'its failure names no step to run again';
  if (definition === undefined) return undefined;
  const kind = definition.nodes[node]?.type;
  if (kind === undefined) return `its failure names '${node}', which is no node of the definition`;
  if (kind === 'end') return `it ended at its end node '${node}': no step failed`;
  return undefined;
}

/**
 * Where a redrive of `record` starts, or why the instance cannot be redriven.
 *
 * A step that failed inside a parallel branch (at any depth of nesting): the FAILED checkpoint records
 * where each branch that did not complete stopped (the failed one at the failed step, siblings stopped
 * because of it at the step they were waiting on, a branch that stopped inside a nested parallel at that
 * parallel) and its context then. The branches of the outermost parallel that stopped run again from
 * there, the completed ones do not, and the join runs once after them.
 */
export async function planRedrive(
  record: InstanceRecord,
  sources: RedriveSources,
): Promise<RedrivePlan | { refused: string }> {
  const early = redriveRefusal(record);
  if (early !== undefined) return { refused: early };
  const definition = await sources.definition();
  const refused = redriveRefusal(record, definition);
  if (refused !== undefined) return { refused };
  // Present, since redriveRefusal refused their absence.
  const head = record.checkpoints?.heads[''] as string;
  const node = record.error?.node as string;
  const kind = (definition.nodes[node] as WorkflowDefinition['nodes'][string]).type;
  const structure = new BranchStructure(definition);
  const enclosing = structure.enclosing(node);
  const outer = enclosing.at(-1);
  if (outer === undefined) {
    // A two-node step (async_request, sub_workflow): the fork is written as its waiting half, which routes
    // by `goto` only.
    const asNode = TWO_NODE_TYPES.has(kind) ? waitNodeName(node) : node;
    return { node, head, asNode, goto: node, completedBranches: [] };
  }
  const parallel = outer.parallel;
  const parallelNode = definition.nodes[parallel];
  if (parallelNode?.type !== 'parallel') {
    return { refused: `the failed step '${node}' runs in '${parallel}', which is no parallel` };
  }
  const stopped = await stoppedBranches(await sources.graph(), record.instance_id, head);
  const runners = parallelNode.branches.map((branch) => branchNodeName(parallel, branch));
  if (!runners.some((runner) => stopped[runner] !== undefined)) {
    return legacyParallelPlan(sources, structure, { node, head, parallel, enclosing });
  }
  // Each branch holding the failed step, from the outermost in, stopped at the next one in (or at the step).
  for (let i = enclosing.length - 1; i >= 0; i--) {
    const membership = enclosing[i] as (typeof enclosing)[number];
    const at = stopped[branchNodeName(membership.parallel, membership.branch)];
    const expected = i === 0 ? node : (enclosing[i - 1] as (typeof enclosing)[number]).parallel;
    if (at?.node !== expected) {
      return {
        refused: `the FAILED checkpoint does not say that branch '${membership.branch}' of parallel '${membership.parallel}' stopped at '${expected}' (it says ${at ? `'${at.node}'` : 'nothing'}), so where to resume the failed step '${node}' is unknown`,
      };
    }
  }
  return {
    node,
    head,
    // The gate routes by `goto` only, and runs again once the branches run again have ended.
    asNode: joinGateName(parallel),
    goto: runners.filter((runner) => stopped[runner] !== undefined),
    completedBranches: runners.filter((runner) => stopped[runner] === undefined),
  };
}

/**
 * An instance that failed in a parallel before the engine recorded where branches stop (its FAILED
 * checkpoint says nothing): the branches that did not complete can only run again from their first
 * nodes, which is refused when one of them completed a step (it would run again) or the parallel is
 * nested (an inner parallel's completed branches would run again).
 */
async function legacyParallelPlan(
  sources: RedriveSources,
  structure: BranchStructure,
  failed: {
    readonly node: string;
    readonly head: string;
    readonly parallel: string;
    readonly enclosing: readonly { readonly parallel: string }[];
  },
): Promise<RedrivePlan | { refused: string }> {
  const { node, head, parallel } = failed;
  const recorded =
    'its FAILED checkpoint does not record where its branches stopped (it failed on an orchestrator version that did not record it), so they could only run again from their first nodes';
  if (failed.enclosing.length > 1) {
    return {
      refused: `the failed step '${node}' runs in nested parallels and ${recorded}, which would run the completed steps of the inner parallel again`,
    };
  }
  const definition = await sources.definition();
  const parallelNode = definition.nodes[parallel];
  if (parallelNode?.type !== 'parallel') return { refused: `'${parallel}' is no parallel` };
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
        refused: `branch '${branch}' of parallel '${parallel}' completed '${done.node}' before it stopped and ${recorded}, which would run that step again`,
      };
    }
    rerun.push(branch);
  }
  return {
    node,
    head,
    asNode: joinGateName(parallel),
    goto: rerun.map((branch) => branchNodeName(parallel, branch)),
    completedBranches: completed.map((branch) => branchNodeName(parallel, branch)),
  };
}

/** Where the branches of the FAILED top-level checkpoint `head` stopped (see `StoppedBranch`). */
async function stoppedBranches(
  graph: CompiledWorkflow,
  instanceId: string,
  head: string,
): Promise<Readonly<Record<string, StoppedBranch>>> {
  const state = await graph.getState({
    configurable: { thread_id: instanceId, checkpoint_ns: '', checkpoint_id: head },
  });
  return (state.values as Partial<WorkflowStateValue>).stopped ?? {};
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
