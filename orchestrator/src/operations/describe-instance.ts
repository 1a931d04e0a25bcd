import { toMermaid } from '../definition/mermaid-graph';
import { validateDefinition } from '../definition/validate-definition';
import type { WorkflowError } from '../graph/workflow-state';
import type { InstanceRecord, InstanceStatus } from '../runtime/instance-record';
import type { ParentLink } from '../runtime/messages';
import { nodeStates, nodeStateStyling, type NodeState } from './node-states';
import type { InstanceQueryPort } from './operations-ports';

/** A line of the history as the record keeps it (a node execution, or an operator's action on it). */
type HistoryLine = InstanceRecord['history'][number];

/** `wf describe --json`: one object, every field always present. */
export interface InstanceDescription {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly status: InstanceStatus;
  readonly started_at: string;
  readonly updated_at: string;
  readonly definition: { readonly key: string; readonly sha256: string };
  readonly context: Record<string, unknown>;
  readonly output: Record<string, unknown> | null;
  /** Open waits; `time_left_ms` is negative once the deadline has passed, null without a deadline. */
  readonly waits: readonly {
    readonly request_id: string;
    readonly node: string;
    readonly capability_id: string;
    readonly since: string;
    readonly deadline: string | null;
    readonly time_left_ms: number | null;
    readonly overdue: boolean;
  }[];
  /** The instance whose sub_workflow step started this one; null for an instance a caller started. */
  readonly parent: ParentLink | null;
  /**
   * The child instances its sub_workflow and map steps started, oldest first: `status` is how the step
   * ended (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED), or WAITING while it awaits the child.
   */
  readonly children: readonly {
    readonly node: string;
    readonly instance_id: string;
    readonly status: string;
    /**
     * A child still awaited: its own status, read from its record (null: no record yet, its START not
     * handled). A child that ended while its parent still awaits it points at its end's message (in
     * flight, or dead-lettered).
     */
    readonly instance_status?: InstanceStatus | null;
  }[];
  /** The error the instance ended with (FAILED), as in `wf status`. */
  readonly error: WorkflowError | null;
  /**
   * The last step that failed or timed out (an end node with `status: FAILED` is the outcome, not a failed
   * step), whether or not the instance went on (a route, a retry).
   */
  readonly last_failed_step: HistoryLine | null;
  /** Every step in order of completion, with its duration and its start relative to the instance's. */
  readonly history: readonly (HistoryLine & { readonly duration_ms: number; readonly offset_ms: number })[];
  /** What happened to each node of the pinned definition. */
  readonly nodes: Readonly<Record<string, NodeState>>;
  /** The pinned definition as a Mermaid flowchart coloured by `nodes`; null when it cannot be read. */
  readonly graph: string | null;
  /** Why `graph` is null. */
  readonly graph_error: string | null;
  /**
   * Only for an instance of Step Functions mode (absent on the engine's, whose JSON is unchanged): it
   * says so, and names its execution. Its `definition` is empty and `graph` null (no pinned snapshot).
   */
  readonly engine?: 'stepfunctions';
  readonly step_functions?: InstanceRecord['step_functions'];
}

/**
 * Everything an operator asks about one instance: the record with its whole history, and the graph of the
 * definition it runs (the pinned snapshot, by sha256, not the current YAML). Undefined when there is no
 * such instance.
 */
export async function describeInstance(
  port: InstanceQueryPort,
  instanceId: string,
  now: Date,
): Promise<InstanceDescription | undefined> {
  const record = await port.instance(instanceId);
  if (!record) return undefined;
  let nodes: string[] = [...new Set(record.history.map((h) => h.node))];
  let graph: string | null = null;
  let graphError: string | null = null;
  // An end node with `status: FAILED` records the failure's outcome, not its cause.
  let endNodes = new Set<string>();
  try {
    const text = await port.pinnedDefinition(record.definition.sha256);
    if (text === undefined) {
      graphError = `pinned definition ${record.definition.sha256} not found`;
    } else {
      const { definition } = validateDefinition(record.definition.key, text);
      if (definition) {
        nodes = Object.keys(definition.nodes);
        endNodes = new Set(nodes.filter((name) => definition.nodes[name]?.type === 'end'));
        graph = toMermaid(definition, nodeStateStyling(nodeStates(nodes, record)));
      } else {
        graphError = `pinned definition ${record.definition.sha256} is not valid`;
      }
    }
  } catch (error) {
    graphError = error instanceof Error ? error.message : String(error);
  }
  const start = Date.parse(record.created_at);
  const failedSteps = record.history.filter(
    (h) => (h.status === 'FAILED' || h.status === 'TIMED_OUT') && !endNodes.has(h.node),
  );
  return {
    instance_id: record.instance_id,
    workflow_id: record.workflow_id,
    status: record.status,
    started_at: record.created_at,
    updated_at: record.updated_at,
    definition: record.definition,
    context: record.context,
    output: record.output ?? null,
    waits: record.waits.map((w) => {
      const left = w.deadline === null ? null : Date.parse(w.deadline) - now.getTime();
      return { ...w, time_left_ms: left, overdue: left !== null && left < 0 };
    }),
    parent: record.parent ?? null,
    children: [
      ...record.history.flatMap((h) =>
        'child_instance_id' in h && h.child_instance_id !== undefined
          ? [{ node: h.node, instance_id: h.child_instance_id, status: h.status }]
          : [],
      ),
      ...(await awaitedChildren(port, record)),
    ],
    error: record.error,
    last_failed_step: failedSteps.at(-1) ?? null,
    history: record.history.map((h) => ({
      ...h,
      duration_ms: Date.parse(h.ended_at) - Date.parse(h.started_at),
      offset_ms: Date.parse(h.started_at) - start,
    })),
    nodes: nodeStates(nodes, record),
    graph,
    graph_error: graphError,
    ...(record.step_functions
      ? { engine: 'stepfunctions' as const, step_functions: record.step_functions }
      : {}),
  };
}

/** The children the instance still awaits, each with its own status (one batch read of their records). */
async function awaitedChildren(
  port: InstanceQueryPort,
  record: InstanceRecord,
): Promise<InstanceDescription['children']> {
  const awaited = record.waits.flatMap((w) =>
    w.child_instance_id === undefined ? [] : [{ node: w.node, instance_id: w.child_instance_id }],
  );
  if (awaited.length === 0) return [];
  const records = await port.records(awaited.map((c) => c.instance_id));
  return awaited.map((c) => ({
    ...c,
    status: 'WAITING',
    instance_status: records.get(c.instance_id)?.status ?? null,
  }));
}
