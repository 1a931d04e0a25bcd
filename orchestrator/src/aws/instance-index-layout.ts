import { createHash } from 'node:crypto';

/**
 * The instance index: four sparse global secondary indexes of the workflow state table, shared by the CDK
 * app, the local stack, the instance store (which writes the key attributes) and the query layer (which
 * reads them). Pure: no SDK, no environment, so `infra/` imports it as it imports resource names.
 *
 * - `by-status`: partition `ix_status` = `<status>#<shard>`, sort `ix_started` = the instance's start time.
 * - `by-workflow`: partition `ix_workflow` = `<workflow_id>#<status>#<shard>`, sort `ix_started` likewise.
 * - `by-change`: partition `ix_status` (as `by-status`), sort `ix_changed` = when the instance took its
 *   current status (`statusChangedAt`); projects `ix_workflow` too, so a listing of one workflow's changes
 *   filters in the index, before any record is read.
 * - `by-deadline`: partition `ix_due` = `DUE#<shard>`, sort `ix_deadline` = the earliest deadline of the
 *   instance's open waits (`earliestDeadline`). Only live instances with a wait that has a deadline are in
 *   it, so "waits past their deadline" is one range query per shard, whatever the number of live
 *   instances.
 *
 * Invariants:
 * - Only status records carry these attributes (the table also holds leases, history and resolution items
 *   and checkpoints, which stay out of every index: the indexes are sparse).
 * - The attributes are a pure function of the record (status, workflow id, start and update times, open
 *   waits, redrives, instance id) and are written in the same UpdateItem as the record, so the indexes never
 *   disagree with a committed record for longer than GSI propagation (eventually consistent; readers
 *   re-check the record). An attribute that is `undefined` is removed by that write (the record leaves that
 *   index).
 * - `ix_status`, `ix_workflow`, `ix_started` and `ix_changed` change only when the status changes: the
 *   start time never changes; the status change time is the start or the last redrive while live (an
 *   instance becomes live only by a START or a redrive, and RUNNING <-> WAITING happens inside one
 *   invocation, never between two commits' rest states that `ix_changed` could miss by more than that
 *   invocation), and the update time of the commit that ended it once it has ended. One exception: a
 *   cancel that had capabilities to tell commits twice (the CANCELLED record, then the same without its
 *   outbox of notices, milliseconds later), so `ix_changed` moves once more then.
 * - `ix_deadline` changes only when the set of open waits changes the earliest deadline: a wait opened
 *   with an earlier deadline than every open one, the wait holding the earliest closed, the instance ended.
 *   A step that opens or closes no wait never changes it; a step that does changes it at most once.
 * - A record written with the same values costs no index write (DynamoDB writes an index only when one of
 *   its key or projected attributes changes). `by-status`, `by-workflow` and `by-deadline` project
 *   KEYS_ONLY, `by-change` KEYS_ONLY plus `ix_workflow` (which changes only with the status).
 * - The shard is a hash of the instance id and the shard count is fixed: readers query every shard of a
 *   partition. It spreads one status (or one workflow's status, or the deadlines) over several index
 *   partitions, since a timestamp sort key cannot be split for heat and one index partition takes about
 *   1,000 writes a second; changing the count needs the records rewritten.
 *
 * What it costs a commit: nothing when neither the status nor the earliest open deadline changes, beyond
 * the attributes' bytes in the record item (about 150 bytes of the item's size, which is rounded up to 1 KB
 * per write unit). A status change writes `by-status`, `by-workflow` and `by-change` twice each (delete the
 * old entry, put the new one; an entry is about 150 bytes, one write unit): 6 write units; a new record 3.
 * A change of the earliest open deadline writes `by-deadline` once or twice: 1 write unit when the
 * instance enters it (its first wait with a deadline) or leaves it (its last one closes, or it ends), 2
 * when the earliest deadline moves. An instance that starts into a wait with a deadline and then ends costs
 * 3 + 1 (start) + 6 + 1 (end) = 11 write units over its life, and a further 2 for each later wait with a
 * deadline, however many steps it takes.
 */
export interface InstanceIndexLayout {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Attributes projected besides the keys (none: KEYS_ONLY). */
  readonly include?: readonly string[];
}

export const INSTANCE_INDEX = {
  byStatus: { name: 'by-status', partitionKey: 'ix_status', sortKey: 'ix_started' },
  byWorkflow: { name: 'by-workflow', partitionKey: 'ix_workflow', sortKey: 'ix_started' },
  byChange: {
    name: 'by-change',
    partitionKey: 'ix_status',
    sortKey: 'ix_changed',
    include: ['ix_workflow'],
  },
  byDeadline: { name: 'by-deadline', partitionKey: 'ix_due', sortKey: 'ix_deadline' },
} as const satisfies Record<string, InstanceIndexLayout>;

/** The index attributes, as `indexAttributes` returns them: the last two only for open waits' deadlines. */
export type IndexAttributes = Record<'ix_status' | 'ix_workflow' | 'ix_started' | 'ix_changed', string> &
  Record<'ix_due' | 'ix_deadline', string | undefined>;

/** Every attribute `indexAttributes` may write (the backfill and the tests read them). */
export const INDEX_ATTRIBUTE_NAMES = [
  'ix_status',
  'ix_workflow',
  'ix_started',
  'ix_changed',
  'ix_due',
  'ix_deadline',
] as const;

/** How many index partitions each status (and each workflow's status) is spread over. */
export const INDEX_SHARDS = 4;

/** The shard of an instance: stable, uniform over `INDEX_SHARDS`. */
export function indexShard(instanceId: string): number {
  return createHash('sha256').update(instanceId).digest().readUInt32BE(0) % INDEX_SHARDS;
}

/** What the index attributes are a function of: a status record, or the part of it they read. */
export interface IndexedRecord {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly status: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly waits: readonly { readonly deadline: string | null }[];
  readonly redrives?: readonly { readonly at: string }[];
}

/** The index attributes of a status record, exactly as the store writes them. */
export function indexAttributes(record: IndexedRecord): IndexAttributes {
  const shard = indexShard(record.instance_id);
  const deadline = earliestDeadline(record);
  return {
    ix_status: statusPartition(record.status, shard),
    ix_workflow: workflowPartition(record.workflow_id, record.status, shard),
    ix_started: record.created_at,
    ix_changed: statusChangedAt(record),
    ix_due: deadline === undefined ? undefined : duePartition(shard),
    ix_deadline: deadline,
  };
}

const ENDED: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * When the instance took its current status (the `by-change` sort key, `changed_at` of `wf list`):
 * - ended (SUCCEEDED, FAILED, CANCELLED): when it ended, the update time of its last commit (for a cancel
 *   that told capabilities, the commit that recorded the notices sent, milliseconds after the cancel);
 * - live (RUNNING, WAITING): when its current run began, its start or its last redrive, whichever is later.
 *   An instance goes live only by a START or a redrive, and goes between RUNNING and WAITING within one
 *   invocation (a reply resumes it and the same invocation commits its next wait or its end), so this is
 *   the last status change up to the length of the first invocation of that run.
 * It does not move while the instance keeps its status, so steps do not move it: a WAITING instance
 * that goes from one wait to the next keeps the time it went live.
 */
export function statusChangedAt(record: IndexedRecord): string {
  if (ENDED.has(record.status)) return record.updated_at;
  const redriven = record.redrives?.at(-1)?.at;
  return redriven !== undefined && redriven > record.created_at ? redriven : record.created_at;
}

/** The earliest deadline of a live instance's open waits (ISO-8601, UTC); none when it has none. */
export function earliestDeadline(record: IndexedRecord): string | undefined {
  if (ENDED.has(record.status)) return undefined;
  let earliest: number | undefined;
  for (const wait of record.waits) {
    if (wait.deadline === null) continue;
    const at = Date.parse(wait.deadline);
    if (Number.isFinite(at) && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest === undefined ? undefined : new Date(earliest).toISOString();
}

export function statusPartition(status: string, shard: number): string {
  return `${status}#${shard}`;
}

/** Workflow ids are `[A-Za-z0-9_.-]+`, so `#` cannot be part of one. */
export function workflowPartition(workflowId: string, status: string, shard: number): string {
  return `${workflowId}#${status}#${shard}`;
}

/** The `by-deadline` partition of a shard. */
export function duePartition(shard: number): string {
  return `DUE#${shard}`;
}
