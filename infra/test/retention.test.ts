import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { statusRemovalOf } from '../../orchestrator/src/aws/retention-purger';
import { statusRemoval } from '../../orchestrator/test/support/retention-fixtures';
import { DEFAULT_RETENTION_DAYS, InvalidAppContextError, readAppContext } from '../src/app-context';
import { WILDCARD_RESOURCE_ACTIONS } from '../src/node-lambda';
import { infraRoot } from '../src/paths';
import { RETENTION_DEFAULTS, RETENTION_ENTRY } from '../src/retention-function';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { buildApp, synthStack } from './support/synth-stack';
import { permissionsOf, resolvedJson } from './support/template-helpers';

const DAY = 24 * 3600;

type DynamoDBRecord = Parameters<typeof statusRemovalOf>[0];

let stack: WorkflowEngineStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack({ env: 'dev', owner: 'alice' }));
});

const resolve = (token: unknown): unknown => stack.resolve(token);

describe('state table', () => {
  it('streams the keys of changed items and expires items on `ttl`', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: stack.names.stateTable,
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });
});

describe('retention function', () => {
  it('is bundled Node.js 22 on arm64 with X-Ray, its own role and log group, and the stage in its environment', () => {
    const variables = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.retentionFunction,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: RETENTION_DEFAULTS.timeout.toSeconds(),
      TracingConfig: { Mode: 'Active' },
      Role: resolve(stack.retention.lambda.role.roleArn),
      LoggingConfig: { LogGroup: resolve(stack.retention.lambda.logGroup.logGroupName) },
      Environment: { Variables: variables },
    });
    expect(variables.asObject()).toEqual({
      CCH_ENV: 'dev',
      CCH_OWNER: 'alice',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--enable-source-maps',
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: `/aws/lambda/${stack.names.retentionFunction}`, RetentionInDays: 30 },
      DeletionPolicy: 'Delete',
    });
  });

  it('bundles orchestrator/src/retention-handler.ts by default', () => {
    expect(RETENTION_ENTRY).toBe(join(infraRoot, '..', 'orchestrator', 'src', 'retention-handler.ts'));
    expect(existsSync(RETENTION_ENTRY)).toBe(true);
  });

  it('reads the table stream from the oldest record, with partial failures, bisection, retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: resolve(stack.storage.stateTable.tableStreamArn),
      FunctionName: resolve(stack.retention.function.functionName),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: RETENTION_DEFAULTS.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      // Under the stream's 24-hour retention: a record goes to the DLQ before it could age out unseen.
      MaximumRecordAgeInSeconds: 12 * 3600,
      DestinationConfig: { OnFailure: { Destination: resolve(stack.retention.dlq.queueArn) } },
    });
  });

  describe('event filter', () => {
    let pattern: Record<string, unknown>;

    beforeAll(() => {
      const filters = new Capture();
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: resolve(stack.storage.stateTable.tableStreamArn),
        FilterCriteria: { Filters: filters },
      });
      const list = filters.asArray() as { Pattern: string }[];
      expect(list).toHaveLength(1);
      pattern = JSON.parse(list[0]!.Pattern) as Record<string, unknown>;
    });

    it('passes removals of STATUS items, whoever made them', () => {
      expect(pattern).toEqual({
        eventName: ['REMOVE'],
        dynamodb: { Keys: { PK: { S: [{ prefix: 'INSTANCE#' }] }, SK: { S: ['STATUS'] } } },
      });
    });

    it('agrees with the handler on every kind of record: what passes is what the purger acts on', () => {
      const removal = statusRemoval('inst-1', 'ttl');
      const withKeys = (PK: string, SK: string): DynamoDBRecord => ({
        ...removal,
        dynamodb: { ...removal.dynamodb, Keys: { PK: { S: PK }, SK: { S: SK } } },
      });
      const records: DynamoDBRecord[] = [
        removal,
        statusRemoval('inst-1', 'user'),
        { ...removal, eventName: 'MODIFY' },
        { ...removal, eventName: 'INSERT' },
        withKeys('THREAD#inst-1', 'CP##1ef#'),
        withKeys('INSTANCE#inst-1', 'LEASE'),
        withKeys('OTHER#inst-1', 'STATUS'),
      ];
      for (const record of records) {
        expect({ record, passes: matches(pattern, record) }).toEqual({
          record,
          passes: statusRemovalOf(record) !== undefined,
        });
      }
      expect(records.filter((record) => matches(pattern, record))).toHaveLength(2);
    });
  });

  it('has a DLQ of its own: named, encrypted, kept 14 days, TLS only, and alarmed on', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: stack.names.retentionDlq,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * DAY,
      RedrivePolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [resolve(stack.retention.dlq.queueUrl)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}retention-dlq-not-empty`,
      AlarmDescription: Match.stringLikeRegexp('instance_ids'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: resolve(stack.retention.dlq.queueName) }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(stack.monitoring.dlqAlarms.get('retention')).toBeDefined();
  });

  it('may read, query and batch-delete table items, read this table stream and send to its DLQ, nothing more', () => {
    const granted = permissionsOf(template, stack.resolve(stack.retention.lambda.role.roleName));
    const arn = (token: unknown) => resolvedJson(stack, token);
    const table = arn(stack.storage.stateTable.tableArn);
    const streamArn = arn(stack.storage.stateTable.tableStreamArn);
    const dynamodb = [...granted].filter(([action]) => action.startsWith('dynamodb:'));
    expect(Object.fromEntries(dynamodb.map(([action, resources]) => [action, [...resources]]))).toEqual({
      'dynamodb:GetItem': [table],
      'dynamodb:Query': [table],
      'dynamodb:BatchWriteItem': [table],
      'dynamodb:DescribeStream': [streamArn],
      'dynamodb:GetRecords': [streamArn],
      'dynamodb:GetShardIterator': [streamArn],
      'dynamodb:ListStreams': [streamArn],
    });
    expect([...(granted.get('sqs:SendMessage') ?? [])]).toEqual([arn(stack.retention.dlq.queueArn)]);
    expect([...granted.keys()].filter((action) => action.startsWith('s3:'))).toEqual([]);
    for (const [action, resources] of granted) {
      if (resources.has('"*"')) expect(WILDCARD_RESOURCE_ACTIONS).toContain(action);
    }
  });
});

describe('retention period', () => {
  it('is context retentionDays (30 by default), given to the orchestrator as CCH_RETENTION_SECONDS', () => {
    const environmentOf = (t: Template, functionName: string) => {
      const variables = new Capture();
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: functionName,
        Environment: { Variables: variables },
      });
      return variables.asObject();
    };
    expect(DEFAULT_RETENTION_DAYS).toBe(30);
    expect(environmentOf(template, stack.names.orchestratorFunction)).toMatchObject({
      CCH_RETENTION_SECONDS: String(30 * DAY),
    });
    const week = synthStack({ env: 'dev', owner: 'week', retentionDays: '7' });
    expect(environmentOf(week.template, week.stack.names.orchestratorFunction)).toMatchObject({
      CCH_RETENTION_SECONDS: String(7 * DAY),
    });
  });

  it('reads retentionDays as a whole number of days from the CLI or cdk.json', () => {
    const days = (value: unknown) =>
      readAppContext((key) => ({ env: 'dev', owner: 'a', retentionDays: value })[key]).retentionDays;
    expect(days(undefined)).toBe(30);
    expect(days('')).toBe(30);
    expect(days('90')).toBe(90);
    expect(days(1)).toBe(1);
    for (const bad of ['0', '-3', '1.5', 'thirty', 0, 2.5, true]) {
      expect(() => days(bad)).toThrow(
        new InvalidAppContextError(
          `CDK context 'retentionDays' must be a whole number of days, at least 1, got ${JSON.stringify(bad)}`,
        ),
      );
    }
    expect(() => buildApp({ retentionDays: 'never' })).toThrow(/CDK context 'retentionDays'/);
  });
});

/**
 * The part of Lambda's event filtering the retention filter uses: a key's list of allowed values (a
 * string equals, `{ prefix }` begins), nested objects matched key by key, absent keys never matching.
 */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) =>
      typeof allowed === 'object' && allowed !== null && 'prefix' in allowed
        ? typeof value === 'string' && value.startsWith(String((allowed as { prefix: unknown }).prefix))
        : allowed === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matches(inner, (value as Record<string, unknown>)[key]),
  );
}
