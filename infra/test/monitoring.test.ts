import { Duration } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { EmfMetrics } from '../../orchestrator/src/aws/emf-metrics';
import { DEAD_LETTERED } from '../../orchestrator/src/aws/sqs-dead-letter';
import { DEAD_LETTERED_METRIC } from '../src/monitoring';
import { definitionsDir } from '../src/paths';
import { workflowIdsIn } from '../src/workflow-ids';
import { STACK_OUTPUTS, type WorkflowEngineStack } from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';
import { dashboardBody, permissionsOf } from './support/template-helpers';

let stack: WorkflowEngineStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack({ env: 'dev', owner: 'alice' }));
});

const resolve = (token: unknown): unknown => stack.resolve(token);

interface AlarmJson {
  Properties: Record<string, unknown> & { AlarmName: string };
}
const alarms = (t: Template = template): AlarmJson[] =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')) as AlarmJson[];

describe('the alarm topic', () => {
  it('is created by the stack when none is given: named after the stage, under a rotated key CloudWatch may use, TLS only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const key = new Capture();
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: stack.names.alarmTopic,
      KmsMasterKeyId: key,
    });
    expect(stack.names.alarmTopic).toBe('cch-dev-alice-alarm-topic');
    expect(key.asObject()).toEqual(resolve(stack.monitoring.alarmTopicKey!.keyArn));
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('is what every alarm notifies, on alarm and on recovery, and a stack output', () => {
    const topic = resolve(stack.monitoring.alarmTopic.topicArn);
    expect(alarms().length).toBeGreaterThan(10);
    for (const alarm of alarms()) {
      expect([alarm.Properties.AlarmName, alarm.Properties.AlarmActions]).toEqual([
        alarm.Properties.AlarmName,
        [topic],
      ]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    template.hasOutput(STACK_OUTPUTS.alarmTopicArn, { Value: topic });
  });

  it('is the existing one given as context alarmTopicArn: then no topic or key is created', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:cch-on-call';
    const notified = synthStack({ env: 'dev', owner: 'oncall', alarmTopicArn: topicArn });
    notified.template.resourceCountIs('AWS::SNS::Topic', 0);
    notified.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(alarms(notified.template).length).toBe(alarms().length);
    notified.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topicArn],
      OKActions: [topicArn],
    });
    notified.template.hasOutput(STACK_OUTPUTS.alarmTopicArn, { Value: topicArn });
  });
});

describe('workflows failed', () => {
  const { env, owner } = { env: 'dev', owner: 'alice' };

  it('alarm on any failed instance of any workflow (the EMF aggregate of this deployment)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}workflows-failed`,
      Namespace: 'CCH/WorkflowEngine',
      MetricName: 'WorkflowsFailed',
      Dimensions: [
        { Name: 'env', Value: env },
        { Name: 'owner', Value: owner },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarm per workflow deployed with the stack, on its workflow_id series', () => {
    const ids = workflowIdsIn(definitionsDir);
    expect(ids).toEqual(expect.arrayContaining(['import_vn_memphis_v1', 'fanout_a_b_c_v1']));
    for (const id of ids) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${stack.names.prefix}workflow-${id}-failed`,
        Namespace: 'CCH/WorkflowEngine',
        MetricName: 'WorkflowsFailed',
        Dimensions: [
          { Name: 'env', Value: env },
          { Name: 'owner', Value: owner },
          { Name: 'workflow_id', Value: id },
        ],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    const perWorkflow = alarms().filter((a) => /-failed$/.test(a.Properties.AlarmName));
    expect(perWorkflow).toHaveLength(ids.length + 1);
    expect([...stack.monitoring.workflowFailedAlarms.keys()]).toEqual(['*', ...ids]);
  });

  it('watch the series the orchestrator publishes (its EMF line for a failed instance)', () => {
    const lines: string[] = [];
    new EmfMetrics(stack.names.metricsNamespace, stack.names.metricDimensions, (l) => lines.push(l)).record(
      'WorkflowsFailed',
      1,
      { workflow_id: 'import_vn_memphis_v1' },
    );
    const emf = JSON.parse(lines[0]!) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    } & Record<string, unknown>;
    const [directive] = emf._aws.CloudWatchMetrics;
    // Each dimension set the line publishes, as the alarm names its dimensions.
    const series = directive!.Dimensions.map((set) => set.map((name) => ({ Name: name, Value: emf[name] })));
    for (const [alarmName, dimensions] of [
      ['workflows-failed', series[0]],
      ['workflow-import_vn_memphis_v1-failed', series[1]],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${stack.names.prefix}${alarmName}`,
        Namespace: directive!.Namespace,
        MetricName: 'WorkflowsFailed',
        Dimensions: dimensions,
      });
    }
  });

  it('follow the workflow ids the stack is given', () => {
    const { template: t } = synthStack({}, { workflowIds: ['only_this_v1'] });
    const names = alarms(t)
      .map((a) => a.Properties.AlarmName)
      .filter((name) => name.endsWith('-failed'));
    expect(names.sort()).toEqual(
      [`${stack.names.prefix}workflow-only_this_v1-failed`, `${stack.names.prefix}workflows-failed`].sort(),
    );
  });
});

describe('waits vanished', () => {
  it('alarm on one in 5 minutes, on the aggregate series the orchestrator publishes (its EMF line)', () => {
    const lines: string[] = [];
    new EmfMetrics(stack.names.metricsNamespace, stack.names.metricDimensions, (l) => lines.push(l)).record(
      'WaitsVanished',
      1,
      { workflow_id: 'import_vn_memphis_v1' },
    );
    const emf = JSON.parse(lines[0]!) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    } & Record<string, unknown>;
    const [directive] = emf._aws.CloudWatchMetrics;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}waits-vanished`,
      Namespace: directive!.Namespace,
      MetricName: 'WaitsVanished',
      Dimensions: directive!.Dimensions[0]!.map((name) => ({ Name: name, Value: emf[name] })),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [resolve(stack.monitoring.alarmTopic.topicArn)],
    });
  });
});

describe('commands acknowledged but not applied', () => {
  it.each([
    ['start-conflicts', 'StartConflicts'],
    ['redrives-refused', 'RedrivesRefused'],
  ])('alarm %s on any %s of this deployment in 5 minutes, to the topic', (name, metricName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}${name}`,
      Namespace: 'CCH/WorkflowEngine',
      MetricName: metricName,
      Dimensions: [
        { Name: 'env', Value: 'dev' },
        { Name: 'owner', Value: 'alice' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [resolve(stack.monitoring.alarmTopic.topicArn)],
      OKActions: [resolve(stack.monitoring.alarmTopic.topicArn)],
    });
  });

  it.each(['StartConflicts', 'RedrivesRefused'] as const)(
    'watch the aggregate series the orchestrator publishes for %s (its EMF line)',
    (metricName) => {
      const lines: string[] = [];
      new EmfMetrics(stack.names.metricsNamespace, stack.names.metricDimensions, (l) => lines.push(l)).record(
        metricName,
        1,
        { workflow_id: 'import_vn_memphis_v1' },
      );
      const emf = JSON.parse(lines[0]!) as {
        _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
      } & Record<string, unknown>;
      const [directive] = emf._aws.CloudWatchMetrics;
      const aggregate = directive!.Dimensions[0]!.map((name) => ({ Name: name, Value: emf[name] }));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: directive!.Namespace,
        MetricName: metricName,
        Dimensions: aggregate,
      });
    },
  );
});

describe('dead-lettered messages', () => {
  it('are counted from the orchestrator log line, by queue (the reason is no dimension: free text)', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: resolve(stack.orchestrator.lambda.logGroup.logGroupName),
      FilterPattern: `{ $.msg = "${DEAD_LETTERED}" }`,
      MetricTransformations: [
        {
          MetricNamespace: 'CCH/WorkflowEngine',
          MetricName: DEAD_LETTERED_METRIC,
          MetricValue: '1',
          Dimensions: [{ Key: 'queue', Value: '$.queue' }],
          Unit: 'Count',
        },
      ],
    });
    expect(DEAD_LETTERED).toBe('message dead-lettered');
  });

  it('alarm as soon as one is dead-lettered from the command or the reply queue', () => {
    const metrics = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}messages-dead-lettered`,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: metrics,
    });
    const byId = Object.fromEntries(
      (metrics.asArray() as { Id: string }[]).map((metric) => [metric.Id, metric]),
    );
    expect(byId).toMatchObject({
      command: {
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: 'CCH/WorkflowEngine',
            MetricName: DEAD_LETTERED_METRIC,
            Dimensions: [{ Name: 'queue', Value: resolve(stack.queues.command.queue.queueName) }],
          },
          Period: 300,
          Stat: 'Sum',
        },
      },
      reply: {
        ReturnData: false,
        MetricStat: {
          Metric: { Dimensions: [{ Name: 'queue', Value: resolve(stack.queues.reply.queue.queueName) }] },
        },
      },
    });
    expect(Object.values(byId).filter((m) => 'Expression' in m)).toEqual([
      expect.objectContaining({ Expression: 'SUM([command, reply])' }),
    ]);
  });

  it('and every DLQ alarms on its visible messages (also those dead-lettered by capability consumers)', () => {
    for (const { label, dlq } of stack.queues.deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${stack.names.prefix}${label}-dlq-not-empty`,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: resolve(dlq.queueName) }],
        Threshold: 1,
      });
    }
  });
});

describe('waits overdue and instances stuck', () => {
  it('are counted by the stuck check, run every 5 minutes with the stage and its grace', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.stuckCheckFunction,
      Environment: {
        Variables: Match.objectLike({ CCH_ENV: 'dev', CCH_OWNER: 'alice', CCH_STUCK_AFTER_SECONDS: '900' }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: resolve(stack.stuckCheck.function.functionArn),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  it('which may only query the by-deadline and by-change indexes and read items in batches', () => {
    const permissions = permissionsOf(template, resolve(stack.stuckCheck.lambda.role.roleName));
    const table = resolve(stack.storage.stateTable.tableArn);
    expect(permissions.get('dynamodb:Query')).toEqual(
      new Set([
        JSON.stringify({ 'Fn::Join': ['', [table, '/index/by-deadline']] }),
        JSON.stringify({ 'Fn::Join': ['', [table, '/index/by-change']] }),
      ]),
    );
    expect(permissions.get('dynamodb:BatchGetItem')).toEqual(new Set([JSON.stringify(table)]));
    const dynamodbActions = [...permissions.keys()].filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamodbActions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    expect([...permissions.keys()].filter((a) => /^(sqs|s3|sns):/.test(a))).toEqual([]);
  });

  it.each([
    ['waits-overdue', 'WaitsOverdue'],
    ['instances-stuck', 'InstancesStuck'],
  ])('alarm %s on the %s gauge of this deployment, over the check period', (name, metricName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}${name}`,
      Namespace: 'CCH/WorkflowEngine',
      MetricName: metricName,
      Dimensions: [
        { Name: 'env', Value: 'dev' },
        { Name: 'owner', Value: 'alice' },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarm when the check itself fails (then it publishes nothing)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}stuck-check-errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: resolve(stack.stuckCheck.function.functionName) }],
      Threshold: 1,
    });
  });

  it('follow the rate and grace given to the stack', () => {
    const { stack: tuned, template: t } = synthStack(
      {},
      { stuckCheck: { rate: Duration.minutes(15), stuckAfter: Duration.hours(1) } },
    );
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: tuned.names.stuckCheckFunction,
      Environment: { Variables: Match.objectLike({ CCH_STUCK_AFTER_SECONDS: '3600' }) },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${tuned.names.prefix}waits-overdue`,
      Period: 900,
    });
  });
});

describe('the dashboard', () => {
  const widgets = () => {
    const body = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    return dashboardBody(body.asObject()).widgets as {
      type?: string;
      properties: { title?: string; metrics?: unknown[][]; query?: string; alarms?: unknown[] };
    }[];
  };

  it('counts dead-lettered messages by queue and by reason (Logs Insights over the same lines)', () => {
    const graph = widgets().find((w) => w.properties.title === 'Messages dead-lettered by the orchestrator');
    expect(graph?.properties.metrics?.map((m) => m.slice(0, 2))).toEqual([
      ['CCH/WorkflowEngine', DEAD_LETTERED_METRIC],
      ['CCH/WorkflowEngine', DEAD_LETTERED_METRIC],
    ]);
    const query = widgets().find((w) => w.type === 'log')?.properties.query ?? '';
    expect(query).toContain(`filter msg = "${DEAD_LETTERED}"`);
    expect(query).toMatch(/stats count\(\*\) as messages, latest\(@timestamp\) as last by queue, reason/);
  });

  it('graphs the stuck check gauges', () => {
    const graph = widgets().find(
      (w) => w.properties.title === 'Waits overdue and instances stuck (the stuck check)',
    );
    expect(graph?.properties.metrics?.map((m) => m.slice(0, 2))).toEqual([
      ['CCH/WorkflowEngine', 'WaitsOverdue'],
      ['CCH/WorkflowEngine', 'InstancesStuck'],
    ]);
  });

  it('graphs START conflicts and refused redrives', () => {
    const graph = widgets().find((w) => w.properties.title === 'Commands acknowledged but not applied');
    expect(graph?.properties.metrics?.map((m) => m.slice(0, 2))).toEqual([
      ['CCH/WorkflowEngine', 'StartConflicts'],
      ['CCH/WorkflowEngine', 'RedrivesRefused'],
    ]);
  });

  it('shows the state of every alarm', () => {
    const status = widgets().find((w) => w.properties.title === 'Alarms');
    expect(status?.properties.alarms).toHaveLength(alarms().length);
  });
});
