import { partitionsFor, type InstanceFilter } from '../../orchestrator/src/operations/instance-filter';
import { indexRange, MAX_PAGE_SIZE } from '../../orchestrator/src/operations/list-instances';
import { mergedIndexPage } from '../../orchestrator/src/operations/merged-index-pages';
import type { IndexPartition, InstanceQueryPort } from '../../orchestrator/src/operations/operations-ports';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../orchestrator/src/runtime/instance-record';

/**
 * At most this many records are read per count of the partitions that hold several statuses (RUNNING
 * executions): each is a DescribeExecution and a GetExecutionHistory, and the page refreshes every few
 * seconds, so a page of MAX_PAGE_SIZE would ask Step Functions for thousands of calls a minute, past its
 * API quotas (DescribeExecution's bucket is a few hundred). Past it, RUNNING and WAITING read "at least".
 */
export const MAX_RECORDS_PER_COUNT = 100;

/** How many instances one status has under the page's other filters; `more` once past one full page. */
export interface StatusCount {
  readonly status: InstanceStatus;
  readonly count: number;
  readonly more: boolean;
}

/**
 * Counts per status from the same index partitions `wf list` reads (the indexes hold no counters), the
 * index entries only: the page refreshes every few seconds, and reading each instance's record for a
 * number would cost a BatchGet per instance. So a count is as fresh as the index (eventually consistent:
 * an instance that just changed status may be counted under the old one for a moment), and one page of at
 * most MAX_PAGE_SIZE per status is read: past that it shows as "1000+".
 *
 * Step Functions mode's executions (the port's `modePartitions`, one partition per state machine and
 * execution status) are counted beside the engine's instances, in the same page per status. A partition
 * that holds one instance status only (SUCCEEDED, FAILED and TIMED_OUT for FAILED, ABORTED for
 * CANCELLED) is counted by its entries like the engine's. One that holds several (RUNNING executions are
 * RUNNING or WAITING, by whether a task waits for its token) is counted by its records, as `wf list`
 * reads them (each a DescribeExecution and its history): one page of at most `pageSize` entries (and at
 * most MAX_RECORDS_PER_COUNT) across those partitions, so past that RUNNING and WAITING both show as "at
 * least" (`more`).
 */
export async function statusCounts(
  port: InstanceQueryPort,
  filter: InstanceFilter,
  pageSize = MAX_PAGE_SIZE,
): Promise<StatusCount[]> {
  const range = indexRange(filter);
  const modeOf = await Promise.all(
    INSTANCE_STATUSES.map(
      async (status) => (await port.modePartitions?.({ ...filter, statuses: [status] })) ?? [],
    ),
  );
  // A mode partition listed under several statuses holds each of them: its entries need their records.
  const statusesOf = new Map<string, { partition: IndexPartition; statuses: InstanceStatus[] }>();
  modeOf.forEach((partitions, i) => {
    const status = INSTANCE_STATUSES[i] as InstanceStatus;
    for (const partition of partitions) {
      const key = `${partition.index}#${partition.key}`;
      const seen = statusesOf.get(key) ?? { partition, statuses: [] };
      seen.statuses.push(status);
      statusesOf.set(key, seen);
    }
  });
  const shared = [...statusesOf.values()].filter((p) => p.statuses.length > 1);
  const isShared = (p: IndexPartition) => (statusesOf.get(`${p.index}#${p.key}`)?.statuses.length ?? 0) > 1;
  const [counted, judged] = await Promise.all([
    Promise.all(
      INSTANCE_STATUSES.map(async (status, i) => {
        const partitions = [
          ...partitionsFor({ ...filter, statuses: [status] }),
          ...(modeOf[i] ?? []).filter((p) => !isShared(p)),
        ];
        const page = await mergedIndexPage(
          port,
          partitions,
          partitions.map(() => 'start' as const),
          range,
          pageSize,
        );
        return { status, count: page.entries.length, more: !page.exhausted };
      }),
    ),
    countedByRecords(port, shared, range, Math.min(pageSize, MAX_RECORDS_PER_COUNT)),
  ]);
  return counted.map((c) => {
    const extra = judged.counts.get(c.status);
    return extra === undefined
      ? c
      : { status: c.status, count: c.count + extra, more: c.more || !judged.exhausted };
  });
}

/**
 * The entries of partitions that hold several statuses, counted by their records' status: one page of
 * at most `pageSize` entries. A record that has moved to a status its partition does not hold since the
 * partition was read is left out (it is counted under its new status's partition), and so is an id
 * whose record is the engine's.
 */
async function countedByRecords(
  port: InstanceQueryPort,
  shared: readonly { partition: IndexPartition; statuses: readonly InstanceStatus[] }[],
  range: ReturnType<typeof indexRange>,
  pageSize: number,
): Promise<{ counts: Map<InstanceStatus, number>; exhausted: boolean }> {
  const counts = new Map<InstanceStatus, number>();
  if (shared.length === 0) return { counts, exhausted: true };
  for (const { statuses } of shared) for (const status of statuses) counts.set(status, 0);
  const partitions = shared.map((s) => s.partition);
  const page = await mergedIndexPage(
    port,
    partitions,
    partitions.map(() => 'start' as const),
    range,
    pageSize,
  );
  const records = await port.records(page.entries.map((e) => e.instance_id));
  page.entries.forEach((entry, i) => {
    const record = records.get(entry.instance_id);
    const holds = shared[page.sources[i] ?? 0]?.statuses ?? [];
    // An id the engine's table holds is the engine's (its own index counted it).
    if (record?.step_functions && holds.includes(record.status)) {
      counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
    }
  });
  return { counts, exhausted: page.exhausted };
}
