import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { END, START, StateGraph } from '@langchain/langgraph';
import { DEFAULT_MAX_VISITS, type WorkflowDefinition } from '../definition/workflow-schema';
import { BranchStructure, TOP, type Scope } from './branch-structure';
import type { EngineDependencies } from './engine-dependencies';
import { mapStart, mapWait } from './map-node';
import * as kinds from './node-kinds';
import {
  BRANCH_FAILED_NODE,
  branchNodeName,
  FAIL_NODE,
  joinGateName,
  retryNodeName,
  Routing,
  TERMINATE_NODE_PREFIX,
  waitNodeName,
} from './routing';
import { WorkflowState, type WorkflowStateValue } from './workflow-state';

/**
 * Compiles a validated definition into a LangGraph graph over `WorkflowState`:
 * - async_request X becomes X (records the wait) -> __wait__X (interrupts until the reply or timeout);
 * - each branch of a parallel P is a subgraph of its own, run by a node of P's graph, so a branch moves
 *   on as soon as its own reply arrives instead of waiting for its siblings' supersteps; a waiting edge
 *   from all of P's branch nodes runs P's gate once, which goes to the join (or to P's failure route);
 * - choice, sync_call, the second half of async_request and the gates route with `Command({ goto })`;
 * - end nodes and __fail__ record the outcome and go to END.
 */
export function compileWorkflow(
  definition: WorkflowDefinition,
  deps: EngineDependencies,
  checkpointer: BaseCheckpointSaver,
) {
  const branches = new BranchStructure(definition);
  const ctx: kinds.NodeBuildContext = {
    deps,
    routing: new Routing(definition, branches),
    branches,
    visitLimit: (name) => visitLimitOf(definition, name),
  };
  const readers = new Map<string, BranchReader>();
  const top = buildScope(definition, TOP, ctx, { checkpointer, readers });
  const graph = top.compile({ checkpointer, name: definition.workflow_id }) as unknown as CompiledGraphOf;
  return Object.assign(graph, { branchReaders: readers, recursionLimit: recursionLimitOf(definition) });
}

/**
 * Node types compiled as two LangGraph nodes joined by a static edge: X (records the wait) -> __wait__X
 * (interrupts until the answer). Whatever resumes at X by `goto` must be written as __wait__X, which has no
 * static edge: written as X, the edge would run __wait__X beside X, before X recorded the wait.
 */
export const TWO_NODE_TYPES: ReadonlySet<WorkflowDefinition['nodes'][string]['type']> = new Set([
  'async_request',
  'sub_workflow',
]);

/** How many times `name` may run in one instance: its own max_visits, else the definition's, else the default. */
export function visitLimitOf(definition: WorkflowDefinition, name: string): number {
  const node = definition.nodes[name];
  const own = node && 'max_visits' in node ? node.max_visits : undefined;
  return own ?? definition.max_visits ?? DEFAULT_MAX_VISITS;
}

/**
 * LangGraph's bound on supersteps per run (its default, 25, stops a chain of 25 sync steps in one message): above what
 * the nodes' visit limits allow, each node being at most three LangGraph nodes (a request, its wait, its
 * retry), so a loop that never exits fails with MAX_VISITS_EXCEEDED, never with LangGraph's error.
 */
function recursionLimitOf(definition: WorkflowDefinition): number {
  const visits = Object.keys(definition.nodes).reduce((sum, name) => sum + visitLimitOf(definition, name), 0);
  return 3 * visits + 10;
}

/**
 * A branch subgraph compiled with the checkpointer, to read a running branch's own state (its steps and
 * failures reach the parent only when it ends). Keyed by the branch runner's node name.
 */
export interface BranchReader {
  getState(config: {
    configurable: { thread_id: string; checkpoint_ns: string };
  }): Promise<{ values: unknown; tasks: readonly BranchTask[] }>;
}

interface BranchTask {
  readonly id: string;
  readonly name: string;
  readonly result?: unknown;
}

/** One scope's graph: the top level (entry_point) or a branch (its first node). */
function buildScope(
  definition: WorkflowDefinition,
  scope: Scope,
  ctx: kinds.NodeBuildContext,
  reading: { checkpointer: BaseCheckpointSaver; readers: Map<string, BranchReader> },
): UntypedGraph {
  const { routing, branches } = ctx;
  // LangGraph's builder types track node names statically; ours come from YAML, so the builder is untyped.
  const graph = new StateGraph(WorkflowState) as unknown as UntypedGraph;
  const targets = new Set<string>();
  const add = (name: string, fn: kinds.NodeFn, ends?: string[]) => {
    for (const end of ends ?? []) targets.add(end);
    graph.addNode(name, fn, ends ? { ends } : undefined);
  };

  for (const name of branches.nodesIn(scope)) {
    const node = definition.nodes[name];
    if (!node) continue;
    switch (node.type) {
      case 'async_request':
        add(name, kinds.asyncRequestPrepare(name, node, ctx));
        add(
          waitNodeName(name),
          kinds.asyncRequestWait(name, node, ctx),
          routing
            .possibleTargets(name, [node.on_response, node.on_failure, node.on_timeout], true)
            .concat(END, node.retry ? [retryNodeName(name)] : []),
        );
        graph.addEdge(name, waitNodeName(name));
        if (node.retry) add(retryNodeName(name), kinds.retryWait(name, ctx), [name, END]);
        break;
      case 'sync_call':
        add(
          name,
          kinds.syncCall(name, node, ctx),
          routing
            .possibleTargets(name, [node.on_success, node.on_failure], true)
            .concat(node.retry ? [retryNodeName(name)] : []),
        );
        if (node.retry) add(retryNodeName(name), kinds.retryWait(name, ctx), [name, END]);
        break;
      case 'choice':
        add(
          name,
          kinds.choice(name, node, ctx),
          routing.possibleTargets(name, [...node.choices.map((c) => c.next), node.default], true),
        );
        break;
      case 'parallel': {
        add(name, kinds.parallel(name, ctx));
        const runners = node.branches.map((branch) => {
          const runner = branchNodeName(name, branch);
          const builder = buildScope(definition, { kind: 'branch', parallel: name, branch }, ctx, reading);
          add(runner, kinds.branchRunner(builder.compile({}), { parallel: name, branch }, branches));
          reading.readers.set(runner, builder.compile({ checkpointer: reading.checkpointer }) as never);
          graph.addEdge(name, runner);
          return runner;
        });
        const gateTargets = [
          routing.target(name, node.join),
          routing.parallelFailureTarget(name),
          ...branches.sharedEndsOf(name).map((end) => routing.target(name, end)),
          END,
        ];
        add(joinGateName(name), kinds.joinGate(name, node.join, ctx), [...new Set(gateTargets)]);
        graph.addEdge(runners, joinGateName(name));
        break;
      }
      case 'set':
        add(
          name,
          kinds.setNode(name, node, ctx),
          routing.possibleTargets(name, [node.next, node.on_failure], true),
        );
        break;
      case 'wait': {
        const onward = routing.possibleTargets(name, [node.next, node.on_failure], true);
        add(name, kinds.waitStart(name, node, ctx), [...onward, waitNodeName(name)]);
        add(
          waitNodeName(name),
          kinds.waitTimer(name, node, ctx),
          routing.possibleTargets(name, [node.next], true).concat(END),
        );
        break;
      }
      case 'sub_workflow':
        add(name, kinds.subWorkflowStart(name, node, ctx));
        add(
          waitNodeName(name),
          kinds.asyncRequestWait(name, kinds.awaitingChild(node), ctx),
          routing.possibleTargets(name, [node.next, node.on_failure, node.on_timeout], true).concat(END),
        );
        graph.addEdge(name, waitNodeName(name));
        break;
      case 'map':
        add(name, mapStart(name, node, ctx), [
          waitNodeName(name),
          ...routing.possibleTargets(name, [node.next, node.on_failure], true),
        ]);
        add(
          waitNodeName(name),
          mapWait(name, node, ctx),
          routing.possibleTargets(name, [node.next, node.on_failure], true).concat(END, waitNodeName(name)),
        );
        break;
      case 'end':
        add(name, kinds.endNode(name, node, ctx), [END]);
        break;
    }
  }
  // Failure exits exist only where something can fail into them (LangGraph rejects unreachable nodes).
  if (targets.has(FAIL_NODE)) add(FAIL_NODE, kinds.failNode(), [END]);
  if (targets.has(BRANCH_FAILED_NODE) && scope.kind === 'branch') {
    add(BRANCH_FAILED_NODE, kinds.branchFailedNode(scope.parallel), [END]);
  }
  if (scope.kind === 'branch') addTerminateNodes(definition, scope, ctx, targets, add);
  if (scope.kind === 'top') {
    graph.addEdge(START, definition.entry_point);
    return graph;
  }
  // A branch starts at its first node, unless it is resumed where it stopped (see `branchRunner`): at the
  // step it stopped at, or inside the parallel nested in it that it stopped in (all of that parallel's
  // runners, each of which resumes or skips its own branch).
  const key = branchNodeName(scope.parallel, scope.branch);
  const entriesOf = (name: string): string[] => {
    const node = definition.nodes[name];
    return node?.type === 'parallel' ? node.branches.map((b) => branchNodeName(name, b)) : [name];
  };
  const entries = new Set([scope.branch, ...branches.nodesIn(scope).flatMap(entriesOf)]);
  graph.addConditionalEdges(
    START,
    (state: WorkflowStateValue) => {
      const stop = state.stopped?.[key];
      return stop ? entriesOf(stop.node) : scope.branch;
    },
    [...entries],
  );
  return graph;
}

/** A branch's exit to each shared end a step of it (or a gate of a parallel nested in it) goes to. */
function addTerminateNodes(
  definition: WorkflowDefinition,
  scope: Extract<Scope, { kind: 'branch' }>,
  ctx: kinds.NodeBuildContext,
  targets: ReadonlySet<string>,
  add: (name: string, fn: kinds.NodeFn, ends?: string[]) => void,
): void {
  for (const target of [...targets]) {
    if (!target.startsWith(TERMINATE_NODE_PREFIX)) continue;
    const end = target.slice(TERMINATE_NODE_PREFIX.length);
    const node = definition.nodes[end];
    if (node?.type !== 'end') continue;
    add(target, kinds.terminateNode(end, scope, node.status ?? 'SUCCEEDED', ctx), [END]);
  }
}

export type CompiledWorkflow = ReturnType<typeof compileWorkflow>;

interface UntypedGraph {
  addNode(name: string, fn: kinds.NodeFn, options?: { ends?: string[] }): UntypedGraph;
  addEdge(from: string | string[], to: string): UntypedGraph;
  addConditionalEdges(
    from: string,
    route: (state: WorkflowStateValue) => string | string[],
    targets: string[],
  ): UntypedGraph;
  compile(options: { checkpointer?: BaseCheckpointSaver; name?: string }): {
    invoke(input: never, config: never): Promise<unknown>;
  };
}

type CompiledGraphOf = ReturnType<StateGraph<typeof WorkflowState.spec>['compile']>;
