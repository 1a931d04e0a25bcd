import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBSaver } from '../checkpoint';
import { systemClock, type Clock } from '../graph/engine-dependencies';
import { RequestIds, type ReplyKeys, type ReplyKeySource } from '../graph/request-ids';
import type { ReplySenders } from '../runtime/reply-senders';
import { resourceNames, type Stage } from '../naming/resource-names';
import { OrchestratorRuntime, type RuntimeOptions } from '../runtime/orchestrator-runtime';
import type { Logger, Metrics } from '../runtime/ports';
import { NO_SECRETS, type SecretSource } from '../sync-capabilities/secret-source';
import { createDeployedSyncCapabilities } from './aws-sync-capabilities';
import { DynamoDbInstanceStore } from './dynamodb-instance-store';
import { EmfMetrics } from './emf-metrics';
import { createPinoLogger } from './pino-logger';
import { QueueUrls } from './queue-urls';
import { S3DefinitionStore } from './s3-definition-store';
import { SqsBatchProcessor } from './sqs-batch-processor';
import { SqsCapabilityDispatcher } from './sqs-capability-dispatcher';
import { SqsClaimCheck } from './sqs-claim-check';
import { SqsTimerScheduler } from './sqs-timer-scheduler';
import { SqsWorkflowMessenger } from './sqs-workflow-messenger';
import { StepFunctionsRouting, type StepFunctionsRoute } from '../step-functions/command-routing';
import { stepFunctionsNames } from '../step-functions/step-functions-names';
import { createTimerScheduler, type TimerSchedulerOptions } from './eventbridge-timer-scheduler';

export interface AwsOrchestratorOptions {
  readonly stage: Stage;
  /** SDK client settings; endpoints and credentials of the embedded stack go here. */
  readonly clients?: {
    readonly dynamodb?: DynamoDBClientConfig;
    readonly sqs?: SQSClientConfig;
    readonly s3?: S3ClientConfig;
  };
  /**
   * Where sync capabilities read secrets (an `http` header): the Parameters and Secrets extension in the
   * Lambda (handler.ts). Default: none can be read.
   */
  readonly secrets?: SecretSource;
  /**
   * Secrets workflows may read besides the names under the env's workflowSecretsPrefix (names or ARNs,
   * CCH_WORKFLOW_SECRET_IDS in the Lambda).
   */
  readonly workflowSecretIds?: readonly string[];
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** A finished instance is removed whole this long after it ended (default 30 days). */
  readonly retentionSeconds?: number;
  /** How long a lease outlives its holder (default: the runtime's). */
  readonly leaseTtlMs?: number | undefined;
  /** Retry delays of the runtime (tests shorten them). */
  readonly retryDelays?: Pick<RuntimeOptions, 'busyRetrySeconds' | 'notReadyRetrySeconds'>;
  /** SQS delays (default) or EventBridge Scheduler schedules for waits over 15 minutes. */
  readonly timers?: TimerSchedulerOptions;
  /**
   * The deployment's reply keys: every request id is tagged with `current`, every reply's id verified
   * against `current` and `previous` (RequestIds). Required: there is no unverified mode on queues.
   */
  readonly replyKeys: ReplyKeys | ReplyKeySource;
  /** Who may answer each capability domain (its team's principals); unchecked without it. */
  readonly replySenders?: ReplySenders | undefined;
  /** The orchestrator's own principals, whose deferred copies of a reply carry the original sender. */
  readonly relaySenderIds?: readonly string[] | undefined;
  /**
   * Called with the SQS client when it is made, before any send: the local stack stamps the principal it
   * simulates on every message this orchestrator sends (AWS says who sent a message by itself).
   */
  readonly onSqsClient?: (sqs: SQSClient) => void;
  /**
   * A mixed deployment (CDK context `engines`): the workflows deployed as state machines, whose START (and
   * CANCEL of instances the engine does not have) go on to Step Functions' command queue
   * (StepFunctionsRouting). None: every command is the engine's.
   */
  readonly stepFunctionsWorkflowIds?: readonly string[] | undefined;
}

/** The orchestrator on AWS adapters, as the Lambda and the local stack's pollers run it. */
export function createAwsOrchestrator(options: AwsOrchestratorOptions) {
  const names = resourceNames(options.stage);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createPinoLogger();
  const dynamodb = new DynamoDBClient(options.clients?.dynamodb ?? {});
  const sqs = new SQSClient(options.clients?.sqs ?? {});
  options.onSqsClient?.(sqs);
  const requestIds = new RequestIds(options.replyKeys);
  const s3 = new S3Client(options.clients?.s3 ?? {});
  const queues = new QueueUrls(sqs);
  // Messages over SQS's size travel through the event-data bucket (capability mocks share this one).
  const claimCheck = new SqsClaimCheck({ s3, bucket: names.eventDataBucket, prefix: names.sqsPayloadPrefix });
  // No TTL on checkpoint items: a live instance never loses one. A finished instance's status record gets
  // the TTL, and the retention purger removes its checkpoints with it.
  const checkpointer = new DynamoDBSaver({ client: dynamodb, tableName: names.stateTable });
  const instances = new DynamoDbInstanceStore(dynamodb, names.stateTable, clock);
  const sfnWorkflowIds = options.stepFunctionsWorkflowIds ?? [];
  const stepFunctions: StepFunctionsRoute | undefined =
    sfnWorkflowIds.length === 0
      ? undefined
      : {
          workflowIds: new Set(sfnWorkflowIds),
          forward: async (command) => {
            const queueUrl = await queues.url(stepFunctionsNames(options.stage).commandQueue);
            await sqs.send(
              new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(command) }),
            );
          },
          engineHas: async (instanceId) => (await instances.get(instanceId)) !== undefined,
        };
  const replyQueueUrl = queues.url(names.replyQueue);
  // The reply queue URL goes into every request; resolving it lazily keeps cold starts free of calls.
  const runtimePromise = replyQueueUrl.then(
    (replyTo) =>
      new OrchestratorRuntime({
        definitions: new S3DefinitionStore(s3, names.definitionsBucket),
        instances: new DynamoDbInstanceStore(dynamodb, names.stateTable, clock),
        checkpointer,
        dispatcher: new SqsCapabilityDispatcher(sqs, queues, names.capabilityRequestQueue, claimCheck),
        messenger: new SqsWorkflowMessenger(
          sqs,
          queues,
          { command: names.commandQueue, reply: names.replyQueue },
          claimCheck,
        ),
        timers: createTimerScheduler(
          options.timers,
          new SqsTimerScheduler(sqs, () => queues.url(names.commandQueue), clock),
          { groupName: names.timerScheduleGroup, clock },
        ),
        clock,
        logger,
        metrics: options.metrics ?? new EmfMetrics(names.metricsNamespace, names.metricDimensions),
        syncCapabilities: createDeployedSyncCapabilities(options.secrets ?? NO_SECRETS, {
          prefixes: [names.workflowSecretsPrefix],
          ids: options.workflowSecretIds ?? [],
        }),
        replyTo,
        requestIds,
        // A child's end comes from the orchestrator itself: its own principals are the only senders.
        ...(options.replySenders
          ? { replySenders: { ...options.replySenders, engine: options.relaySenderIds } }
          : {}),
        ...options.retryDelays,
        ...(options.retentionSeconds === undefined ? {} : { retentionSeconds: options.retentionSeconds }),
        ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      }),
  );
  replyQueueUrl.catch(() => undefined);
  return {
    names,
    clients: { dynamodb, sqs, s3 },
    claimCheck,
    checkpointer,
    instances: new DynamoDbInstanceStore(dynamodb, names.stateTable, clock),
    runtime: () => runtimePromise,
    processor: async () =>
      new SqsBatchProcessor({
        runtime: stepFunctions
          ? new StepFunctionsRouting(await runtimePromise, stepFunctions)
          : await runtimePromise,
        sqs,
        queues,
        claimCheck,
        logger,
        ...(options.relaySenderIds ? { relaySenderIds: options.relaySenderIds } : {}),
        messageTypesByQueue: {
          [names.commandQueue]: ['START_WORKFLOW', 'CANCEL_WORKFLOW', 'REDRIVE_WORKFLOW', 'TIMER_FIRED'],
          [names.replyQueue]: ['ASYNC_RESP'],
        },
      }),
  };
}

export type AwsOrchestrator = ReturnType<typeof createAwsOrchestrator>;
