import { partitionsFor, type InstanceFilter } from '../../orchestrator/src/operations/instance-filter';
import { indexRange, MAX_PAGE_SIZE } from '../../orchestrator/src/operations/list-instances';
import { mergedIndexPage } from '../../orchestrator/src/operations/merged-index-pages';
import type { InstanceQueryPort } from '../../orchestrator/src/operations/operations-ports';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../orchestrator/src/runtime/instance-record';

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
 */
export async function statusCounts(port: InstanceQueryPort, filter: InstanceFilter): Promise<StatusCount[]> {
  return Promise.all(
    INSTANCE_STATUSES.map(async (status) => {
      const partitions = partitionsFor({ ...filter, statuses: [status] });
      const page = await mergedIndexPage(
        port,
        partitions,
        partitions.map(() => 'start' as const),
        indexRange(filter),
        MAX_PAGE_SIZE,
      );
      return { status, count: page.entries.length, more: !page.exhausted };
    }),
  );
}
