import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from '@langchain/langgraph';

/*
 * The benchmarked workflow: 20 nodes in a row, on a state shaped like the engine's (a `context` given at
 * the start, per-node `visits`, an append-only `history`, and the last node's output). Every node records
 * its visit, appends a history entry and replaces `last_output` (about 250 bytes); none rewrites the
 * context. So each step changes a few hundred bytes plus the growing history, while the context (2 KB or
 * 100 KB) stays as it was: a saver whose writes follow what changed writes about the same per step for
 * both context sizes.
 */

export const STEPS = 20;

interface HistoryEntry {
  readonly node: string;
  readonly status: 'SUCCEEDED';
  readonly started_at: string;
  readonly ended_at: string;
}

const BenchState = Annotation.Root({
  context: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  visits: Annotation<Record<string, number>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  history: Annotation<HistoryEntry[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  last_output: Annotation<Record<string, unknown> | null>({ reducer: (_, b) => b, default: () => null }),
});

export function nodeName(step: number): string {
  return `step_${String(step).padStart(2, '0')}`;
}

export function compileBenchWorkflow(checkpointer: BaseCheckpointSaver) {
  const graph = new StateGraph(BenchState);
  for (let step = 1; step <= STEPS; step += 1) {
    const name = nodeName(step);
    graph.addNode(name, (state: typeof BenchState.State) => ({
      visits: { [name]: (state.visits[name] ?? 0) + 1 },
      history: [
        { node: name, status: 'SUCCEEDED' as const, started_at: stamp(step), ended_at: stamp(step, 1) },
      ],
      last_output: { node: name, result: `${name}:`.repeat(20), status: 'ok' },
    }));
  }
  const edges = graph as unknown as { addEdge(from: string, to: string): void };
  edges.addEdge(START, nodeName(1));
  for (let step = 1; step < STEPS; step += 1) edges.addEdge(nodeName(step), nodeName(step + 1));
  edges.addEdge(nodeName(STEPS), END);
  return graph.compile({ checkpointer });
}

/** A JSON context of about `bytes` bytes once serialized. */
export function contextOfSize(bytes: number): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (let i = 0; JSON.stringify(context).length < bytes; i += 1) {
    context[`field_${i}`] = { id: i, label: `value ${i} `.repeat(6), score: i * 1.5 };
  }
  return context;
}

function stamp(step: number, plusSeconds = 0): string {
  return new Date(Date.UTC(2025, 0, 1, 0, 0, step * 2 + plusSeconds)).toISOString();
}
