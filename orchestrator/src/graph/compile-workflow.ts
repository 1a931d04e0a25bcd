import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { END, START, StateGraph } from '@langchain/langgraph';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { BranchStructure } from './branch-structure';
import type { EngineDependencies } from './engine-dependencies';
import * as kinds from './node-kinds';
import { arrivalNodeName, FAIL_NODE, Routing, waitNodeName } from './routing';
import { WorkflowState } from './workflow-state';

/**
 * Compiles a validated definition into a LangGraph graph over `WorkflowState`:
 * - async_request X becomes X (records the wait) -> __wait__X (interrupts until the reply);
 * - parallel P has static edges to each branch; each branch enters the join J through its own arrival
 *   node, and a waiting edge from all arrivals runs J once, after every branch;
 * - choice, sync_call and the second half of async_request route with `Command({ goto })`;
 * - end nodes and __fail__ record the outcome and go to END.
 */
export function compileWorkflow(
  definition: WorkflowDefinition,
  deps: EngineDependencies,
  checkpointer: BaseCheckpointSaver,
) {
  const branches = new BranchStructure(definition);
  const routing = new Routing(definition, branches);
  const ctx = { deps, routing };
  // LangGraph's builder types track node names statically; ours come from YAML, so the builder is untyped.
  const graph = new StateGraph(WorkflowState) as unknown as UntypedGraph;

  graph.addNode(FAIL_NODE, kinds.failNode(), { ends: [END] });
  for (const [name, node] of Object.entries(definition.nodes)) {
    switch (node.type) {
      case 'async_request':
        graph.addNode(name, kinds.asyncRequestPrepare(name, node, ctx));
        graph.addNode(waitNodeName(name), kinds.asyncRequestWait(name, node, ctx), {
          ends: routing.possibleTargets(name, [node.on_response, node.on_failure, node.on_timeout], true),
        });
        graph.addEdge(name, waitNodeName(name));
        break;
      case 'sync_call':
        graph.addNode(name, kinds.syncCall(name, node, ctx), {
          ends: routing.possibleTargets(name, [node.on_success, node.on_failure], true),
        });
        break;
      case 'choice':
        graph.addNode(name, kinds.choice(name, node, ctx), {
          ends: routing.possibleTargets(name, [...node.choices.map((c) => c.next), node.default], true),
        });
        break;
      case 'parallel':
        graph.addNode(name, kinds.parallel(name, ctx));
        for (const branch of node.branches) graph.addEdge(name, branch);
        break;
      case 'end':
        graph.addNode(name, kinds.endNode(name, node, ctx), { ends: [END] });
        break;
    }
  }
  for (const node of Object.values(definition.nodes)) {
    if (node.type !== 'parallel') continue;
    const arrivals = node.branches.map((branch) => arrivalNodeName(node.join, branch));
    for (const arrival of arrivals) graph.addNode(arrival, () => Promise.resolve({}));
    graph.addEdge(arrivals, node.join);
  }
  graph.addEdge(START, definition.entry_point);
  return graph.compile({ checkpointer, name: definition.workflow_id });
}

export type CompiledWorkflow = ReturnType<typeof compileWorkflow>;

interface UntypedGraph {
  addNode(name: string, fn: (...args: never[]) => unknown, options?: { ends?: string[] }): UntypedGraph;
  addEdge(from: string | string[], to: string): UntypedGraph;
  compile(options: { checkpointer: BaseCheckpointSaver; name: string }): CompiledGraphOf;
}

type CompiledGraphOf = ReturnType<StateGraph<typeof WorkflowState.spec>['compile']>;
