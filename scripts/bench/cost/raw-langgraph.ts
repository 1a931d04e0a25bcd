import {
  Annotation,
  Command,
  END,
  interrupt,
  MemorySaver,
  START,
  StateGraph,
  type BaseCheckpointSaver,
} from '@langchain/langgraph';

/*
 * The baselines of figure 5: hand-written LangGraph StateGraphs doing what the two benchmarked workflows
 * do, on MemorySaver, as an application using LangGraph directly would write them. The state is the
 * workflow context, merged by key; an async step is a node that interrupts and is resumed with the
 * capability's reply (by interrupt id, one reply per invocation, as replies arrive one message at a time).
 */

const State = Annotation.Root({
  context: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
});
type StateValue = typeof State.State;

/** One checkpoint per invocation, as the engine's runtime runs LangGraph (durability "exit"). */
export const RAW_DURABILITY = 'exit' as const;

/** `steps` nodes in a row, each passing `shipmentId` on after checking it is there (core-process-response). */
export function rawSyncChain(steps: number, checkpointer: BaseCheckpointSaver = new MemorySaver()) {
  const graph = new StateGraph(State);
  const names = Array.from({ length: steps }, (_, i) => `Sync_${i + 1}`);
  for (const name of names) {
    graph.addNode(name, (state: StateValue) => {
      if (state.context.shipmentId === undefined) throw new Error('missing response keys: shipmentId');
      return { context: { shipmentId: state.context.shipmentId } };
    });
  }
  const edges = graph as unknown as { addEdge(from: string | string[], to: string): void };
  edges.addEdge(START, names[0] as string);
  names.forEach((name, i) => edges.addEdge(name, names[i + 1] ?? END));
  return graph.compile({ checkpointer });
}

/** A node that interrupts with its input and is resumed with the reply's outputs. */
function asyncStepNode(name: string, inputKeys: string[], outputKey: string) {
  return (state: StateValue) => {
    const input = Object.fromEntries(inputKeys.map((k) => [k, state.context[k]]));
    const reply = interrupt<{ node: string; input: unknown; expected: string[] }, Record<string, unknown>>({
      node: name,
      input,
      expected: [outputKey],
    });
    return { context: { [outputKey]: reply[outputKey] } };
  };
}

const B_INPUTS = ['shipmentId', 'a_result'];
const bOutput = (b: string) => `${b.slice(5).toLowerCase()}_result`;

/**
 * A, then B1/B2/B3 in parallel, then C: each an async step (interrupt, resumed with the reply's outputs).
 * With `branchSubgraphs`, each B is a one-node subgraph invoked from a node of the parent, the shape the
 * engine gives a parallel's branches (so each can move on with its own steps): LangGraph's own cost of
 * that shape, without the engine.
 */
export function rawFanOut(
  checkpointer: BaseCheckpointSaver = new MemorySaver(),
  options: { branchSubgraphs?: boolean } = {},
) {
  const graph = new StateGraph(State);
  const add = (name: string, fn: (state: StateValue, config: never) => unknown) =>
    (graph as unknown as { addNode(n: string, f: typeof fn): void }).addNode(name, fn);
  add('Task_A', asyncStepNode('Task_A', ['shipmentId', 'originCountry', 'destinationCountry'], 'a_result'));
  for (const b of ['Task_B1', 'Task_B2', 'Task_B3']) {
    const step = asyncStepNode(b, B_INPUTS, bOutput(b));
    if (!options.branchSubgraphs) {
      add(b, step);
      continue;
    }
    const branch = new StateGraph(State);
    (branch as unknown as { addNode(n: string, f: typeof step): void }).addNode(b, step);
    const branchEdges = branch as unknown as { addEdge(from: string, to: string): void };
    branchEdges.addEdge(START, b);
    branchEdges.addEdge(b, END);
    const subgraph = branch.compile();
    add(b, async (state: StateValue, config: never) => {
      const after = await subgraph.invoke(state, config);
      return { context: { [bOutput(b)]: after.context[bOutput(b)] } };
    });
  }
  add('Task_C', asyncStepNode('Task_C', ['shipmentId', 'b1_result', 'b2_result', 'b3_result'], 'c_result'));
  const edges = graph as unknown as { addEdge(from: string | string[], to: string): void };
  edges.addEdge(START, 'Task_A');
  for (const b of ['Task_B1', 'Task_B2', 'Task_B3']) edges.addEdge('Task_A', b);
  edges.addEdge(['Task_B1', 'Task_B2', 'Task_B3'], 'Task_C');
  edges.addEdge('Task_C', END);
  return graph.compile({ checkpointer });
}

interface PendingInterrupt {
  readonly id: string;
  readonly value: { node: string; expected: string[] };
}

/**
 * Runs one fan-out instance to its end as messages would: the start, then one reply per invocation, to the
 * first interrupt still pending (or, `together`, every pending interrupt's reply in one invocation, as a
 * batch of replies is applied). Returns the invocations made.
 */
export async function runRawFanOut(
  graph: ReturnType<typeof rawFanOut>,
  threadId: string,
  together = false,
): Promise<number> {
  type Result = { __interrupt__?: PendingInterrupt[] };
  const config = { configurable: { thread_id: threadId }, durability: RAW_DURABILITY };
  let result = (await graph.invoke(
    { context: { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' } },
    config,
  )) as Result;
  let invocations = 1;
  const reply = ({ id, value }: PendingInterrupt): [string, Record<string, string>] => [
    id,
    Object.fromEntries(value.expected.map((k) => [k, `mock://${value.node}/${k}`])),
  ];
  for (let pending = result.__interrupt__ ?? []; pending.length > 0; pending = result.__interrupt__ ?? []) {
    const answered = together ? pending : pending.slice(0, 1);
    const resume = Object.fromEntries(answered.map(reply));
    result = (await graph.invoke(new Command({ resume }), config)) as Result;
    invocations += 1;
  }
  return invocations;
}

/** Runs one sequential instance (one invocation). */
export async function runRawSyncChain(
  graph: ReturnType<typeof rawSyncChain>,
  threadId: string,
): Promise<void> {
  await graph.invoke(
    { context: { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' } },
    { configurable: { thread_id: threadId }, durability: RAW_DURABILITY },
  );
}

/** MemorySaver that counts the reads LangGraph makes (figure 2's "raw LangGraph: 6 getTuple"). */
export class CountingMemorySaver extends MemorySaver {
  getTupleCalls = 0;

  override async getTuple(...args: Parameters<MemorySaver['getTuple']>) {
    this.getTupleCalls += 1;
    return super.getTuple(...args);
  }
}
