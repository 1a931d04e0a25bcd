import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResourceNames, Stage } from '../../orchestrator/src/naming/resource-names';
import { acknowledgeWildcards, logicalIdOf } from './nag';
import { NodeLambda } from './node-lambda';
import type { Queues } from './queues';
import { STATE_TABLE_READ_WRITE_ACTIONS, type Storage } from './storage';
import { replyKeysExtension } from './reply-keys-secret';
import type { TimerSchedules } from './timer-schedules';

/** Tuning of the orchestrator Lambda and of its two SQS event sources. */
export interface OrchestratorTuning {
  /** Lambda memory (MB); CPU scales with it. @default 1024 */
  readonly memorySize?: number;
  /**
   * Lambda timeout. The command and reply queues get a visibility timeout of six times this.
   * @default 60 seconds
   */
  readonly timeout?: Duration;
  /** Messages per invocation, per queue. @default 10 */
  readonly batchSize?: number;
  /** Concurrent invocations each event source may drive (2-1000). @default 5 */
  readonly maxConcurrency?: number;
  /** How long the orchestrator's logs are kept. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** `info`, `debug`, ... (pino levels). @default info */
  readonly logLevel?: string;
}

export interface OrchestratorFunctionProps extends OrchestratorTuning {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly storage: Storage;
  readonly queues: Queues;
  /** TypeScript entry exporting `handler` (SQS event -> `{ batchItemFailures }`). */
  readonly entry: string;
  readonly removalPolicy: RemovalPolicy;
  /** How long a finished instance is kept: its status record expires this long after it ended. */
  readonly retentionPeriod: Duration;
  /** EventBridge Scheduler for waits over 15 minutes; without it, timers are SQS delays only. */
  readonly timers?: TimerSchedules;
}

export const ORCHESTRATOR_DEFAULTS = {
  memorySize: 1024,
  timeout: Duration.seconds(60),
  batchSize: 10,
  maxConcurrency: 5,
  logRetention: logs.RetentionDays.ONE_MONTH,
  logLevel: 'info',
} as const;

/**
 * The orchestrator Lambda, triggered by the command and the reply queue with partial batch failures.
 *
 * Environment contract (read by orchestrator/src/handler.ts, which exists and reads exactly these):
 * - `CCH_ENV`, `CCH_OWNER` (required): the stage. The handler derives every resource name from them with
 *   `resourceNames({ env, owner })`, the module this stack names the resources with, and resolves queue
 *   URLs with GetQueueUrl; no name or URL is passed separately, so there is one source of names only.
 * - `LOG_LEVEL`: the pino level (`info` by default).
 * - `CCH_RETENTION_SECONDS`: a finished instance's status record gets a TTL this long after it ended; the
 *   retention function then removes its checkpoints (see RetentionFunction).
 * - `CCH_TIMER_SCHEDULER`: `sqs`, or `eventbridge` with `CCH_TIMER_ROLE_ARN`, `CCH_TIMER_QUEUE_ARN` and
 *   `CCH_TIMER_SCHEDULE_GROUP` (see TimerSchedules).
 * - `NODE_OPTIONS=--enable-source-maps`: stack frames in the project's code point into its TypeScript sources
 *   (the map leaves dependencies out: Node parses it whole on a cold start, see `ownSourcesOnly`).
 * Metrics are EMF lines on stdout in namespace `resourceNames(...).metricsNamespace` (see `Monitoring`).
 *
 * Permissions: read/write items of the table; read the definitions bucket and put objects under `pinned/`;
 * get and put objects under the SQS payload prefix of the event-data bucket (the claim check); consume
 * (receive, delete, change visibility, get URL) the command and reply queues; send to the command queue
 * (timers, deferred copies), the reply queue (deferred copies) and every capability request queue; send to
 * and look up the URL of the command and reply DLQs (dead letters with a reason); write to its own log
 * group; X-Ray.
 */
export class OrchestratorFunction extends Construct {
  public readonly lambda: NodeLambda;
  public readonly function: lambda.IFunction;
  public readonly commandEventSource: sources.SqsEventSource;
  public readonly replyEventSource: sources.SqsEventSource;
  /** Function timeout in effect (the queues' visibility timeout is six times this). */
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: OrchestratorFunctionProps) {
    super(scope, id);
    const { names, stage, storage, queues } = props;
    this.timeout = props.timeout ?? ORCHESTRATOR_DEFAULTS.timeout;

    this.lambda = new NodeLambda(this, 'Orchestrator', {
      functionName: names.orchestratorFunction,
      description: 'Workflow orchestrator: runs workflow instances from the command and reply queues',
      entry: props.entry,
      memorySize: props.memorySize ?? ORCHESTRATOR_DEFAULTS.memorySize,
      timeout: this.timeout,
      logGroupName: names.orchestratorLogGroup,
      logRetention: props.logRetention ?? ORCHESTRATOR_DEFAULTS.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        CCH_ENV: stage.env,
        CCH_OWNER: stage.owner,
        LOG_LEVEL: props.logLevel ?? ORCHESTRATOR_DEFAULTS.logLevel,
        // An instance's lease outlives any invocation holding it, but not by much: a crashed holder blocks
        // its instance only until the lease expires.
        CCH_LEASE_TTL_SECONDS: String(this.timeout.toSeconds() + 30),
        CCH_RETENTION_SECONDS: String(props.retentionPeriod.toSeconds()),
        ...(props.timers?.environment ?? { CCH_TIMER_SCHEDULER: 'sqs' }),
      },
      // The reply keys are read through it (ReplyKeysSecret; the stack adds CCH_REPLY_KEYS_SECRET_ARN).
      paramsAndSecrets: replyKeysExtension(),
    });
    this.function = this.lambda.function;
    const role = this.lambda.role;

    storage.grantStateTable(role, ...STATE_TABLE_READ_WRITE_ACTIONS);
    storage.definitionsBucket.grantRead(role);
    storage.definitionsBucket.grantPut(role, 'pinned/*');
    // Large START contexts, requests and replies travel through S3 (SqsClaimCheck), under one prefix.
    storage.grantSqsPayloads(role);
    // A deferred message is re-sent as a copy to the queue it came from: the command queue also takes
    // timers, the reply queue only these copies.
    queues.command.queue.grantSendMessages(role);
    queues.reply.queue.grantSendMessages(role);
    for (const { queue } of queues.capability.values()) queue.grantSendMessages(role);
    // The orchestrator moves a failed message to its queue's DLQ itself, with the reason attached
    // (SqsDeadLetters), resolving the DLQ's URL by name: send and GetQueueUrl, not the queue's attributes.
    for (const { dlq } of [queues.command, queues.reply]) {
      dlq.grant(role, 'sqs:SendMessage', 'sqs:GetQueueUrl');
    }
    // Waits over 15 minutes: CreateSchedule in the timer group, passing the scheduler's target role.
    props.timers?.grantCreateSchedules(role);

    const eventSourceProps = {
      batchSize: props.batchSize ?? ORCHESTRATOR_DEFAULTS.batchSize,
      maxConcurrency: props.maxConcurrency ?? ORCHESTRATOR_DEFAULTS.maxConcurrency,
      reportBatchItemFailures: true,
    } satisfies sources.SqsEventSourceProps;
    // Each event source also grants the role receive, delete and change-visibility on its queue.
    this.commandEventSource = new sources.SqsEventSource(queues.command.queue, eventSourceProps);
    this.replyEventSource = new sources.SqsEventSource(queues.reply.queue, eventSourceProps);
    this.function.addEventSource(this.commandEventSource);
    this.function.addEventSource(this.replyEventSource);

    const bucket = logicalIdOf(storage.definitionsBucket);
    const readReason =
      'grantRead on the definitions bucket: START loads any workflow YAML key a caller names, resumes load ' +
      'pinned snapshots, and s3:ListBucket turns a missing key into NoSuchKey instead of AccessDenied; the ' +
      'wildcards stay inside this one bucket and are read-only.';
    acknowledgeWildcards(role, [
      { finding: 'Action::s3:GetObject*', reason: readReason },
      { finding: 'Action::s3:GetBucket*', reason: readReason },
      { finding: 'Action::s3:List*', reason: readReason },
      { finding: `Resource::<${bucket}.Arn>/*`, reason: readReason },
      {
        finding: 'Action::s3:Abort*',
        reason:
          'grantPut: aborting its own multipart uploads, limited to the pinned/ prefix of the definitions bucket.',
      },
      {
        finding: `Resource::<${bucket}.Arn>/pinned/*`,
        reason:
          'Pinned definition snapshots are keyed by sha256 under pinned/; writes are limited to that prefix.',
      },
    ]);
  }
}
