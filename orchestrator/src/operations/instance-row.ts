import { statusChangedAt } from '../aws/instance-index-layout';
import type { WorkflowError } from '../graph/workflow-state';
import type { InstanceRecord, InstanceStatus } from '../runtime/instance-record';

/** Why `wf list --stuck` thinks an instance cannot move on its own. */
export interface StuckReason {
  readonly reason: 'WAIT_OVERDUE' | 'NO_PROGRESS' | 'DEAD_LETTERED';
  /** A sentence for people; the fields beside it are for machines. */
  readonly detail: string;
  /** WAIT_OVERDUE: the wait's node and deadline. */
  readonly node?: string;
  readonly deadline?: string;
  /** NO_PROGRESS: the last sign of life (record update or lease expiry), ISO-8601. */
  readonly last_activity?: string;
  /** DEAD_LETTERED: which queue's DLQ, the message type and the consumer's reason. */
  readonly queue?: string;
  readonly message_type?: string | null;
  readonly dead_letter_reason?: string | null;
}

/**
 * One line of `wf list` (and one element of its JSON `instances`). Stable shape: every field is always
 * present; `status` is null only for a dead-lettered START whose instance never came to exist.
 */
export interface InstanceRow {
  readonly instance_id: string;
  readonly workflow_id: string | null;
  readonly status: InstanceStatus | null;
  /**
   * Which mode runs it: `langgraph` (the engine's record) or `stepfunctions` (an execution of a state
   * machine: its record has `step_functions`). Null only where `status` is: a dead-lettered START whose
   * instance never came to exist, in either mode.
   */
  readonly engine: 'langgraph' | 'stepfunctions' | null;
  readonly started_at: string | null;
  readonly updated_at: string | null;
  /**
   * When the instance took its current status (the `by-change` index's time, what `--changed-since`
   * selects on): when it ended, or, live, when it started or was last redriven. See `statusChangedAt`.
   */
  readonly changed_at: string | null;
  readonly waits: readonly {
    readonly node: string;
    readonly capability_id: string;
    readonly since: string;
    readonly deadline: string | null;
  }[];
  readonly error: WorkflowError | null;
  /**
   * The step it completed last (its newest history line: a node's run, or a redrive); null before its
   * first. A RUNNING instance is running what comes after it.
   */
  readonly last_step: {
    readonly node: string;
    readonly status: string;
    readonly ended_at: string;
  } | null;
  /** Empty unless the listing looked for stuck instances and found this one. */
  readonly stuck: readonly StuckReason[];
}

export function rowOf(record: InstanceRecord, stuck: readonly StuckReason[] = []): InstanceRow {
  return {
    instance_id: record.instance_id,
    workflow_id: record.workflow_id,
    status: record.status,
    engine: record.step_functions ? 'stepfunctions' : 'langgraph',
    started_at: record.created_at,
    updated_at: record.updated_at,
    changed_at: statusChangedAt(record),
    waits: record.waits.map(({ node, capability_id, since, deadline }) => ({
      node,
      capability_id,
      since,
      deadline,
    })),
    error: record.error,
    last_step: lastStep(record),
    stuck,
  };
}

/**
 * The newest line of the history. A record as read in bulk holds only the lines of its last commit that
 * added any (the earlier ones are items, see InstanceRecord.history), so its last line is the newest.
 */
function lastStep(record: InstanceRecord): InstanceRow['last_step'] {
  const last = record.history.at(-1);
  return last ? { node: last.node, status: last.status, ended_at: last.ended_at } : null;
}
