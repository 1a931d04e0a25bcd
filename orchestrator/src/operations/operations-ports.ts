import type { InstanceRecord } from '../runtime/instance-record';
import type { InstanceFilter } from './instance-filter';

/**
 * What the operator queries (`wf list`, `wf describe`, a console later) need from storage. The AWS adapter
 * is `DynamoDbInstanceIndex`; the query layer itself makes no AWS call.
 */

/** One partition of an instance index: every entry in it has the same status (and workflow, if any). */
export interface IndexPartition {
  /**
   * `by-status`, `by-workflow`: sorted by start time; `by-change`: by status change time; `by-deadline`:
   * by the earliest open wait's deadline (live instances only, every status in one partition per shard).
   */
  readonly index: 'by-status' | 'by-workflow' | 'by-change' | 'by-deadline' | 'sfn-executions';
  /** The partition key value (see instance-index-layout.ts); `sfn-executions`: `<status>#<machine ARN>`. */
  readonly key: string;
  /** `by-change` only: keep the entries of this workflow (filtered in the index, on `ix_workflow`). */
  readonly workflow_id?: string | undefined;
  /**
   * `sfn-executions` only (Step Functions mode): the executions of one state machine in one execution
   * status (ListExecutions), by start time, or by status change time (its stop time; its start while it
   * runs) when `by_change`. Their entries are instance ids like any other index's; their records are read
   * back from the executions (see `records`).
   */
  readonly sfn?: {
    readonly state_machine_arn: string;
    readonly execution_status: string;
    readonly by_change: boolean;
  };
}

/** An index entry: enough to order it and to resume a query right after it. */
export interface IndexEntry {
  readonly instance_id: string;
  /** The index's sort key value (ISO-8601, UTC): start time, status change time or deadline. */
  readonly sort_key: string;
}

export interface IndexQuery {
  readonly partition: IndexPartition;
  /** Only entries whose sort key is at or after this (ISO-8601). */
  readonly from?: string | undefined;
  /** Only entries whose sort key is at or before this (ISO-8601). */
  readonly to?: string | undefined;
  /** Resume strictly after this entry of the same partition (newest first). */
  readonly after?: IndexEntry | undefined;
  readonly limit: number;
}

export interface IndexQueryResult {
  /** Newest first. */
  readonly entries: readonly IndexEntry[];
  /** True when the partition may hold more entries after the last one returned. */
  readonly more: boolean;
}

/** A lease item as stored: when it expires (epoch ms), whether or not it is still held. */
export interface LeaseState {
  readonly expires_at: number;
}

export interface InstanceQueryPort {
  /** One page of one index partition, newest first. Eventually consistent (GSI). */
  queryIndex(query: IndexQuery): Promise<IndexQueryResult>;
  /** The status records of these instances as committed (consistent reads); absent ids are left out. */
  records(instanceIds: readonly string[]): Promise<Map<string, InstanceRecord>>;
  /** The lease items of these instances, expired ones included; instances without one are left out. */
  leases(instanceIds: readonly string[]): Promise<Map<string, LeaseState>>;
  /** One instance with its whole history (what `wf status` shows). */
  instance(instanceId: string): Promise<InstanceRecord | undefined>;
  /** The text of a pinned definition snapshot, by its sha256. */
  pinnedDefinition(sha256: string): Promise<string | undefined>;
  /**
   * The partitions besides the engine's indexes that hold a filter's instances: Step Functions mode's
   * executions (`sfn-executions`), when the deployment has state machines. Absent: the engine's only.
   */
  modePartitions?(filter: InstanceFilter): Promise<IndexPartition[]>;
}

/**
 * A message for an instance found in a dead-letter queue (a START or a reply that could not be handled).
 * The DLQ reader (`wf dlq`) supplies these; the queries only judge them.
 */
export interface DeadLetteredInstance {
  readonly instance_id: string;
  /** Which queue's DLQ: `command`, `reply`, or a capability domain. */
  readonly queue: string;
  /** The message type, when it could be parsed (START_WORKFLOW, ASYNC_RESP, ...). */
  readonly type?: string | undefined;
  /** The reason the consumer gave when it dead-lettered the message (`cch-dead-letter-reason`). */
  readonly reason?: string | undefined;
  /** The workflow id the message named, when it names one. */
  readonly workflow_id?: string | undefined;
}

/**
 * The definitions bucket as the definitions catalog reads it (`S3DefinitionCatalog`): the current files,
 * and which pinned snapshots exist, read-only.
 */
export interface DefinitionFilesPort {
  /** Keys of the current definition files (YAML, not the pinned snapshots), in key order. */
  definitionKeys(): Promise<string[]>;
  /** The sha256 of every pinned snapshot in the bucket. */
  pinnedSha256s(): Promise<string[]>;
  /** A current definition file's text; undefined once it is gone. */
  definitionText(key: string): Promise<string | undefined>;
}
