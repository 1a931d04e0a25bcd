import { createHash } from 'node:crypto';

/**
 * The instance index: two sparse global secondary indexes of the workflow state table, shared by the CDK
 * app, the local stack, the instance store (which writes the key attributes) and the query layer (which
 * reads them). Pure: no SDK, no environment, so `infra/` imports it as it imports resource names.
 *
 * - `by-status`: partition `ix_status` = `<status>#<shard>`, sort `ix_started` = the instance's start time.
 * - `by-workflow`: partition `ix_workflow` = `<workflow_id>#<status>#<shard>`, sort `ix_started` likewise.
 *
 * Invariants:
 * - Only status records carry these attributes (the table also holds leases, history and resolution items
 *   and checkpoints, which stay out of both indexes: the indexes are sparse).
 * - The attributes are a pure function of the record (status, workflow id, start time, instance id) and
 *   are written in the same UpdateItem as the record, so the index never disagrees with a committed
 *   record for longer than GSI propagation (eventually consistent; readers re-check the record).
 * - The key values change only when the status changes: the start time never changes, and a record
 *   written with the same values costs no index write (DynamoDB writes an index only when one of its key
 *   or projected attributes changes). Both indexes project KEYS_ONLY.
 * - The shard is a hash of the instance id and the shard count is fixed: readers query every shard of a
 *   partition. It spreads one status (or one workflow's status) over several index partitions, since a
 *   timestamp sort key cannot be split for heat and one index partition takes about 1,000 writes a
 *   second; changing the count needs the records rewritten.
 *
 * What it costs a commit: nothing when the status is unchanged beyond the attributes' bytes in the record
 * item (about 90 bytes of the item's size, which is rounded up to 1 KB per write unit). A status change
 * writes each index twice (delete the old entry, put the new one; an entry is about 150 bytes, one write
 * unit): 4 write units; a new record 2. An instance that starts, waits and ends costs 2 + 4 + 4 = 10 write
 * units over its life, however many steps it takes.
 */
export const INSTANCE_INDEX = {
  byStatus: { name: 'by-status', partitionKey: 'ix_status', sortKey: 'ix_started' },
  byWorkflow: { name: 'by-workflow', partitionKey: 'ix_workflow', sortKey: 'ix_started' },
} as const;

/** How many index partitions each status (and each workflow's status) is spread over. */
export const INDEX_SHARDS = 4;

/** The shard of an instance: stable, uniform over `INDEX_SHARDS`. */
export function indexShard(instanceId: string): number {
  return createHash('sha256').update(instanceId).digest().readUInt32BE(0) % INDEX_SHARDS;
}

/** The index attributes of a status record, exactly as the store writes them. */
export function indexAttributes(record: {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly status: string;
  readonly created_at: string;
}): Record<'ix_status' | 'ix_workflow' | 'ix_started', string> {
  const shard = indexShard(record.instance_id);
  return {
    ix_status: statusPartition(record.status, shard),
    ix_workflow: workflowPartition(record.workflow_id, record.status, shard),
    ix_started: record.created_at,
  };
}

export function statusPartition(status: string, shard: number): string {
  return `${status}#${shard}`;
}

/** Workflow ids are `[A-Za-z0-9_.-]+`, so `#` cannot be part of one. */
export function workflowPartition(workflowId: string, status: string, shard: number): string {
  return `${workflowId}#${status}#${shard}`;
}
