import { join } from 'node:path';
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STATUS_ITEM_KEYS } from '../../orchestrator/src/aws/retention-purger';
import type { ResourceNames, Stage } from '../../orchestrator/src/naming/resource-names';
import { NodeLambda } from './node-lambda';
import { repoRoot } from './paths';
import type { Storage } from './storage';

/** The retention Lambda's entry (exports `handler`: DynamoDB stream event -> `{ batchItemFailures }`). */
export const RETENTION_ENTRY = join(repoRoot, 'orchestrator', 'src', 'retention-handler.ts');

/** Tuning of the retention Lambda and of its stream event source. */
export interface RetentionTuning {
  /** @default 2 minutes */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Stream records per invocation. @default 10 */
  readonly batchSize?: number;
  /** Retries of a failing batch (each halved on error) before it goes to the DLQ. @default 10 */
  readonly retryAttempts?: number;
  /**
   * A record older than this goes to the DLQ instead of being retried: well inside the stream's 24-hour
   * retention, so no record ever ages out of the stream unseen. @default 12 hours
   */
  readonly maxRecordAge?: Duration;
}

export interface RetentionFunctionProps extends RetentionTuning {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly storage: Storage;
  /** TypeScript entry exporting `handler`. @default RETENTION_ENTRY */
  readonly entry?: string;
  readonly removalPolicy: RemovalPolicy;
}

export const RETENTION_DEFAULTS = {
  timeout: Duration.minutes(2),
  memorySize: 256,
  batchSize: 10,
  retryAttempts: 10,
  maxRecordAge: Duration.hours(12),
} as const;

/**
 * Removes a finished instance whole: the orchestrator gives the status record of a finished instance a TTL
 * (`CCH_RETENTION_SECONDS` after it ended), DynamoDB deletes the record when it expires, and this Lambda,
 * on the table's stream, deletes the instance's checkpoint partition (orchestrator/src/aws/retention-purger.ts
 * holds the rules: nothing is deleted while the record exists; a purge is idempotent).
 *
 * The event source passes only removals of STATUS items, by TTL or by anyone else (an operator deleting a
 * record gets the same purge: checkpoints without a record are unreachable, and would be adopted by a new
 * START reusing the id). Failures report the failed record; the batch is retried, halved on error, and after
 * `retryAttempts` (or `maxRecordAge`) its stream positions go to the DLQ, which alarms (see Monitoring).
 *
 * Environment contract (read by orchestrator/src/retention-handler.ts): `CCH_ENV`, `CCH_OWNER` (the stage,
 * which names the table), `LOG_LEVEL`.
 *
 * Permissions: GetItem, Query and BatchWriteItem on the table (exactly what the purge calls: the record's
 * consistent read, and DynamoDBSaver.deleteThread's query and batched deletes); read this table's stream;
 * send to its DLQ; write to its own log group; X-Ray.
 */
export class RetentionFunction extends Construct {
  public readonly lambda: NodeLambda;
  public readonly function: lambda.IFunction;
  /** Where batches that kept failing end (stream positions; the function's error logs name the ids). */
  public readonly dlq: sqs.Queue;
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: RetentionFunctionProps) {
    super(scope, id);
    const { names, stage, storage } = props;
    const table = storage.stateTable;
    if (table.tableStreamArn === undefined) {
      throw new Error('RetentionFunction needs the state table to have a stream (Storage enables it)');
    }

    this.lambda = new NodeLambda(this, 'Retention', {
      functionName: names.retentionFunction,
      description:
        'Retention: deletes the checkpoints of instances whose status record expired or was deleted',
      entry: props.entry ?? RETENTION_ENTRY,
      memorySize: props.memorySize ?? RETENTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? RETENTION_DEFAULTS.timeout,
      logGroupName: `/aws/lambda/${names.retentionFunction}`,
      // The log is the audit trail of what was purged, and names the ids of batches that reached the DLQ.
      logRetention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
      environment: { CCH_ENV: stage.env, CCH_OWNER: stage.owner, LOG_LEVEL: 'info' },
    });
    this.function = this.lambda.function;
    const role = this.lambda.role;

    this.dlq = new sqs.Queue(this, 'Dlq', {
      queueName: names.retentionDlq,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the on-failure destination of the retention function ' +
        'stream event source (cdk-nag recognises only SQS redrive targets as DLQs). It is alarmed on.',
    });

    // Not DynamoEventSource: its grantStreamRead adds dynamodb:ListStreams on `*`; here every stream action
    // is granted on this table's stream only.
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'StreamMapping', {
      target: this.function,
      eventSourceArn: table.tableStreamArn,
      // From the oldest record the stream still holds: a mapping (re)created late misses no removal.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? RETENTION_DEFAULTS.batchSize,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? RETENTION_DEFAULTS.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? RETENTION_DEFAULTS.maxRecordAge,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.dlq),
      filters: [
        // Written out rather than with FilterRule (typed `any`): REMOVE events of STATUS items only.
        lambda.FilterCriteria.filter({
          eventName: ['REMOVE'],
          dynamodb: {
            Keys: {
              PK: { S: [{ prefix: STATUS_ITEM_KEYS.partitionKeyPrefix }] },
              SK: { S: [STATUS_ITEM_KEYS.sortKey] },
            },
          },
        }),
      ],
    });

    storage.grantStateTable(role, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem');
    table.grantStream(
      role,
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    );
  }
}
