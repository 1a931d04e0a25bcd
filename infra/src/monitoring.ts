import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';
import type { Queues } from './queues';

/** The EMF metrics the orchestrator emits (orchestrator/src/runtime/ports.ts `MetricName`). */
export const ENGINE_METRICS = [
  'WorkflowsStarted',
  'WorkflowsSucceeded',
  'WorkflowsFailed',
  'StepDuration',
  'DuplicateReplies',
  'StaleReplies',
  'LeaseConflicts',
] as const;
export type EngineMetric = (typeof ENGINE_METRICS)[number];

/**
 * The orchestrator's EmfMetrics (orchestrator/src/aws/emf-metrics.ts) publishes every data point twice: in
 * aggregate (no dimension) and per `workflow_id`. The dashboard's graphs read the aggregate; one widget
 * searches the per-workflow series.
 */
export const WORKFLOW_ID_DIMENSION = 'workflow_id';

export interface MonitoringProps {
  readonly names: ResourceNames;
  readonly queues: Queues;
  readonly orchestrator: lambda.IFunction;
  /** Where the retention function's stream batches end after their retries (alarmed like every DLQ). */
  readonly retentionDlq?: sqs.IQueue;
  /** Present when the capability mock is deployed: its errors are alarmed too. */
  readonly capabilityMock?: lambda.IFunction;
  /** Notified when any alarm fires or recovers (e.g. an `SnsAction` on the on-call topic). @default none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * Age of the oldest message on the command or reply queue above which it alarms: the orchestrator is not
   * keeping up, or is failing on it. @default 15 minutes
   */
  readonly maxMessageAge?: Duration;
}

/**
 * Alarms on what needs a human: any message in any DLQ, commands or replies waiting too long, orchestrator
 * errors and throttles. A dashboard shows the workflows' own metrics (EMF) beside queue depths and Lambda
 * health.
 */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  /**
   * DLQ alarms by the label of the queue or source feeding the DLQ (`command`, `reply`,
   * `capability-<domain>`, `retention`).
   */
  public readonly dlqAlarms: ReadonlyMap<string, cloudwatch.Alarm>;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: MonitoringProps,
  ) {
    super(scope, id);
    const { names, queues } = props;
    const dlqAlarms = new Map<string, cloudwatch.Alarm>();
    for (const { label, dlq, description } of this.deadLetterQueues()) {
      dlqAlarms.set(
        label,
        this.alarm(`DlqMessages-${label}`, `${label}-dlq-not-empty`, {
          alarmDescription: description,
          metric: dlq.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
        }),
      );
    }
    this.dlqAlarms = dlqAlarms;

    const maxAge = props.maxMessageAge ?? Duration.minutes(15);
    for (const [label, queue] of [
      ['command', queues.command.queue],
      ['reply', queues.reply.queue],
    ] as const) {
      this.alarm(`OldestMessage-${label}`, `${label}-queue-oldest-message-age`, {
        alarmDescription: `A message has waited over ${maxAge.toHumanString()} on the ${label} queue.`,
        metric: queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: maxAge.toSeconds(),
        evaluationPeriods: 1,
      });
    }

    const functions: [string, lambda.IFunction][] = [['orchestrator', props.orchestrator]];
    if (props.capabilityMock) functions.push(['capability-mock', props.capabilityMock]);
    for (const [label, fn] of functions) {
      this.alarm(`Errors-${label}`, `${label}-errors`, {
        alarmDescription: `The ${label} Lambda failed invocations (a thrown handler, a timeout or a crash).`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }
    this.alarm('Throttles-orchestrator', 'orchestrator-throttles', {
      alarmDescription:
        'The orchestrator Lambda was throttled: raise its concurrency or lower maxConcurrency.',
      metric: props.orchestrator.metricThrottles({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: names.dashboard,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      this.graph(
        'Workflows',
        ['WorkflowsStarted', 'WorkflowsSucceeded', 'WorkflowsFailed'],
        cloudwatch.Stats.SUM,
      ),
      new cloudwatch.GraphWidget({
        title: 'Step duration (ms)',
        width: 12,
        left: [
          cloudwatch.Stats.p(50),
          cloudwatch.Stats.p(90),
          cloudwatch.Stats.p(99),
          cloudwatch.Stats.MAXIMUM,
        ].map((statistic) => this.engineMetric('StepDuration', statistic)),
      }),
    );
    this.dashboard.addWidgets(
      this.graph(
        'Replies and leases',
        ['DuplicateReplies', 'StaleReplies', 'LeaseConflicts'],
        cloudwatch.Stats.SUM,
      ),
      new cloudwatch.GraphWidget({
        title: 'Workflows failed, by workflow_id',
        width: 12,
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${names.metricsNamespace},env,owner,${WORKFLOW_ID_DIMENSION}} env="${names.metricDimensions.env}" owner="${names.metricDimensions.owner}" MetricName="WorkflowsFailed"', 'Sum', 300)`,
            label: '',
            period: Duration.minutes(5),
          }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }),
    );
    const visible = (queue: sqs.IQueue, label: string) =>
      queue.metricApproximateNumberOfMessagesVisible({
        label,
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth (visible messages)',
        width: 12,
        left: [
          visible(queues.command.queue, 'command'),
          visible(queues.reply.queue, 'reply'),
          ...[...queues.capability].map(([domain, { queue }]) => visible(queue, `capability-${domain}`)),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'DLQ depth (visible messages)',
        width: 12,
        left: this.deadLetterQueues().map(({ label, dlq }) => visible(dlq, label)),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Age of oldest message (s)',
        width: 12,
        left: [queues.command.queue, queues.reply.queue].map((queue, i) =>
          queue.metricApproximateAgeOfOldestMessage({
            label: i === 0 ? 'command' : 'reply',
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Orchestrator Lambda',
        width: 12,
        left: [
          props.orchestrator.metricInvocations({ statistic: cloudwatch.Stats.SUM }),
          props.orchestrator.metricErrors({ statistic: cloudwatch.Stats.SUM }),
          props.orchestrator.metricThrottles({ statistic: cloudwatch.Stats.SUM }),
        ],
        right: [props.orchestrator.metricDuration({ statistic: cloudwatch.Stats.p(99) })],
      }),
    );
  }

  /** Every DLQ of the stack: the queues' and, when given, the retention function's. */
  private deadLetterQueues(): { label: string; dlq: sqs.IQueue; description: string }[] {
    const dlqs: { label: string; dlq: sqs.IQueue; description: string }[] = [];
    for (const { label, dlq } of this.props.queues.deadLetterQueues) {
      dlqs.push({
        label,
        dlq,
        description: `Messages in the ${label} DLQ: inspect them, fix the cause, redrive.`,
      });
    }
    if (this.props.retentionDlq) {
      dlqs.push({
        label: 'retention',
        dlq: this.props.retentionDlq,
        description:
          'A retention batch kept failing: some finished instances may keep checkpoints after their record ' +
          'expired. The retention function logs name their instance ids; fix the cause, then invoke it with ' +
          '{"instance_ids": [...]}.',
      });
    }
    return dlqs;
  }

  /** An engine metric (EMF), aggregated over every workflow. */
  engineMetric(metricName: EngineMetric, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.names.metricsNamespace,
      metricName,
      dimensionsMap: { ...this.props.names.metricDimensions },
      statistic,
      period: Duration.minutes(5),
      label: statistic === cloudwatch.Stats.SUM ? metricName : `${metricName} ${statistic}`,
    });
  }

  private graph(title: string, metrics: readonly EngineMetric[], statistic: string): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({
      title,
      width: 12,
      left: metrics.map((metric) => this.engineMetric(metric, statistic)),
    });
  }

  private alarm(
    id: string,
    name: string,
    props: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'threshold' | 'evaluationPeriods'>,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      alarmName: `${this.props.names.prefix}${name}`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const action of this.props.alarmActions ?? []) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
    return alarm;
  }
}
