import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEAD_LETTERED } from '../../orchestrator/src/aws/sqs-dead-letter';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';
import { STUCK_CHECK_METRICS } from '../../orchestrator/src/operations/stuck-check';
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
  'StartConflicts',
  'RedrivesRefused',
  'RepliesRefused',
  'WaitsVanished',
] as const;
export type EngineMetric = (typeof ENGINE_METRICS)[number];

/**
 * The orchestrator's EmfMetrics (orchestrator/src/aws/emf-metrics.ts) publishes every data point twice: in
 * aggregate (no dimension) and per `workflow_id`. The dashboard's graphs read the aggregate; one widget
 * searches the per-workflow series.
 */
export const WORKFLOW_ID_DIMENSION = 'workflow_id';

/**
 * Counted from the orchestrator's log by a metric filter: one per `message dead-lettered` line, with the
 * dimension `queue` (the work queue's name, which names the deployment too). The reason is not a
 * dimension: it is free text that names instances, requests and error messages, so it would make a
 * metric (billed) per distinct reason, and CloudWatch disables a filter whose dimensions take over 1,000
 * values an hour. The dashboard counts the reasons from the same lines with a Logs Insights query, and
 * `wf dlq list` shows each message's reason.
 */
export const DEAD_LETTERED_METRIC = 'MessagesDeadLettered';

export interface MonitoringProps {
  readonly names: ResourceNames;
  readonly queues: Queues;
  readonly orchestrator: lambda.IFunction;
  /** Where the retention function's stream batches end after their retries (alarmed like every DLQ). */
  readonly retentionDlq?: sqs.IQueue;
  /** Present when the capability mock is deployed: its errors are alarmed too. */
  readonly capabilityMock?: lambda.IFunction;
  /** The orchestrator's log group: dead-lettered messages are counted from its lines. */
  readonly orchestratorLogGroup: logs.ILogGroup;
  /**
   * Notified when any alarm fires or recovers (e.g. the on-call topic). @default a topic created here,
   * `names.alarmTopic`, encrypted with a key of its own (CloudWatch cannot publish to a topic under the
   * AWS-managed SNS key); subscribe to it after the deploy.
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Workflows that get a failed alarm of their own (the ids of the definitions deployed with the stack).
   * Failures of any other workflow raise the alarm over all workflows. @default none
   */
  readonly workflowIds?: readonly string[];
  /** Failed instances, in 5 minutes, of one workflow or of all, that raise their alarm. @default 1 */
  readonly failedWorkflowsThreshold?: number;
  /**
   * START conflicts, and refused redrives, in 5 minutes that raise their alarm (`start-conflicts`,
   * `redrives-refused`). @default 1
   */
  readonly refusedCommandsThreshold?: number;
  /**
   * The scheduled stuck check (StuckCheckFunction), which publishes the WaitsOverdue and InstancesStuck
   * gauges once per `rate`: alarmed on, and its own errors too. @default none (no such alarms)
   */
  readonly stuckCheck?: { readonly function: lambda.IFunction; readonly rate: Duration };
  /** Of the alarm topic's key, when one is created. @default the CDK default (retain) */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Age of the oldest message on the command or reply queue above which it alarms: the orchestrator is not
   * keeping up, or is failing on it. @default 15 minutes
   */
  readonly maxMessageAge?: Duration;
}

/**
 * Alarms on what needs a human: workflows that failed (each deployed workflow, and all of them), START
 * conflicts and refused redrives (commands acknowledged but not applied), waits overdue and instances stuck (from the scheduled stuck check), any message dead-lettered or sitting in any
 * DLQ, commands or replies waiting too long, orchestrator errors and throttles. Every alarm notifies one
 * SNS topic, on alarm and on recovery. A dashboard shows the workflows' own metrics (EMF) beside queue
 * depths, dead-letter reasons and Lambda health.
 */
export class Monitoring extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Every alarm's action: the topic given, or the one created here. */
  public readonly alarmTopic: sns.ITopic;
  /** The created topic's key; undefined when a topic was given. */
  public readonly alarmTopicKey?: kms.Key;
  /** Workflows failed: over all workflows under `*`, and per deployed workflow id. */
  public readonly workflowFailedAlarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** Raised by any `message dead-lettered` line of the orchestrator (command or reply queue). */
  public readonly deadLetteredAlarm: cloudwatch.Alarm;
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
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: `Encrypts the alarm topic ${names.alarmTopic}`,
        enableKeyRotation: true,
        ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
      });
      // CloudWatch publishes alarm notifications to an encrypted topic only with these on the topic's key.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      this.alarmTopicKey = key;
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        topicName: names.alarmTopic,
        displayName: `CCH workflow engine alarms (${names.metricDimensions.env}/${names.metricDimensions.owner})`,
        masterKey: key,
        enforceSSL: true,
      });
    }

    const failedThreshold = props.failedWorkflowsThreshold ?? 1;
    const failedAlarms = new Map<string, cloudwatch.Alarm>();
    failedAlarms.set(
      '*',
      this.alarm('WorkflowsFailed', 'workflows-failed', {
        alarmDescription:
          'Workflow instances FAILED (any workflow). `wf list --status FAILED` lists them, ' +
          '`wf describe <id>` says why, `wf redrive <id>` re-runs one from the step that failed.',
        metric: this.workflowMetric('WorkflowsFailed', cloudwatch.Stats.SUM),
        threshold: failedThreshold,
        evaluationPeriods: 1,
      }),
    );
    for (const workflowId of new Set(props.workflowIds ?? [])) {
      failedAlarms.set(
        workflowId,
        this.alarm(`WorkflowFailed-${workflowId}`, `workflow-${workflowId}-failed`, {
          alarmDescription:
            `Instances of ${workflowId} FAILED. \`wf list --status FAILED --workflow ${workflowId}\` lists ` +
            'them, `wf describe <id>` says why, `wf redrive <id>` re-runs one from the step that failed.',
          metric: this.workflowMetric('WorkflowsFailed', cloudwatch.Stats.SUM, workflowId),
          threshold: failedThreshold,
          evaluationPeriods: 1,
        }),
      );
    }
    this.workflowFailedAlarms = failedAlarms;

    new logs.MetricFilter(this, 'DeadLetteredFilter', {
      logGroup: props.orchestratorLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.msg', '=', DEAD_LETTERED),
      metricNamespace: names.metricsNamespace,
      metricName: DEAD_LETTERED_METRIC,
      metricValue: '1',
      dimensions: { queue: '$.queue' },
      unit: cloudwatch.Unit.COUNT,
    });
    this.deadLetteredAlarm = this.alarm('MessagesDeadLettered', 'messages-dead-lettered', {
      alarmDescription:
        'The orchestrator dead-lettered a command or a reply. `wf dlq list` shows each with its reason ' +
        '(the dashboard counts the reasons); fix the cause, then `wf dlq redrive`.',
      metric: new cloudwatch.MathExpression({
        // SUM of the series: a queue with no data point in a period counts as 0, not as missing.
        expression: 'SUM([command, reply])',
        usingMetrics: {
          command: this.deadLetteredMetric(queues.command.queue.queueName),
          reply: this.deadLetteredMetric(queues.reply.queue.queueName),
        },
        label: DEAD_LETTERED_METRIC,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
    });

    // Commands the orchestrator acknowledged without applying them: someone meant something that did not
    // happen. Raised by one in 5 minutes, as a failed workflow is.
    this.alarm('StartConflicts', 'start-conflicts', {
      alarmDescription:
        'A START_WORKFLOW named an instance_id that exists with another workflow, definition or context: ' +
        'acknowledged, not applied (the caller meant a new instance). The orchestrator log line ' +
        '"START_WORKFLOW conflicts with the existing instance" names both; start again under a new id.',
      metric: this.workflowMetric('StartConflicts', cloudwatch.Stats.SUM),
      threshold: props.refusedCommandsThreshold ?? 1,
      evaluationPeriods: 1,
    });
    this.alarm('RedrivesRefused', 'redrives-refused', {
      alarmDescription:
        'A REDRIVE_WORKFLOW was refused (the instance was not FAILED, or has no step to re-run): the ' +
        'orchestrator log line "REDRIVE_WORKFLOW refused" says why; `wf describe <id>` shows the instance.',
      metric: this.workflowMetric('RedrivesRefused', cloudwatch.Stats.SUM),
      threshold: props.refusedCommandsThreshold ?? 1,
      evaluationPeriods: 1,
    });

    // A reply whose request id this deployment never issued (guessed, mistyped, another deployment's) or
    // that came from a principal that is not its domain's team: someone can send to the reply queue who
    // should not, or a capability is broken. Raised by one.
    this.alarm('RepliesRefused', 'replies-refused', {
      alarmDescription:
        'The orchestrator refused a reply (forged, mistyped or foreign request_id, or sent by a principal ' +
        'that is not the capability team of its domain) and moved it to the reply DLQ. `wf dlq list reply` ' +
        'shows each with its reason and sender (cch-original-sender); the log line "reply refused" too.',
      metric: this.workflowMetric('RepliesRefused', cloudwatch.Stats.SUM),
      threshold: 1,
      evaluationPeriods: 1,
    });

    // No path of the engine leaves one: each is a defect that stopped an instance without a word.
    this.alarm('WaitsVanished', 'waits-vanished', {
      alarmDescription:
        'An instance lost an open wait that nothing answered (an engine defect): it may never move on. ' +
        'The orchestrator log line "wait vanished" names the instance, node and request; `wf describe <id>` ' +
        'shows where it stands, `wf cancel` or `wf redrive` moves it on. Report it with that log line.',
      metric: this.workflowMetric('WaitsVanished', cloudwatch.Stats.SUM),
      threshold: 1,
      evaluationPeriods: 1,
    });

    const stuckCheck = props.stuckCheck;
    if (stuckCheck) {
      const gauge = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: names.metricsNamespace,
          metricName,
          dimensionsMap: { ...names.metricDimensions },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: stuckCheck.rate,
        });
      this.alarm('WaitsOverdue', 'waits-overdue', {
        alarmDescription:
          'Waits are open past their deadline (their timer was lost or keeps failing). The stuck check logs ' +
          'each instance; `wf list --stuck` lists them.',
        metric: gauge(STUCK_CHECK_METRICS.waitsOverdue),
        threshold: 1,
        evaluationPeriods: 1,
      });
      this.alarm('InstancesStuck', 'instances-stuck', {
        alarmDescription:
          'Instances cannot move on their own (an overdue wait, or RUNNING with no activity). ' +
          '`wf list --stuck` lists them with the reason; `wf describe <id>` shows where each stopped.',
        metric: gauge(STUCK_CHECK_METRICS.instancesStuck),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }

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
    // A failing stuck check publishes nothing, and its alarms see no data: this one says so.
    if (stuckCheck) functions.push(['stuck-check', stuckCheck.function]);
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
        ['DuplicateReplies', 'StaleReplies', 'RepliesRefused', 'LeaseConflicts', 'WaitsVanished'],
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
      new cloudwatch.GraphWidget({
        title: 'Commands acknowledged but not applied',
        width: 24,
        left: (['StartConflicts', 'RedrivesRefused'] as const).map((metric) =>
          this.engineMetric(metric, cloudwatch.Stats.SUM),
        ),
      }),
    );
    if (stuckCheck) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Waits overdue and instances stuck (the stuck check)',
          width: 24,
          left: Object.values(STUCK_CHECK_METRICS).map(
            (metricName) =>
              new cloudwatch.Metric({
                namespace: names.metricsNamespace,
                metricName,
                dimensionsMap: { ...names.metricDimensions },
                statistic: cloudwatch.Stats.MAXIMUM,
                period: stuckCheck.rate,
                label: metricName,
              }),
          ),
        }),
      );
    }
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
        title: 'Messages dead-lettered by the orchestrator',
        width: 8,
        left: [
          { queue: queues.command.queue, label: 'command' },
          { queue: queues.reply.queue, label: 'reply' },
        ].map(({ queue, label }) => this.deadLetteredMetric(queue.queueName).with({ label })),
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Dead-lettered messages by reason (wf dlq list shows each one)',
        width: 16,
        logGroupNames: [props.orchestratorLogGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryLines: [
          'fields queue, reason',
          `filter msg = "${DEAD_LETTERED}"`,
          'stats count(*) as messages, latest(@timestamp) as last by queue, reason',
          'sort messages desc',
          'limit 50',
        ],
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

  /** An engine metric (EMF), aggregated over every workflow, labelled for graphs. */
  engineMetric(metricName: EngineMetric, statistic: string): cloudwatch.Metric {
    return this.workflowMetric(metricName, statistic).with({
      label: statistic === cloudwatch.Stats.SUM ? metricName : `${metricName} ${statistic}`,
    });
  }

  /** An engine metric (EMF) over every workflow, or of one `workflowId`; unlabelled, as alarms take it. */
  workflowMetric(metricName: EngineMetric, statistic: string, workflowId?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.names.metricsNamespace,
      metricName,
      dimensionsMap: {
        ...this.props.names.metricDimensions,
        ...(workflowId === undefined ? {} : { [WORKFLOW_ID_DIMENSION]: workflowId }),
      },
      statistic,
      period: Duration.minutes(5),
    });
  }

  /** Messages the orchestrator dead-lettered from one of its queues (the metric filter's count). */
  private deadLetteredMetric(queueName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.names.metricsNamespace,
      metricName: DEAD_LETTERED_METRIC,
      dimensionsMap: { queue: queueName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
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
    const action = new SnsAction(this.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}
