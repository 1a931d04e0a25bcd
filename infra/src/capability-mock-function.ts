import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResourceNames, Stage } from '../../orchestrator/src/naming/resource-names';
import { NodeLambda } from './node-lambda';
import type { Queues } from './queues';
import type { Storage } from './storage';

export interface CapabilityMockFunctionProps {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly storage: Storage;
  readonly queues: Queues;
  /** TypeScript entry exporting `handler` (SQS event of ASYNC_REQ -> ASYNC_RESP on the reply queue). */
  readonly entry: string;
  /** Lambda timeout; the capability queues get a visibility timeout of six times this. @default 30 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** Concurrent invocations per capability queue (2-1000). @default 2 */
  readonly maxConcurrency?: number;
  readonly removalPolicy: RemovalPolicy;
  /**
   * The domains whose request queues it consumes: those no capability team serves (a team's domain has
   * one consumer, the team; the orchestrator would refuse the mock's replies there anyway).
   * @default every capability domain
   */
  readonly domains?: readonly string[];
}

export const CAPABILITY_MOCK_DEFAULTS = {
  timeout: Duration.seconds(30),
  memorySize: 256,
  batchSize: 10,
  maxConcurrency: 2,
} as const;

/**
 * Stands in for every capability team outside production: consumes every capability request queue and
 * answers each ASYNC_REQ with an ASYNC_RESP on its `reply_to`, the reply queue.
 *
 * Environment contract (read by capability-mock/src/handler.ts):
 * - `CCH_EVENTDATA_BUCKET`: the bucket the default outputs' `s3://` URIs point into (run-test uploads the
 *   sample data there), and where replies over the SQS limit are offloaded (the claim check).
 * - `CCH_ENV`, `CCH_OWNER`: the stage, for any name the mock needs (`resourceNames`): the claim check's key
 *   prefix.
 * - `CCH_MOCK_SCENARIOS` (optional JSON, capability id -> scripted replies): unset here, every capability
 *   succeeds; set it on the function to rehearse failures.
 *
 * Permissions: consume the capability queues, send to the reply queue, send to and look up the URL of each
 * capability request DLQ (malformed requests are dead-lettered with their reason), get and put objects under
 * the SQS payload prefix of the event-data bucket (the claim check), write to its log group, X-Ray.
 */
export class CapabilityMockFunction extends Construct {
  public readonly lambda: NodeLambda;
  public readonly function: lambda.IFunction;
  /** One event source per capability request queue. */
  public readonly eventSources: readonly sources.SqsEventSource[];
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: CapabilityMockFunctionProps) {
    super(scope, id);
    const { names, stage, storage, queues } = props;
    this.timeout = props.timeout ?? CAPABILITY_MOCK_DEFAULTS.timeout;
    this.lambda = new NodeLambda(this, 'CapabilityMock', {
      functionName: names.capabilityMockFunction,
      description:
        'Capability mock: answers every ASYNC_REQ on the capability queues (non-production stages)',
      entry: props.entry,
      memorySize: props.memorySize ?? CAPABILITY_MOCK_DEFAULTS.memorySize,
      timeout: this.timeout,
      logGroupName: `/aws/lambda/${names.capabilityMockFunction}`,
      logRetention: logs.RetentionDays.TWO_WEEKS,
      removalPolicy: props.removalPolicy,
      environment: {
        CCH_ENV: stage.env,
        CCH_OWNER: stage.owner,
        CCH_EVENTDATA_BUCKET: storage.eventDataBucket.bucketName,
      },
    });
    this.function = this.lambda.function;
    const role = this.lambda.role;

    // It answers through the reply queue (the outputs are s3:// URIs it composes, never reads).
    queues.reply.queue.grantSendMessages(role);
    // It reads requests offloaded to S3 and offloads replies over the SQS limit (SqsClaimCheck).
    storage.grantSqsPayloads(role);
    // A request it can never read goes to its queue's DLQ at once, with the reason (SqsDeadLetters), which
    // resolves the DLQ's URL by name: send and GetQueueUrl, not the queue's attributes.
    for (const { dlq } of queues.capability.values()) {
      dlq.grant(role, 'sqs:SendMessage', 'sqs:GetQueueUrl');
    }

    const served = props.domains === undefined ? undefined : new Set(props.domains);
    const consumed = [...queues.capability].filter(([domain]) => served?.has(domain) ?? true);
    this.eventSources = consumed.map(([, { queue }]) => {
      const source = new sources.SqsEventSource(queue, {
        batchSize: props.batchSize ?? CAPABILITY_MOCK_DEFAULTS.batchSize,
        maxConcurrency: props.maxConcurrency ?? CAPABILITY_MOCK_DEFAULTS.maxConcurrency,
        reportBatchItemFailures: true,
      });
      this.function.addEventSource(source);
      return source;
    });
  }
}
