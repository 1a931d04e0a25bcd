import type { MermaidStyling } from '../definition/mermaid-graph';
import type { InstanceRecord } from '../runtime/instance-record';

/** What happened to a node of an instance, as `wf describe` colours it. */
export type NodeState = 'done' | 'failed' | 'waiting' | 'cancelled' | 'not_reached';

/**
 * The state of each node: `waiting` when a wait of the instance is open on it (a request, or a retry's
 * timer: a waiting node may have failed before), else what its last execution ended with (a node a loop
 * revisits shows its latest run): SUCCEEDED is `done`, FAILED and TIMED_OUT are `failed`, CANCELLED (a
 * branch stopped because a sibling failed, or a cancelled instance) is `cancelled`; `not_reached` when it
 * never ran. An end node with `status: FAILED` that ran reports FAILED, so it shows as failed.
 */
export function nodeStates(
  nodes: readonly string[],
  record: Pick<InstanceRecord, 'waits' | 'history'>,
): Record<string, NodeState> {
  const waiting = new Set(record.waits.map((w) => w.node));
  const last = new Map<string, string>();
  for (const entry of record.history) {
    // Only a node's own executions say what happened to it (not a line an operator's action added).
    if (NODE_OUTCOMES.has(entry.status)) last.set(entry.node, entry.status);
  }
  const states: Record<string, NodeState> = {};
  for (const node of nodes) {
    const status = last.get(node);
    states[node] = waiting.has(node)
      ? 'waiting'
      : status === 'SUCCEEDED'
        ? 'done'
        : status === 'FAILED' || status === 'TIMED_OUT'
          ? 'failed'
          : status === 'CANCELLED'
            ? 'cancelled'
            : 'not_reached';
  }
  return states;
}

const NODE_OUTCOMES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

/** Mermaid class per state (class names cannot carry `_` safely in every renderer). */
export const NODE_STATE_CLASSES: Readonly<Record<NodeState, string>> = {
  done: 'done',
  failed: 'failed',
  waiting: 'waiting',
  cancelled: 'cancelled',
  not_reached: 'notReached',
};

/** Green done, red failed, amber waiting, grey dashed cancelled, faded not reached. */
export function nodeStateStyling(states: Readonly<Record<string, NodeState>>): MermaidStyling {
  return {
    classDefs: {
      done: 'fill:#d4f7d4,stroke:#2a8a2a',
      failed: 'fill:#fdd,stroke:#b00',
      waiting: 'fill:#ffe8a8,stroke:#c80,stroke-width:2px',
      cancelled: 'fill:#eee,stroke:#888,stroke-dasharray:4 3',
      notReached: 'fill:#fff,stroke:#bbb,color:#999',
    },
    classOf: (node) => {
      const state = states[node];
      return state === undefined ? undefined : NODE_STATE_CLASSES[state];
    },
  };
}
