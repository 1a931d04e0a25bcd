import type { InstanceFilter } from '../../orchestrator/src/operations/instance-filter';
import { listInstances, MAX_PAGE_SIZE } from '../../orchestrator/src/operations/list-instances';
import type { InstanceQueryPort } from '../../orchestrator/src/operations/operations-ports';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../orchestrator/src/runtime/instance-record';

/** How many instances one status has under the page's other filters; `more` once past one full page. */
export interface StatusCount {
  readonly status: InstanceStatus;
  readonly count: number;
  readonly more: boolean;
}

/**
 * Counts per status through the same listing `wf list` uses (the indexes hold no counters): one page of
 * at most MAX_PAGE_SIZE per status, so a count past that shows as "1000+" instead of reading on.
 */
export async function statusCounts(port: InstanceQueryPort, filter: InstanceFilter): Promise<StatusCount[]> {
  return Promise.all(
    INSTANCE_STATUSES.map(async (status) => {
      const page = await listInstances(port, { ...filter, statuses: [status] }, { limit: MAX_PAGE_SIZE });
      return { status, count: page.instances.length, more: page.next !== null };
    }),
  );
}
