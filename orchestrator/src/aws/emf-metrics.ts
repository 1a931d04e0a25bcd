import type { MetricName, Metrics } from '../runtime/ports';

const UNITS: Record<MetricName, 'Count' | 'Milliseconds'> = {
  WorkflowsStarted: 'Count',
  WorkflowsSucceeded: 'Count',
  WorkflowsFailed: 'Count',
  WorkflowsCancelled: 'Count',
  StepDuration: 'Milliseconds',
  DuplicateReplies: 'Count',
  StaleReplies: 'Count',
  LeaseConflicts: 'Count',
  RequestsDispatched: 'Count',
  CapabilityQueueMissing: 'Count',
  StartConflicts: 'Count',
  WorkflowsRedriven: 'Count',
  RedrivesRefused: 'Count',
  CancelNoticesSent: 'Count',
  RepliesRefused: 'Count',
  TimersRefused: 'Count',
  WaitsVanished: 'Count',
};

/**
 * Metrics in CloudWatch Embedded Metric Format: one JSON line per data point on stdout, which Lambda ships
 * to CloudWatch Logs and CloudWatch turns into metrics. Every metric carries the deployment's dimensions
 * (env, owner) and is published per workflow_id (when known) and in aggregate, so dashboards can show
 * both without mixing deployments that share an account.
 */
export class EmfMetrics implements Metrics {
  constructor(
    private readonly namespace: string,
    private readonly deployment: Readonly<Record<string, string>>,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
    private readonly now: () => number = Date.now,
  ) {}

  record(name: MetricName, value: number, extra: Readonly<Record<string, string>> = {}): void {
    const base = Object.keys(this.deployment);
    const dimensions = { ...extra, ...this.deployment };
    const dimensionSets: string[][] = [base];
    if (extra.workflow_id !== undefined) dimensionSets.push([...base, 'workflow_id']);
    this.write(
      JSON.stringify({
        _aws: {
          Timestamp: this.now(),
          CloudWatchMetrics: [
            {
              Namespace: this.namespace,
              Dimensions: dimensionSets,
              Metrics: [{ Name: name, Unit: UNITS[name] }],
            },
          ],
        },
        ...dimensions,
        [name]: value,
      }),
    );
  }
}
