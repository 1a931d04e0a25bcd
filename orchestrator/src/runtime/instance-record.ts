import type { HistoryEntry, Resolution, WorkflowError } from '../graph/workflow-state';
import type { CommittedCheckpoints } from './fenced-checkpointer';

export const INSTANCE_STATUSES = ['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const isTerminal = (status: InstanceStatus): boolean =>
  status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';

export interface WaitView {
  readonly request_id: string;
  readonly node: string;
  readonly capability_id: string;
  readonly since: string;
  readonly deadline: string | null;
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
  readonly history: readonly HistoryEntry[];
  /** How many history entries precede `history` in the append-only items. */
  readonly history_base?: number;
  readonly definition: { readonly key: string; readonly sha256: string };
  readonly error: WorkflowError | null;
  readonly output?: Record<string, unknown>;
  /** The context START_WORKFLOW gave; the graph starts from it (again, if the first try crashed). */
  readonly start_context: Record<string, unknown>;
  /** Set when a store could not keep `start_context` (too large); the START message supplies it. */
  readonly start_context_omitted?: true;
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
  /** Terminal instances only: when the whole instance may be removed (epoch seconds; the table's TTL). */
  readonly expires_at?: number;
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

export type InstanceStatusView = Pick<InstanceRecord, (typeof STATUS_VIEW_FIELDS)[number]>;

export function statusView(record: InstanceRecord): InstanceStatusView {
  return Object.fromEntries(
    STATUS_VIEW_FIELDS.map((field) => [field, record[field]]),
  ) as unknown as InstanceStatusView;
}
