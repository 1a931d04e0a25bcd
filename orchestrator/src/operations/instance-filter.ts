import { INDEX_SHARDS, statusPartition, workflowPartition } from '../aws/instance-index-layout';
import { INSTANCE_STATUSES, type InstanceStatus } from '../runtime/instance-record';
import type { IndexPartition } from './operations-ports';

/** What a listing selects; every field optional (no field: every instance). */
export interface InstanceFilter {
  /** Any of these statuses (none: all). */
  readonly statuses?: readonly InstanceStatus[] | undefined;
  readonly workflow_id?: string | undefined;
  /** Started at or after this time (ISO-8601). */
  readonly since?: string | undefined;
}

/** The statuses a filter selects, in a fixed order (so tokens are stable). */
export function selectedStatuses(filter: InstanceFilter): InstanceStatus[] {
  const wanted = filter.statuses && filter.statuses.length > 0 ? new Set(filter.statuses) : undefined;
  return INSTANCE_STATUSES.filter((s) => !wanted || wanted.has(s));
}

/**
 * The index partitions holding exactly the instances of a filter's statuses and workflow: every shard of
 * each status, in `by-workflow` when a workflow is named, else in `by-status`. Fixed order.
 */
export function partitionsFor(filter: InstanceFilter): IndexPartition[] {
  const partitions: IndexPartition[] = [];
  for (const status of selectedStatuses(filter)) {
    for (let shard = 0; shard < INDEX_SHARDS; shard++) {
      partitions.push(
        filter.workflow_id !== undefined
          ? { index: 'by-workflow', key: workflowPartition(filter.workflow_id, status, shard) }
          : { index: 'by-status', key: statusPartition(status, shard) },
      );
    }
  }
  return partitions;
}

/** A canonical text of the filter: binds a page token to the listing that printed it. */
export function filterSignature(filter: InstanceFilter, extra = ''): string {
  return JSON.stringify([selectedStatuses(filter), filter.workflow_id ?? null, filter.since ?? null, extra]);
}
