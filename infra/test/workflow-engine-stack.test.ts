import { Duration } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DEFAULT_MAX_RECEIVES } from '../../orchestrator/src/aws/sqs-batch-processor';
import { ENGINE_METRICS } from '../src/monitoring';
import {
  STACK_OUTPUTS,
  VISIBILITY_TIMEOUT_FACTOR,
  type WorkflowEngineStack,
} from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';
import { dashboardBody } from './support/template-helpers';

let stack: WorkflowEngineStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack({ env: 'dev', owner: 'alice' }));
});

const resolve = (token: unknown): unknown => stack.resolve(token);
const DAY = 24 * 3600;

describe('buckets', () => {
  const BUCKETS = ['accessLogsBucket', 'definitionsBucket', 'eventDataBucket'] as const;
  const bucket = (key: (typeof BUCKETS)[number]): { name: string; bucket: s3.Bucket } => ({
    name: stack.names[key],
    bucket: stack.storage[key],
  });

  it('are exactly the three named ones', () => {
    const names = Object.values(template.findResources('AWS::S3::Bucket')).map(
      (bucket) => (bucket as { Properties: { BucketName: string } }).Properties.BucketName,
    );
    expect(names.sort()).toEqual(
      [stack.names.accessLogsBucket, stack.names.definitionsBucket, stack.names.eventDataBucket].sort(),
    );
  });

  it.each(BUCKETS)('%s blocks public access, encrypts at rest and is owner-enforced', (key) => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: bucket(key).name,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it.each(BUCKETS)('%s denies every request that is not TLS', (key) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: resolve(bucket(key).bucket.bucketName),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('versions the definitions bucket only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: stack.names.definitionsBucket,
      VersioningConfiguration: { Status: 'Enabled' },
    });
    for (const name of [stack.names.eventDataBucket, stack.names.accessLogsBucket]) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: name,
        VersioningConfiguration: Match.absent(),
      });
    }
  });

  it('logs access to the definitions and event-data buckets into the access-logs bucket', () => {
    const prefix = new Capture();
    for (const name of [stack.names.definitionsBucket, stack.names.eventDataBucket]) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: name,
        LoggingConfiguration: {
          DestinationBucketName: resolve(stack.storage.accessLogsBucket.bucketName),
          LogFilePrefix: prefix,
        },
      });
    }
    expect(prefix.asString()).toMatch(/\/$/);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: stack.names.accessLogsBucket,
      LoggingConfiguration: Match.absent(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
  });

  it('are deleted with a non-production stack, emptied first', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
  });
});

describe('state table', () => {
  it('has string keys PK/SK, on-demand billing, TTL on `ttl`, point-in-time recovery and encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: stack.names.stateTable,
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        // The instance indexes (keys and projections: instance-index.test.ts).
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'by-status' }),
          Match.objectLike({ IndexName: 'by-workflow' }),
          Match.objectLike({ IndexName: 'by-change' }),
          Match.objectLike({ IndexName: 'by-deadline' }),
        ],
      },
      DeletionPolicy: 'Delete',
    });
  });
});

describe('queues', () => {
  const workQueues = (): [string, sqs.Queue, sqs.Queue, string, string][] => [
    [
      'command',
      stack.queues.command.queue,
      stack.queues.command.dlq,
      stack.names.commandQueue,
      stack.names.commandDlq,
    ],
    ['reply', stack.queues.reply.queue, stack.queues.reply.dlq, stack.names.replyQueue, stack.names.replyDlq],
    ...[...stack.queues.capability].map(
      ([domain, { queue, dlq }]): [string, sqs.Queue, sqs.Queue, string, string] => [
        `capability ${domain}`,
        queue,
        dlq,
        stack.names.capabilityRequestQueue(domain),
        stack.names.capabilityRequestDlq(domain),
      ],
    ),
  ];

  it('are a command queue, a reply queue and one request queue per capability domain, each with a DLQ', () => {
    expect([...stack.queues.capability.keys()]).toEqual(
      expect.arrayContaining(['import', 'compliance', 'customs']),
    );
    // Plus the retention function's DLQ (see retention.test.ts).
    template.resourceCountIs('AWS::SQS::Queue', 2 * (2 + stack.queues.capability.size) + 1);
  });

  it('each work queue is encrypted, redrives to its DLQ after 10 receives and keeps messages 4 days', () => {
    for (const [, , dlq, name] of workQueues()) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: name,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 4 * DAY,
        RedrivePolicy: { deadLetterTargetArn: resolve(dlq.queueArn), maxReceiveCount: 10 },
      });
    }
  });

  it('the redrive policy is only a backstop: it moves a message later than the consumers dead-letter it', () => {
    const maxReceiveCount = new Capture();
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount }),
    });
    const counts: unknown[] = [];
    do counts.push(maxReceiveCount.asNumber());
    while (maxReceiveCount.next());
    expect(counts).toHaveLength(workQueues().length);
    for (const count of counts) expect(count).toBeGreaterThan(DEFAULT_MAX_RECEIVES);
  });

  it('each DLQ is encrypted, keeps messages 14 days and has no DLQ of its own', () => {
    for (const [, , , , dlqName] of workQueues()) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: dlqName,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * DAY,
        RedrivePolicy: Match.absent(),
      });
    }
  });

  it('every queue and DLQ denies requests that are not TLS', () => {
    for (const [, queue, dlq] of workQueues()) {
      for (const q of [queue, dlq]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [resolve(q.queueUrl)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    }
  });

  it('visibility timeout is at least six times the timeout of the consuming function', () => {
    const timeoutOf = (functionName: string): number => {
      const timeout = new Capture();
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: functionName,
        Timeout: timeout,
      });
      return timeout.asNumber();
    };
    const visibilityOf = (queueName: string): number => {
      const visibility = new Capture();
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: queueName,
        VisibilityTimeout: visibility,
      });
      return visibility.asNumber();
    };
    const orchestrator = timeoutOf(stack.names.orchestratorFunction);
    const mock = timeoutOf(stack.names.capabilityMockFunction);
    for (const name of [stack.names.commandQueue, stack.names.replyQueue]) {
      expect(visibilityOf(name)).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * orchestrator);
    }
    for (const domain of stack.queues.capability.keys()) {
      expect(visibilityOf(stack.names.capabilityRequestQueue(domain))).toBeGreaterThanOrEqual(
        VISIBILITY_TIMEOUT_FACTOR * mock,
      );
    }
  });
});

describe('orchestrator function', () => {
  it('is bundled Node.js 22 on arm64 with X-Ray, its role and log group, and the documented environment', () => {
    const variables = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.orchestratorFunction,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      Role: resolve(stack.orchestrator.lambda.role.roleArn),
      LoggingConfig: { LogGroup: resolve(stack.orchestrator.lambda.logGroup.logGroupName) },
      Environment: { Variables: variables },
    });
    expect(variables.asObject()).toEqual({
      CCH_ENV: 'dev',
      CCH_OWNER: 'alice',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--enable-source-maps',
      // Function timeout + 30 s: a crashed invocation blocks its instance no longer than that.
      CCH_LEASE_TTL_SECONDS: '90',
      // Context retentionDays, 30 by default: a finished instance's record expires 30 days after it ended.
      CCH_RETENTION_SECONDS: String(30 * DAY),
      // A dev stack puts long timers on EventBridge Scheduler by default (see timer-schedules.test.ts).
      CCH_TIMER_SCHEDULER: 'eventbridge',
      CCH_TIMER_ROLE_ARN: resolve(stack.timers?.targetRole.roleArn),
      CCH_TIMER_QUEUE_ARN: resolve(stack.queues.command.queue.queueArn),
      CCH_TIMER_SCHEDULE_GROUP: stack.names.timerScheduleGroup,
      // The reply keys, the orchestrator's own role (relay of deferred replies), who may answer each
      // domain (here the mock, every domain): see capability-teams.test.ts.
      CCH_REPLY_KEYS_SECRET_ARN: resolve(stack.replyKeys.secret.secretArn),
      CCH_RELAY_SENDER_IDS: resolve(stack.orchestrator.lambda.role.roleId),
      CCH_REPLY_SENDERS: {
        'Fn::Join': [
          '',
          ['{"byDomain":{},"others":["', resolve(stack.capabilityMock!.lambda.role.roleId), '"]}'],
        ],
      },
      // The Parameters and Secrets extension the keys are read through (reply-keys-secret.ts).
      PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'true',
      PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '1000',
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
      PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: 'warn',
      PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS: '3',
      SECRETS_MANAGER_TIMEOUT_MILLIS: '0',
      SECRETS_MANAGER_TTL: '60',
      SSM_PARAMETER_STORE_TIMEOUT_MILLIS: '0',
      SSM_PARAMETER_STORE_TTL: '300',
    });
  });

  it('logs to its named log group, kept one month', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: stack.names.orchestratorLogGroup, RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
  });

  it('is triggered by the command and reply queues with partial batch failures, batch size and max concurrency', () => {
    for (const queue of [stack.queues.command.queue, stack.queues.reply.queue]) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: resolve(queue.queueArn),
        FunctionName: resolve(stack.orchestrator.function.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    }
  });

  it('takes memory, timeout, batch size and concurrency from props, and sizes the visibility timeout to match', () => {
    const custom = synthStack(
      { env: 'dev', owner: 'tuned' },
      {
        orchestrator: { memorySize: 2048, timeout: Duration.seconds(120), batchSize: 5, maxConcurrency: 20 },
      },
    );
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: custom.stack.names.orchestratorFunction,
      MemorySize: 2048,
      Timeout: 120,
    });
    custom.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: custom.stack.names.commandQueue,
      VisibilityTimeout: 720,
    });
    custom.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: custom.stack.resolve(custom.stack.queues.reply.queue.queueArn) as unknown,
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });
});

describe('capability mock function', () => {
  it('is Node.js 22 on arm64 with X-Ray and consumes every capability queue with partial batch failures', () => {
    const variables = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.capabilityMockFunction,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: variables },
    });
    expect(variables.asObject()).toMatchObject({
      CCH_ENV: 'dev',
      CCH_OWNER: 'alice',
      CCH_EVENTDATA_BUCKET: resolve(stack.storage.eventDataBucket.bucketName),
    });
    const mock = stack.capabilityMock;
    expect(mock).toBeDefined();
    for (const { queue } of stack.queues.capability.values()) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: resolve(queue.queueArn),
        FunctionName: resolve(mock!.function.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    }
    // Plus the orchestrator's two mappings and the retention function's stream mapping.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2 + stack.queues.capability.size + 1);
  });
});

describe('alarms', () => {
  it('fire on any message in any DLQ', () => {
    for (const { label, dlq } of stack.queues.deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${stack.names.prefix}${label}-dlq-not-empty`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: resolve(dlq.queueName) }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fire when the oldest message on the command or reply queue is older than 15 minutes', () => {
    for (const queue of [stack.queues.command.queue, stack.queues.reply.queue]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: resolve(queue.queueName) }],
        Threshold: 900,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('fire on orchestrator errors and throttles, and on capability-mock errors', () => {
    const orchestrator = resolve(stack.orchestrator.function.functionName);
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: orchestrator }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: resolve(stack.capabilityMock!.function.functionName) }],
    });
  });

  it('are all accounted for and named after the stage', () => {
    const dlqs = stack.queues.deadLetterQueues.length + 1; // + the retention DLQ
    // + workflows failed (all, and each deployed workflow), messages dead-lettered, waits overdue,
    // instances stuck and stuck-check errors, start conflicts and redrives refused: monitoring.test.ts;
    // replies refused: capability-teams.test.ts; waits vanished: monitoring.test.ts
    const failed = stack.monitoring.workflowFailedAlarms.size;
    template.resourceCountIs('AWS::CloudWatch::Alarm', dlqs + 2 + 2 + 1 + failed + 1 + 3 + 2 + 1 + 1);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp(`^${stack.names.prefix}`),
      AlarmDescription: Match.anyValue(),
    });
  });
});

describe('dashboard', () => {
  const metricsOf = (): unknown[][] => {
    const body = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: stack.names.dashboard,
      DashboardBody: body,
    });
    return dashboardBody(body.asObject()).widgets.flatMap((widget) => widget.properties.metrics ?? []);
  };

  it('graphs every engine metric from the metrics namespace', () => {
    const metrics = metricsOf();
    const { env, owner } = stack.names.metricDimensions;
    for (const name of ENGINE_METRICS) {
      // Scoped to this deployment: another stage in the same account never shows up here.
      expect(metrics).toContainEqual(
        expect.arrayContaining([stack.names.metricsNamespace, name, 'env', env, 'owner', owner]),
      );
    }
    expect(ENGINE_METRICS).toEqual(
      expect.arrayContaining(['WorkflowsStarted', 'WorkflowsSucceeded', 'WorkflowsFailed', 'StepDuration']),
    );
  });

  it('searches the per-workflow failure series', () => {
    const expressions = metricsOf()
      .flat()
      .flatMap((part) =>
        typeof part === 'object' && part !== null && 'expression' in part ? [part.expression] : [],
      );
    expect(expressions).toEqual([
      `SEARCH('{${stack.names.metricsNamespace},env,owner,workflow_id} env="${stack.names.metricDimensions.env}" owner="${stack.names.metricDimensions.owner}" MetricName="WorkflowsFailed"', 'Sum', 300)`,
    ]);
  });

  it('graphs the depth of every queue and DLQ', () => {
    const depths = metricsOf().filter((metric) => metric[1] === 'ApproximateNumberOfMessagesVisible');
    expect(depths).toHaveLength(2 * (2 + stack.queues.capability.size) + 1);
  });
});

describe('outputs', () => {
  it('are exactly the documented keys', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
  });

  it('point at the resources run-test and operators need', () => {
    const expected: [string, unknown][] = [
      [STACK_OUTPUTS.commandQueueUrl, stack.queues.command.queue.queueUrl],
      [STACK_OUTPUTS.commandQueueName, stack.queues.command.queue.queueName],
      [STACK_OUTPUTS.replyQueueUrl, stack.queues.reply.queue.queueUrl],
      [STACK_OUTPUTS.replyQueueName, stack.queues.reply.queue.queueName],
      [STACK_OUTPUTS.definitionsBucketName, stack.storage.definitionsBucket.bucketName],
      [STACK_OUTPUTS.eventDataBucketName, stack.storage.eventDataBucket.bucketName],
      [STACK_OUTPUTS.stateTableName, stack.storage.stateTable.tableName],
      [STACK_OUTPUTS.orchestratorFunctionName, stack.orchestrator.function.functionName],
      [STACK_OUTPUTS.orchestratorLogGroupName, stack.orchestrator.lambda.logGroup.logGroupName],
      [STACK_OUTPUTS.dashboardName, stack.monitoring.dashboard.dashboardName],
    ];
    for (const [key, token] of expected) {
      template.hasOutput(key, { Value: resolve(token), Description: Match.anyValue() });
    }
    const capabilityUrls = new Capture();
    template.hasOutput(STACK_OUTPUTS.capabilityQueueUrls, { Value: capabilityUrls });
    const joined = JSON.stringify(capabilityUrls.asObject());
    for (const { queue } of stack.queues.capability.values()) {
      expect(joined).toContain(JSON.stringify(resolve(queue.queueUrl)));
    }
  });
});
