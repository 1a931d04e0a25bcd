import { Annotation, END, MemorySaver, START, StateGraph, interrupt } from '@langchain/langgraph';

/**
 * The premise of compiling each parallel branch as a subgraph (compile-workflow.ts), pinned against the
 * LangGraph release we ship: in a flat graph, a branch's second step does not run while a sibling in the
 * same superstep waits on an interrupt. Were this ever to fail, a flat compile of branches (cheaper per
 * message: issue 10's CPU figure) would keep branches moving on their own, and the subgraphs could go.
 */
describe('LangGraph, flat parallel branches', () => {
  it("holds a branch's next step until every sibling of its superstep has finished", async () => {
    const State = Annotation.Root({
      ran: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
    });
    const graph = new StateGraph(State)
      .addNode('Waits', () => ({ ran: [`Waits:${String(interrupt('reply?'))}`] }))
      .addNode('First', () => ({ ran: ['First'] }))
      .addNode('Second', () => ({ ran: ['Second'] }))
      .addNode('Join', () => ({ ran: ['Join'] }))
      .addEdge(START, 'Waits')
      .addEdge(START, 'First')
      .addEdge('First', 'Second')
      .addEdge(['Waits', 'Second'], 'Join')
      .addEdge('Join', END)
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'premise' } };

    await graph.invoke({ ran: [] }, config);
    const state = await graph.getState(config);

    expect((state.values as typeof State.State).ran).toEqual(['First']);
    expect(state.next).toEqual(['Waits']);
  });
});
