import type { IndexEntry, IndexPartition, InstanceQueryPort } from './operations-ports';

/** Bounds on the sort key of every partition of a merged page (ISO-8601, both inclusive). */
export interface IndexRange {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** Where a partition's reading stands: not begun, past an entry, or read to its end. */
export type PartitionCursor = 'start' | 'done' | IndexEntry;

export interface MergedPage {
  /** Newest first across every partition. */
  readonly entries: readonly IndexEntry[];
  /** For each entry, the position in `partitions` of the partition it came from. */
  readonly sources: readonly number[];
  /** One per partition, in the order given: where the next page resumes. */
  readonly cursors: readonly PartitionCursor[];
  /** Every partition has been read to its end. */
  readonly exhausted: boolean;
}

/** Newest first; the instance id breaks ties, so the order is total. */
export function newerFirst(a: IndexEntry, b: IndexEntry): number {
  if (a.sort_key !== b.sort_key) return a.sort_key > b.sort_key ? -1 : 1;
  return a.instance_id > b.instance_id ? -1 : a.instance_id < b.instance_id ? 1 : 0;
}

/**
 * One page of at most `limit` entries merged from several index partitions (a status spread over shards,
 * several statuses), newest first (the largest sort key first), within `range`.
 *
 * Invariant: each partition's cursor moves only past entries this page returned, so a page never loses or
 * repeats an entry, whatever the interleaving: the entries a partition returned but the page did not take
 * are read again next time. A partition's buffer that runs dry while the partition has more is refilled
 * before the merge goes on, since its next entries may be newer than the other partitions' heads.
 */
export async function mergedIndexPage(
  port: InstanceQueryPort,
  partitions: readonly IndexPartition[],
  cursors: readonly PartitionCursor[],
  range: IndexRange,
  limit: number,
): Promise<MergedPage> {
  const reading = partitions.map((partition, i) => {
    const cursor = cursors[i] ?? 'start';
    return {
      partition,
      cursor,
      buffer: [] as IndexEntry[],
      more: cursor !== 'done',
      // The last entry read from the index (where the next query of this partition resumes).
      readUpTo: cursor === 'start' || cursor === 'done' ? undefined : cursor,
      taken: undefined as IndexEntry | undefined,
    };
  });
  const refill = async (r: (typeof reading)[number]) => {
    const result = await port.queryIndex({
      partition: r.partition,
      from: range.from,
      to: range.to,
      after: r.readUpTo,
      limit,
    });
    r.buffer.push(...result.entries);
    r.readUpTo = result.entries.at(-1) ?? r.readUpTo;
    r.more = result.more && result.entries.length > 0;
  };
  const entries: IndexEntry[] = [];
  const sources: number[] = [];
  while (entries.length < limit) {
    await Promise.all(reading.filter((r) => r.buffer.length === 0 && r.more).map(refill));
    let best: (typeof reading)[number] | undefined;
    for (const r of reading) {
      const head = r.buffer[0];
      if (head && (!best || newerFirst(head, best.buffer[0] as IndexEntry) < 0)) best = r;
    }
    if (!best) break;
    const entry = best.buffer.shift() as IndexEntry;
    best.taken = entry;
    entries.push(entry);
    sources.push(reading.indexOf(best));
  }
  const next: PartitionCursor[] = reading.map((r) => {
    if (r.buffer.length === 0 && !r.more) return 'done';
    return r.taken ?? r.cursor;
  });
  return { entries, sources, cursors: next, exhausted: next.every((c) => c === 'done') };
}
