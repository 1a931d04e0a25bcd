import {
  filterSignature,
  partitionsFor,
  selectedStatuses,
  withinTimes,
  type InstanceFilter,
} from './instance-filter';
import { rowOf, type InstanceRow } from './instance-row';
import { mergedIndexPage, type IndexRange } from './merged-index-pages';
import type { InstanceQueryPort } from './operations-ports';
import { decodePageToken, encodePageToken } from './page-token';

/** A page of a listing: `next` is null on the last page. */
export interface InstancePage {
  readonly instances: readonly InstanceRow[];
  readonly next: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/**
 * Instances selected by `filter`, `limit` per page, from the instance indexes (no scan): the index gives
 * the ids, the status records (read consistently) give each row. Newest start first; with
 * `changed_since`, newest status change first (from `by-change`; a `since` given too is checked on the
 * records).
 *
 * The index is eventually consistent, the records are not: an instance whose record has moved to a status
 * the filter does not select since the index was read is left out (it is listed under its new status), so
 * a page may hold fewer than `limit` rows while `next` is not null.
 */
export async function listInstances(
  port: InstanceQueryPort,
  filter: InstanceFilter,
  page: { readonly limit?: number; readonly next?: string | undefined } = {},
): Promise<InstancePage> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  // The engine's partitions, then Step Functions mode's (one per state machine and execution status),
  // merged newest first like the engine's shards; the token keeps one cursor for each.
  const partitions = [...partitionsFor(filter), ...((await port.modePartitions?.(filter)) ?? [])];
  const signature = filterSignature(filter);
  const cursors = page.next
    ? decodePageToken(page.next, signature, partitions.length)
    : partitions.map(() => 'start' as const);
  const range = indexRange(filter);
  const merged = await mergedIndexPage(port, partitions, cursors, range, limit);
  const records = await port.records(merged.entries.map((e) => e.instance_id));
  const statuses = new Set(selectedStatuses(filter));
  const instances: InstanceRow[] = [];
  for (const entry of merged.entries) {
    const record = records.get(entry.instance_id);
    if (record && statuses.has(record.status) && withinTimes(record, filter)) instances.push(rowOf(record));
  }
  return { instances, next: merged.exhausted ? null : encodePageToken(signature, merged.cursors) };
}

/**
 * The bounds of the index's sort key for a filter: start times (`since`, `until`) in the indexes sorted by
 * start, the change time (`changed_since`) in `by-change`, where the start times are checked on the
 * records instead (withinTimes).
 */
export function indexRange(filter: InstanceFilter): IndexRange {
  return filter.changed_since !== undefined
    ? { from: filter.changed_since }
    : { from: filter.since, to: filter.until };
}
