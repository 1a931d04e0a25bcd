import type { EngineError } from '../errors/engine-error';
import type { Resolution } from '../graph/workflow-state';
import type { InstanceRecord, RecordHistoryEntry } from './instance-record';
import type { AsyncResponse, CancelWorkflow, CapabilityMessage, StartWorkflow, TimerFired } from './messages';

export interface DefinitionText {
  readonly text: string;
  readonly sha256: string;
}

/** Where workflow YAML lives (S3 on AWS). Pinned snapshots are immutable, addressed by content hash. */
export interface DefinitionStore {
  /** The current text under `key`, or undefined when there is none. */
  load(key: string): Promise<DefinitionText | undefined>;
  /** Stores an immutable snapshot of `text` under its sha256; idempotent. */
  pin(definition: DefinitionText): Promise<void>;
  loadPinned(sha256: string): Promise<string | undefined>;
}

/** Exclusive right to process one instance, with a token that fences out a holder whose lease expired. */
export interface Lease {
  readonly instance_id: string;
  readonly token: string;
  readonly expires_at: number;
  /**
   * What the previous holder said when it gave the lease up: every open wait of the record at this version
   * had been handed to the dispatcher. Absent when it said nothing (it died holding the lease, or the
   * marker is older than the record): the waits the record does not list as dispatched are sent again.
   */
  readonly dispatched_version?: number;
}

/**
 * What a commit moves out of the record into append-only items: the steps and resolutions the previous
 * commit reported (committed, so writing them is idempotent, whoever does it).
 */
export interface CommitFlush {
  readonly history?: { readonly at: number; readonly entries: readonly RecordHistoryEntry[] } | undefined;
  readonly resolved?: Readonly<Record<string, Resolution | 'RESOLVED'>> | undefined;
}

/**
 * A reply that found its instance's lease held by a worker that looks dead, kept beside the record until
 * the lease runs out: whoever takes the lease next for its wait's timer applies it instead of timing the
 * wait out, since the reply came first and only the dead holder kept it from being applied.
 */
export interface ParkedReply {
  readonly message: AsyncResponse;
  readonly delivery: Delivery;
  /** When it was parked (ISO 8601), for the log. */
  readonly parked_at: string;
}

/** Status records and per-instance leases (DynamoDB on AWS, in the checkpoint table). */
export interface InstanceStore {
  /** The instance as `wf status` shows it: the record with its whole history. */
  get(instanceId: string): Promise<InstanceRecord | undefined>;
  /** The record as committed (its `history` holds only the last commit's steps): what the runtime reads. */
  load(instanceId: string): Promise<InstanceRecord | undefined>;
  /** How a request of the instance was resolved, when it is no longer in the record. */
  resolution(instanceId: string, requestId: string): Promise<Resolution | 'RESOLVED' | undefined>;
  /** Takes the lease when it is free or expired; undefined when another holder has it. */
  acquireLease(instanceId: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Gives the lease up (its own item: a record never depends on it). With `dispatchedVersion`, leaves the
   * marker the next holder reads as `Lease.dispatched_version` (the outbox's "sent" mark, carried by a
   * write that happens anyway instead of a second record commit); without it, leaves nothing behind.
   */
  releaseLease(lease: Lease, dispatchedVersion?: number): Promise<void>;
  /** When the current lease on the instance expires (epoch ms), or undefined when it is free. */
  leaseExpiry(instanceId: string): Promise<number | undefined>;
  /**
   * Keeps `reply` for its request; the first one kept stays (its `parked_at` is the first arrival). No
   * lease and no condition: it changes nothing until a holder of the lease reads it. Returns false, having
   * kept nothing, when the reply is too large to keep (it is then only deferred, as before).
   */
  parkReply(instanceId: string, reply: ParkedReply): Promise<boolean>;
  /** The reply kept for `requestId`, if one was. */
  parkedReply(instanceId: string, requestId: string): Promise<ParkedReply | undefined>;
  /**
   * Commits the record: written only if the stored version is `record.version - 1` (none, for version 1);
   * throws StaleCommitError otherwise. This conditional write is the instance's commit point: it depends
   * on no clock and no lease (`lease` is the writer's, for the store's bookkeeping).
   */
  save(record: InstanceRecord, lease: Lease, flush?: CommitFlush): Promise<void>;
}

/** A request that no retry can deliver (its domain has no queue, or it is too large for any transport). */
export interface UndeliverableRequest {
  readonly request_id: string;
  readonly error: EngineError;
}

/** What a dispatch could not do. Retryable faults are thrown instead (the whole dispatch is redone). */
export interface DispatchReport {
  readonly undeliverable: readonly UndeliverableRequest[];
}

/**
 * Sends messages to capabilities' request queues (SQS on AWS): requests (ASYNC_REQ) and cancel notices
 * (ASYNC_CANCELLED). At least once: each carries the stable id of its request. Messages that can never be
 * delivered are reported by request id, not thrown, so the others still go and the runtime can fail just
 * the waits that can never be answered.
 */
export interface CapabilityDispatcher {
  dispatch(messages: readonly CapabilityMessage[]): Promise<DispatchReport>;
}

/** What the orchestrator sends to itself: a child's START and CANCEL, and a child's end to its parent. */
export type EngineMessage = StartWorkflow | CancelWorkflow | AsyncResponse;

/**
 * Sends the orchestrator's messages to its own queues (SQS on AWS): START_WORKFLOW and CANCEL_WORKFLOW to
 * the command queue, ASYNC_RESP to the reply queue. At least once, like every send of the outbox; each
 * message is idempotent on its instance (a START for an instance that exists, a CANCEL of one that ended,
 * a reply already applied are all acknowledged and ignored). Faults are thrown (the runtime sends again).
 */
export interface WorkflowMessenger {
  send(messages: readonly EngineMessage[]): Promise<void>;
}

/** Delivers TIMER_FIRED at (or, for long waits, before: the runtime re-arms) `fire_at`. */
export interface TimerScheduler {
  /**
   * Arms `timer`. `cancellable`: the timer usually becomes moot before it fires (a reply's deadline), so an
   * adapter that can withdraw timers should take it, and `cancel` will be called when its wait closes.
   */
  schedule(timer: TimerFired, options?: { readonly cancellable?: boolean }): Promise<void>;
  /**
   * Withdraws a timer whose wait closed, where the adapter can (best effort: a timer that still fires finds
   * its wait over and costs one read). Absent: timers cannot be withdrawn.
   */
  cancel?(timer: TimerFired): Promise<void>;
}

/** What the transport says about a message, beside its body. */
export interface Delivery {
  /**
   * Who sent it: SQS's `SenderId` (the IAM principal's unique id, `AROA...:<session>` for a role), or, for
   * a copy the orchestrator made itself (a deferred reply), the sender of the original.
   */
  readonly senderId?: string | undefined;
}

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: object): Logger;
}

export type MetricName =
  | 'WorkflowsStarted'
  | 'WorkflowsSucceeded'
  | 'WorkflowsFailed'
  | 'WorkflowsCancelled'
  | 'StepDuration'
  | 'DuplicateReplies'
  | 'StaleReplies'
  | 'LeaseConflicts'
  | 'RequestsDispatched'
  | 'CapabilityQueueMissing'
  /** A START whose instance_id exists with another workflow, definition or context (acknowledged, not applied). */
  | 'StartConflicts'
  | 'WorkflowsRedriven'
  /** A REDRIVE_WORKFLOW for an instance that cannot be redriven (not FAILED, or no step to re-run). */
  | 'RedrivesRefused'
  | 'CancelNoticesSent'
  /** A reply refused at once (forged, mistyped or foreign request id; wrong sender), dead-lettered. */
  | 'RepliesRefused'
  /** A TIMER_FIRED set earlier than its wait's deadline (not one the engine set), dead-lettered. */
  | 'TimersRefused'
  /** An open wait of the record that the graph no longer holds and nothing answered: an engine defect. */
  | 'WaitsVanished';

export interface Metrics {
  record(name: MetricName, value: number, dimensions?: Readonly<Record<string, string>>): void;
}
