import type { HistoryEntry, Resolution, WorkflowError } from '../graph/workflow-state';
import type { CommittedCheckpoints } from './fenced-checkpointer';
import type { ParentLink } from './messages';

export const INSTANCE_STATUSES = ['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const isTerminal = (status: InstanceStatus): boolean =>
  status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';

/**
 * A redrive as the history shows it, in order among the steps: when (`started_at` = `ended_at`), who and
 * why, and the step it re-runs (`node`). Steps before it are not run again; the steps after it are the
 * redriven run's.
 */
export interface RedriveHistoryEntry {
  readonly node: string;
  readonly status: 'REDRIVEN';
  readonly started_at: string;
  readonly ended_at: string;
  readonly redrive: { readonly id: string; readonly by: string; readonly reason: string | null };
}

/** One line of an instance's history: a node execution, or a redrive. */
export type RecordHistoryEntry = HistoryEntry | RedriveHistoryEntry;

/** A redrive the instance applied (REDRIVE_WORKFLOW); its id makes a redelivered message a no-op. */
export interface RedriveRecord {
  readonly id: string;
  readonly at: string;
  readonly by: string;
  readonly reason: string | null;
  /** The step re-run: the one the failure named. */
  readonly node: string;
  /** The FAILED top-level checkpoint the redrive forked from (kept: the checkpoint history is intact). */
  readonly from_checkpoint: string;
}

/**
 * Cancel notices (ASYNC_CANCELLED) still to send: written by the commit that cancels the instance and
 * removed by the commit after they were handed to the dispatcher (the outbox, as for requests).
 */
export interface PendingCancelNotices {
  readonly at: string;
  readonly reason?: string;
  readonly waits: readonly WaitView[];
}

export interface WaitView {
  /**
   * What the wait awaits (the OpenWait's kind): a capability's reply (`request`), a retry's delay
   * (`retry`), a wait node's time (`timer`), a child instance (`child`: a sub_workflow or a map item).
   * Absent in records written before it was recorded, and for a request.
   */
  readonly kind?: 'retry' | 'timer' | 'child';
  readonly request_id: string;
  readonly node: string;
  readonly capability_id: string;
  readonly since: string;
  readonly deadline: string | null;
  /** A sub_workflow's wait: the child instance it awaits. */
  readonly child_instance_id?: string;
}

/**
 * The status record of an instance: what `wf status --json` prints, and the runtime's bookkeeping beside
 * the LangGraph checkpoint. The checkpoint is the source of truth for progress; this record is brought up
 * to date from it after every step (and on every message, so a crash between the two is repaired).
 */
export interface InstanceRecord {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly status: InstanceStatus;
  readonly context: Record<string, unknown>;
  /** As stored: the context was too large to carry and is read from the checkpoint (`get` does). */
  readonly context_in_checkpoint?: true;
  readonly waits: readonly WaitView[];
  /**
   * One entry per node execution, in order of completion. As stored, only the steps of the last commit;
   * the earlier ones are append-only items (see `history_base`), and `InstanceStore.get` joins them.
   */
  readonly history: readonly RecordHistoryEntry[];
  /** How many history entries precede `history` in the append-only items. */
  readonly history_base?: number;
  readonly definition: { readonly key: string; readonly sha256: string };
  readonly error: WorkflowError | null;
  readonly output?: Record<string, unknown>;
  /** The context START_WORKFLOW gave; the graph starts from it (again, if the first try crashed). */
  readonly start_context: Record<string, unknown>;
  /** Set when a store could not keep `start_context` (too large); the START message supplies it. */
  readonly start_context_omitted?: true;
  /**
   * sha256 of the START context (canonical JSON, see `contextHash`): a later START with the same
   * instance_id and another context is a conflict. Absent in records older than it.
   */
  readonly start_context_sha256?: string;
  /** Redrives applied, oldest first. */
  readonly redrives?: readonly RedriveRecord[];
  /** Cancel notices not yet sent (see PendingCancelNotices). */
  readonly cancel_notices?: PendingCancelNotices;
  /** Request ids already handed to the dispatcher (sent at least once). */
  readonly dispatched: readonly string[];
  /** Request ids whose waits the instance stopped awaiting because it was cancelled. */
  readonly cancelled_requests: readonly string[];
  /**
   * How the requests of the last commit were resolved; `RESOLVED` when a crash hid how (the wait is gone
   * from the checkpoint, so it was answered). Earlier ones are items (`InstanceStore.resolution`). Tells a
   * duplicate reply from a stale one.
   */
  readonly resolved: Readonly<Record<string, Resolution | 'RESOLVED'>>;
  readonly created_at: string;
  readonly updated_at: string;
  /**
   * Bumped by every commit; a write is conditioned on the version it read (and on the lease's fencing
   * token), so two writers can never both commit from the same state. Absent in records older than it: 0.
   */
  readonly version?: number;
  /** The checkpoints this record adopts: the instance's state is exactly these (see FencedCheckpointer). */
  readonly checkpoints?: CommittedCheckpoints;
  /** A child instance (started by a sub_workflow step): its parent, whose wait its end answers. */
  readonly parent?: ParentLink;
  /** A child instance that ended: its end was sent to the parent (the outbox's "sent" mark). */
  readonly parent_notified?: true;
  /** Terminal instances only: when the whole instance may be removed (epoch seconds; the table's TTL). */
  readonly expires_at?: number;
  /**
   * Only on a record read back from a Step Functions execution (Step Functions mode, see
   * aws/sfn-execution-record.ts), never stored: the execution it was read from.
   */
  readonly step_functions?: StepFunctionsExecutionRef;
}

/** The Step Functions execution an instance of Step Functions mode is (its name is the instance id). */
export interface StepFunctionsExecutionRef {
  readonly execution_arn: string;
  readonly state_machine_arn: string;
  /** The execution's own status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE). */
  readonly execution_status: string;
}

/** The public view (`wf status --json`): the status record without the runtime's bookkeeping fields. */
export const STATUS_VIEW_FIELDS = [
  'instance_id',
  'workflow_id',
  'status',
  'context',
  'waits',
  'history',
  'definition',
  'error',
] as const;

/**
 * A child instance's view also names its parent (absent for every other instance). An instance of Step
 * Functions mode's view says so (`engine: 'stepfunctions'`) and names its execution (`step_functions`);
 * an engine instance's view has neither, so the engine's JSON is what it always was.
 */
export type InstanceStatusView = Pick<
  InstanceRecord,
  (typeof STATUS_VIEW_FIELDS)[number] | 'parent' | 'step_functions'
> & { readonly engine?: 'stepfunctions' };

export function statusView(record: InstanceRecord): InstanceStatusView {
  const view = Object.fromEntries(STATUS_VIEW_FIELDS.map((field) => [field, record[field]]));
  return {
    ...view,
    ...(record.parent ? { parent: record.parent } : {}),
    ...(record.step_functions ? { engine: 'stepfunctions', step_functions: record.step_functions } : {}),
  } as unknown as InstanceStatusView;
}

/**
 * Whether the instance is the child that `parent`'s wait started (same parent, same wait): an instance
 * of that id started by anyone else never answers that wait, nor is it that parent's to cancel.
 */
export function isChildOf(
  record: Pick<InstanceRecord, 'parent'>,
  parent: Pick<ParentLink, 'instance_id' | 'request_id'>,
): boolean {
  return record.parent?.instance_id === parent.instance_id && record.parent.request_id === parent.request_id;
}
