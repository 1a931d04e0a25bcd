import type { InstanceRow } from './instance-row';
import type { InstanceQueryPort } from './operations-ports';
import { DEFAULT_STUCK_AFTER_MS, findStuckInstances } from './stuck-instances';

/** The gauges the scheduled stuck check publishes (namespace `names.metricsNamespace`, env and owner). */
export const STUCK_CHECK_METRICS = {
  /** Open waits whose deadline passed over `stuckAfterMs` ago (their timer was lost or keeps failing). */
  waitsOverdue: 'WaitsOverdue',
  /** Live instances that cannot move on their own: an overdue wait, or RUNNING with no activity. */
  instancesStuck: 'InstancesStuck',
} as const;

export interface StuckCheckOptions {
  readonly now: Date;
  readonly stuckAfterMs?: number;
  /** Stop examining after this long (the Lambda's timeout, less a margin); the result says so. */
  readonly budgetMs?: number;
  /** Instances examined per page of the index. @default 500 */
  readonly pageSize?: number;
  /** Clock of the budget (not of the judgement, which is `now`). */
  readonly elapsed?: () => number;
}

export interface StuckCheckResult {
  readonly waitsOverdue: number;
  readonly instancesStuck: number;
  /** The stuck instances, for the log (an operator's `wf list --stuck` shows the same). */
  readonly stuck: readonly InstanceRow[];
  /** False when the budget ran out first: the counts are lower bounds. */
  readonly complete: boolean;
}

/**
 * One run of the scheduled stuck check: finds the candidates among the live (RUNNING or WAITING)
 * instances through the instance indexes, judges each as `wf list --stuck` does (stuckReasons), and counts.
 *
 * Why a scheduled check and not a metric the orchestrator emits: an overdue wait is a timer that never
 * came and a stuck RUNNING instance is a message that is gone; in both cases the orchestrator is never
 * invoked for the instance, so nothing it could emit would say so. Only something that looks from outside
 * can.
 *
 * Instances held up by a message in a DLQ are not counted here: every DLQ alarms on its own depth, and the
 * orchestrator's dead-lettered messages have an alarm of their own (Monitoring).
 *
 * Cost: in proportion to the candidates, not to the live instances. It reads two index ranges up to
 * `now - stuckAfterMs` (see `findStuckInstances`): the `by-deadline` index (live instances whose earliest
 * open deadline is that old) and the RUNNING partitions of `by-change` (RUNNING instances that went live
 * that long ago), one query per shard and per 500 entries, then the status record and lease of each entry
 * found. With nothing stuck, a run is 8 queries returning nothing (8 read units), whatever the number of
 * live instances: a WAITING instance whose deadline is ahead, or whose waits have none, is never read.
 */
export async function runStuckCheck(
  port: InstanceQueryPort,
  options: StuckCheckOptions,
): Promise<StuckCheckResult> {
  const started = Date.now();
  const elapsed = options.elapsed ?? (() => Date.now() - started);
  const stuck: InstanceRow[] = [];
  let next: string | undefined;
  let complete = false;
  for (;;) {
    const page = await findStuckInstances(
      port,
      { statuses: ['RUNNING', 'WAITING'] },
      {
        now: options.now,
        stuckAfterMs: options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS,
        limit: options.pageSize ?? 500,
        next,
      },
    );
    stuck.push(...page.instances);
    if (page.next === null) {
      complete = true;
      break;
    }
    next = page.next;
    if (options.budgetMs !== undefined && elapsed() >= options.budgetMs) break;
  }
  const waitsOverdue = stuck.reduce(
    (n, row) => n + row.stuck.filter((s) => s.reason === 'WAIT_OVERDUE').length,
    0,
  );
  return { waitsOverdue, instancesStuck: stuck.length, stuck, complete };
}

/**
 * The run's gauges as one CloudWatch Embedded Metric Format line (Lambda ships it to the log group, and
 * CloudWatch extracts the metrics), with the deployment's dimensions only: one series per deployment.
 */
export function stuckCheckEmf(
  result: Pick<StuckCheckResult, 'waitsOverdue' | 'instancesStuck'>,
  namespace: string,
  deployment: Readonly<Record<string, string>>,
  timestamp: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(deployment)],
          Metrics: [
            { Name: STUCK_CHECK_METRICS.waitsOverdue, Unit: 'Count' },
            { Name: STUCK_CHECK_METRICS.instancesStuck, Unit: 'Count' },
          ],
        },
      ],
    },
    ...deployment,
    [STUCK_CHECK_METRICS.waitsOverdue]: result.waitsOverdue,
    [STUCK_CHECK_METRICS.instancesStuck]: result.instancesStuck,
  });
}
