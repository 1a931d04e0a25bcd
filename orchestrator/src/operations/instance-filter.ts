import {
  INDEX_SHARDS,
  statusChangedAt,
  statusPartition,
  workflowPartition,
  type IndexedRecord,
} from '../aws/instance-index-layout';
import { INSTANCE_STATUSES, type InstanceStatus } from '../runtime/instance-record';
import type { IndexPartition } from './operations-ports';

/** What a listing selects; every field optional (no field: every instance). */
export interface InstanceFilter {
  /** Any of these statuses (none: all). */
  readonly statuses?: readonly InstanceStatus[] | undefined;
  readonly workflow_id?: string | undefined;
  /** Started at or after this time (ISO-8601). */
  readonly since?: string | undefined;
  /** Started at or before this time (ISO-8601): with `since`, a time range. */
  readonly until?: string | undefined;
  /**
   * Took its current status at or after this time (ISO-8601; `changed_at`, see `statusChangedAt` in
   * instance-index-layout.ts): ended since then, or went live (started, redriven) since then.
   */
  readonly changed_since?: string | undefined;
}

/** The statuses a filter selects, in a fixed order (so tokens are stable). */
export function selectedStatuses(filter: InstanceFilter): InstanceStatus[] {
  const wanted = filter.statuses && filter.statuses.length > 0 ? new Set(filter.statuses) : undefined;
  return INSTANCE_STATUSES.filter((s) => !wanted || wanted.has(s));
}

/**
 * The index partitions holding exactly the instances of a filter's statuses and workflow: every shard of
 * each status, in `by-change` when the filter asks by status change time (the workflow filtered in the
 * index), else in `by-workflow` when a workflow is named, else in `by-status`. Fixed order.
 */
export function partitionsFor(filter: InstanceFilter): IndexPartition[] {
  return selectedStatuses(filter).flatMap((status) => statusPartitions(status, filter));
}

/** Every shard of one status, in the index `partitionsFor` picks for the filter (or `by-change`). */
export function statusPartitions(
  status: InstanceStatus,
  filter: InstanceFilter,
  index?: 'by-change',
): IndexPartition[] {
  const partitions: IndexPartition[] = [];
  for (let shard = 0; shard < INDEX_SHARDS; shard++) {
    if (index === 'by-change' || filter.changed_since !== undefined) {
      partitions.push({
        index: 'by-change',
        key: statusPartition(status, shard),
        ...(filter.workflow_id !== undefined ? { workflow_id: filter.workflow_id } : {}),
      });
    } else if (filter.workflow_id !== undefined) {
      partitions.push({ index: 'by-workflow', key: workflowPartition(filter.workflow_id, status, shard) });
    } else {
      partitions.push({ index: 'by-status', key: statusPartition(status, shard) });
    }
  }
  return partitions;
}

/** Whether a record's start and change times are within the filter's (the index checked only one). */
export function withinTimes(record: IndexedRecord, filter: InstanceFilter): boolean {
  if (filter.since !== undefined && record.created_at < filter.since) return false;
  if (filter.until !== undefined && record.created_at > filter.until) return false;
  if (filter.changed_since !== undefined && statusChangedAt(record) < filter.changed_since) return false;
  return true;
}

/** A canonical text of the filter: binds a page token to the listing that printed it. */
export function filterSignature(filter: InstanceFilter, extra = ''): string {
  return JSON.stringify([
    selectedStatuses(filter),
    filter.workflow_id ?? null,
    filter.since ?? null,
    extra,
    ...(filter.changed_since !== undefined ? [filter.changed_since] : []),
    // Last and only when set, so the tokens of listings without it stay what they were.
    ...(filter.until !== undefined ? [{ until: filter.until }] : []),
  ]);
}
