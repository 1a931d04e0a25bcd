import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { resourceNames, type ResourceNames, type Stage } from '../../orchestrator/src/naming/resource-names';
import {
  readRetentionDays,
  readTimerScheduler,
  readWorkflowSecretArns,
  type TimerSchedulerKind,
} from './app-context';
import {
  CapabilityMockFunction,
  CAPABILITY_MOCK_DEFAULTS,
  type CapabilityMockFunctionProps,
} from './capability-mock-function';
import { CapabilityTeams, readCapabilityTeams } from './capability-teams';
import { Monitoring } from './monitoring';
import {
  OrchestratorFunction,
  ORCHESTRATOR_DEFAULTS,
  type OrchestratorTuning,
} from './orchestrator-function';
import { definitionsDir, lambdaEntries } from './paths';
import { workflowIdsIn } from './workflow-ids';
import { Queues } from './queues';
import { ReplyKeysSecret } from './reply-keys-secret';
import { RetentionFunction, RETENTION_ENTRY, type RetentionTuning } from './retention-function';
import { Storage } from './storage';
import { StuckCheckFunction, type StuckCheckFunctionProps } from './stuck-check-function';
import { TimerSchedules } from './timer-schedules';
import { WorkflowSecrets } from './workflow-secrets';
import { readEngine, readEngineChoices, type EngineKind } from './step-functions/engine-context';
import { definitionsIn } from './step-functions/deployed-definitions';
import { StepFunctionsEngine, type StepFunctionsEngineProps } from './step-functions/step-functions-engine';

/** AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Stack output keys: `scripts/run-test.ts` and operators read these. */
export const STACK_OUTPUTS = {
  commandQueueUrl: 'CommandQueueUrl',
  commandQueueName: 'CommandQueueName',
  replyQueueUrl: 'ReplyQueueUrl',
  replyQueueName: 'ReplyQueueName',
  capabilityQueueUrls: 'CapabilityQueueUrls',
  definitionsBucketName: 'DefinitionsBucketName',
  eventDataBucketName: 'EventDataBucketName',
  stateTableName: 'StateTableName',
  orchestratorFunctionName: 'OrchestratorFunctionName',
  orchestratorLogGroupName: 'OrchestratorLogGroupName',
  dashboardName: 'DashboardName',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

export interface WorkflowEngineStackProps extends StackProps {
  /** `env` and `owner`; every resource name is `resourceNames(stage)`. */
  readonly stage: Stage;
  /** Capability domains, each with a request queue and DLQ (see `capabilityDomainsIn`). */
  readonly capabilityDomains: readonly string[];
  /** Deploy the capability-mock Lambda on the capability queues (normally: every stage but `prod`). */
  readonly capabilityMock: boolean;
  /** Orchestrator memory, timeout, batch size, concurrency, log retention and level. */
  readonly orchestrator?: OrchestratorTuning;
  /** Capability-mock tuning; its timeout also sets the capability queues' visibility timeout. */
  readonly capabilityMockTuning?: Pick<
    CapabilityMockFunctionProps,
    'timeout' | 'memorySize' | 'batchSize' | 'maxConcurrency'
  >;
  /**
   * How long a finished instance is kept before it is removed whole (status record and checkpoints).
   * @default context `retentionDays`, else 30 days
   */
  readonly retentionPeriod?: Duration;
  /**
   * How timers are delivered: `eventbridge` adds a schedule group and the scheduler's role (TimerSchedules).
   * @default context `timerScheduler`, else `eventbridge` for every env but `local`
   */
  readonly timerScheduler?: TimerSchedulerKind;
  /** Retention Lambda and stream event source tuning. */
  readonly retentionTuning?: RetentionTuning;
  /**
   * Lambda entry files.
   * @default orchestrator/src/handler.ts, capability-mock/src/handler.ts, orchestrator/src/retention-handler.ts,
   *   orchestrator/src/stuck-check-handler.ts
   */
  readonly entries?: {
    readonly orchestrator?: string;
    readonly capabilityMock?: string;
    readonly retention?: string;
    readonly stuckCheck?: string;
  };
  /**
   * Receives before SQS's redrive policy moves a message to its DLQ. Only a backstop: consumers dead-letter
   * a message that keeps failing themselves, with its reason, on its fifth receive, so keep it above that.
   * @default 10
   */
  readonly maxReceiveCount?: number;
  /** @default RETAIN for env `prod` (plus table deletion protection), DESTROY (emptying buckets) otherwise */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * An existing SNS topic (e.g. the on-call one) notified when any alarm fires or recovers.
   * @default a topic the stack creates (`names.alarmTopic`; see Monitoring)
   */
  readonly alarmTopicArn?: string;
  /** How often the stuck check runs and how late counts as stuck (StuckCheckFunction). */
  readonly stuckCheck?: Pick<StuckCheckFunctionProps, 'rate' | 'stuckAfter'>;
  /** Workflows with a failed alarm of their own (the app passes the ids in workflow-definitions/). @default none */
  readonly workflowIds?: readonly string[];
  /**
   * Capability domain -> the AWS principal of the team serving it: each gets a role with exactly its own
   * request queue and the reply queue (CapabilityTeams), and the orchestrator accepts replies to that
   * domain's requests from that role only. A team's domain gets a request queue even if no definition
   * uses it yet. @default context `capabilityTeams`, else none
   */
  readonly capabilityTeams?: ReadonlyMap<string, string>;
  /**
   * Secret ARNs workflows may read besides the names under `cch-<env>/` (see WorkflowSecrets).
   * @default context `workflowSecretArns`, else none
   */
  readonly workflowSecretArns?: readonly string[];
  /** Which engine runs the workflows. @default context `engine`, else `langgraph` */
  readonly engine?: EngineKind;
  /**
   * The workflow definitions Step Functions mode compiles and context `engines` names (tests).
   * @default workflow-definitions/
   */
  readonly definitionsDir?: string;
  /** Step Functions mode's Lambda entries (tests). @default STEP_FUNCTIONS_ENTRIES */
  readonly stepFunctionsEntries?: StepFunctionsEngineProps['entries'];
}

/**
 * The workflow engine on AWS: storage (definitions and event-data buckets, state table), the command,
 * reply and capability queues with their DLQs, the orchestrator Lambda on the command and reply queues,
 * the retention Lambda on the state table's stream, optionally the capability mock on the capability
 * queues, and alarms plus a dashboard.
 *
 * Lambda environment contracts: see `OrchestratorFunction` (orchestrator/src/handler.ts),
 * `RetentionFunction` (orchestrator/src/retention-handler.ts) and `CapabilityMockFunction`
 * (capability-mock/src/handler.ts).
 */
export class WorkflowEngineStack extends Stack {
  public readonly names: ResourceNames;
  public readonly storage: Storage;
  public readonly queues: Queues;
  public readonly orchestrator: OrchestratorFunction;
  /** Removes finished instances whole once their status record expires. */
  public readonly retention: RetentionFunction;
  /** Undefined when the mock is switched off (context `capabilityMock=false`, or env `prod`). */
  public readonly capabilityMock?: CapabilityMockFunction;
  /** Publishes the overdue-wait and stuck-instance gauges on a schedule. */
  public readonly stuckCheck: StuckCheckFunction;
  /** Step Functions mode only (`engine=stepfunctions`): a state machine per definition and its bridges. */
  public readonly stepFunctions?: StepFunctionsEngine;
  public readonly monitoring: Monitoring;
  /** Undefined when timers are SQS delays only (`timerScheduler=sqs`). */
  public readonly timers?: TimerSchedules;
  /** The reply keys request ids are tagged with (read by the orchestrator only). */
  public readonly replyKeys: ReplyKeysSecret;
  /** The secrets workflow definitions may read (http headers), granted to whoever runs sync calls. */
  public readonly workflowSecrets: WorkflowSecrets;
  /** One role per configured capability team. */
  public readonly capabilityTeams: CapabilityTeams;

  constructor(scope: Construct, id: string, props: WorkflowEngineStackProps) {
    super(scope, id, props);
    const { stage } = props;
    this.names = resourceNames(stage);
    const removalPolicy =
      props.removalPolicy ?? (stage.env === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    const orchestratorTimeout = props.orchestrator?.timeout ?? ORCHESTRATOR_DEFAULTS.timeout;
    const mockTimeout = props.capabilityMockTuning?.timeout ?? CAPABILITY_MOCK_DEFAULTS.timeout;
    const retentionPeriod =
      props.retentionPeriod ?? Duration.days(readRetentionDays((key) => this.node.tryGetContext(key)));

    const teams = props.capabilityTeams ?? readCapabilityTeams((key) => this.node.tryGetContext(key));
    const capabilityDomains = [...new Set([...props.capabilityDomains, ...teams.keys()])].sort();

    this.storage = new Storage(this, 'Storage', { names: this.names, removalPolicy });
    this.queues = new Queues(this, 'Queues', {
      names: this.names,
      capabilityDomains,
      orchestratorVisibilityTimeout: times(orchestratorTimeout, VISIBILITY_TIMEOUT_FACTOR),
      // Sized for the mock; capability teams consuming these queues in production get the same window.
      capabilityVisibilityTimeout: times(mockTimeout, VISIBILITY_TIMEOUT_FACTOR),
      ...(props.maxReceiveCount === undefined ? {} : { maxReceiveCount: props.maxReceiveCount }),
      removalPolicy,
    });
    const timerScheduler =
      props.timerScheduler ?? readTimerScheduler((key) => this.node.tryGetContext(key), stage.env);
    if (timerScheduler === 'eventbridge') {
      this.timers = new TimerSchedules(this, 'Timers', {
        names: this.names,
        commandQueue: this.queues.command.queue,
        removalPolicy,
      });
    }
    this.orchestrator = new OrchestratorFunction(this, 'Orchestrator', {
      ...props.orchestrator,
      timeout: orchestratorTimeout,
      stage,
      names: this.names,
      storage: this.storage,
      queues: this.queues,
      entry: props.entries?.orchestrator ?? lambdaEntries.orchestrator,
      removalPolicy,
      retentionPeriod,
      ...(this.timers ? { timers: this.timers } : {}),
    });
    this.retention = new RetentionFunction(this, 'Retention', {
      ...props.retentionTuning,
      stage,
      names: this.names,
      storage: this.storage,
      entry: props.entries?.retention ?? RETENTION_ENTRY,
      removalPolicy,
    });
    if (props.capabilityMock) {
      this.capabilityMock = new CapabilityMockFunction(this, 'CapabilityMock', {
        ...props.capabilityMockTuning,
        timeout: mockTimeout,
        stage,
        names: this.names,
        storage: this.storage,
        queues: this.queues,
        entry: props.entries?.capabilityMock ?? lambdaEntries.capabilityMock,
        removalPolicy,
        domains: capabilityDomains.filter((domain) => !teams.has(domain)),
      });
    }
    this.capabilityTeams = new CapabilityTeams(this, 'CapabilityTeams', {
      names: this.names,
      queues: this.queues,
      teams,
    });
    this.workflowSecrets = new WorkflowSecrets(this, 'WorkflowSecrets', {
      names: this.names,
      extraSecretArns:
        props.workflowSecretArns ?? readWorkflowSecretArns((key) => this.node.tryGetContext(key)),
    });
    this.workflowSecrets.grantRead(this.orchestrator.lambda);
    this.replyKeys = new ReplyKeysSecret(this, 'ReplyKeys', { names: this.names, removalPolicy });
    this.replyKeys.grantRead(this.orchestrator.lambda.role);
    const orchestratorFunction = this.orchestrator.lambda.function;
    // Read by orchestrator/src/handler.ts: the keys' secret; the orchestrator's own role, whose deferred
    // copies of a reply carry the original's sender; who may answer each domain (its team's role, else
    // the mock's where it runs; unchecked where neither).
    orchestratorFunction.addEnvironment('CCH_REPLY_KEYS_SECRET_ARN', this.replyKeys.secret.secretArn);
    orchestratorFunction.addEnvironment('CCH_RELAY_SENDER_IDS', this.orchestrator.lambda.role.roleId);
    const replySenderIds =
      teams.size > 0 || this.capabilityMock
        ? this.toJsonString({
            byDomain: this.capabilityTeams.senderIds,
            ...(this.capabilityMock ? { others: [this.capabilityMock.lambda.role.roleId] } : {}),
          })
        : undefined;
    if (replySenderIds !== undefined)
      orchestratorFunction.addEnvironment('CCH_REPLY_SENDERS', replySenderIds);
    this.stuckCheck = new StuckCheckFunction(this, 'StuckCheck', {
      ...props.stuckCheck,
      stage,
      names: this.names,
      storage: this.storage,
      ...(props.entries?.stuckCheck === undefined ? {} : { entry: props.entries.stuckCheck }),
      removalPolicy,
    });
    // Which engine runs each definition: context `engines` per workflow over the default `engine`. A
    // top-level definition is started by callers on its engine; one in a subfolder is a child, deployed as a
    // state machine when a Step Functions parent starts it, and `engines` may name it only to put it on
    // langgraph (then a Step Functions parent starting it fails the synth: definitionsIn).
    const definitions = props.definitionsDir ?? definitionsDir;
    const defaultEngine = props.engine ?? readEngine((key) => this.node.tryGetContext(key));
    const choices = readEngineChoices(
      (key) => (key === 'engine' ? defaultEngine : this.node.tryGetContext(key)),
      workflowIdsIn(definitions),
    );
    const engines = new Map(
      workflowIdsIn(definitions, { subfolders: false }).map(
        (id) => [id, choices.chosen.get(id) ?? choices.fallback] as const,
      ),
    );
    const onStepFunctions = (id: string) => engines.get(id) === 'stepfunctions';
    const mixed = [...engines.values()].includes('langgraph');
    if (defaultEngine === 'stepfunctions' || [...engines.keys()].some(onStepFunctions)) {
      this.stepFunctions = new StepFunctionsEngine(this, 'StepFunctions', {
        stage,
        names: this.names,
        queues: this.queues,
        storage: this.storage,
        definitions: definitionsIn(definitions, (id) => engines.get(id) ?? choices.chosen.get(id)),
        orchestrator: this.orchestrator.lambda,
        mixed,
        replySenders: [
          ...this.capabilityTeams.roles.values(),
          ...(this.capabilityMock ? [this.capabilityMock.lambda.role] : []),
        ],
        replyKeys: this.replyKeys,
        ...(replySenderIds === undefined ? {} : { replySenderIds }),
        removalPolicy,
        ...(props.stepFunctionsEntries ? { entries: props.stepFunctionsEntries } : {}),
      });
      // The steps Lambda runs the sync calls in this mode.
      this.workflowSecrets.grantRead(this.stepFunctions.steps);
      this.stuckCheck.judgeStepFunctionsExecutions(stage);
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stuckCheck: this.stuckCheck,
      names: this.names,
      queues: this.queues,
      orchestrator: this.orchestrator.function,
      retentionDlq: this.retention.dlq,
      ...(this.capabilityMock ? { capabilityMock: this.capabilityMock.function } : {}),
      orchestratorLogGroup: this.orchestrator.lambda.logGroup,
      workflowIds: props.workflowIds ?? [],
      removalPolicy,
      ...(props.alarmTopicArn === undefined
        ? {}
        : { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) }),
    });

    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { value, description });
    const { command, reply } = this.queues;
    output(
      STACK_OUTPUTS.commandQueueUrl,
      command.queue.queueUrl,
      'Send START_WORKFLOW / CANCEL_WORKFLOW here',
    );
    output(STACK_OUTPUTS.commandQueueName, command.queue.queueName, 'Command queue name');
    output(STACK_OUTPUTS.replyQueueUrl, reply.queue.queueUrl, 'Capabilities send ASYNC_RESP here');
    output(STACK_OUTPUTS.replyQueueName, reply.queue.queueName, 'Reply queue name');
    output(
      STACK_OUTPUTS.capabilityQueueUrls,
      this.toJsonString(
        Object.fromEntries([...this.queues.capability].map(([d, { queue }]) => [d, queue.queueUrl])),
      ),
      'Capability request queue URL by domain (JSON)',
    );
    output(
      STACK_OUTPUTS.definitionsBucketName,
      this.storage.definitionsBucket.bucketName,
      'Upload workflow YAML here',
    );
    output(
      STACK_OUTPUTS.eventDataBucketName,
      this.storage.eventDataBucket.bucketName,
      'Sample and event documents',
    );
    output(
      STACK_OUTPUTS.stateTableName,
      this.storage.stateTable.tableName,
      'Checkpoints, instances and leases',
    );
    output(
      STACK_OUTPUTS.orchestratorFunctionName,
      this.orchestrator.function.functionName,
      'Orchestrator Lambda function',
    );
    output(
      STACK_OUTPUTS.orchestratorLogGroupName,
      this.orchestrator.lambda.logGroup.logGroupName,
      'Orchestrator logs (filter by instance_id)',
    );
    output(STACK_OUTPUTS.dashboardName, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    output(
      STACK_OUTPUTS.alarmTopicArn,
      this.monitoring.alarmTopic.topicArn,
      'Every alarm notifies this SNS topic: subscribe to it',
    );
  }
}

function times(duration: Duration, factor: number): Duration {
  return Duration.seconds(duration.toSeconds() * factor);
}
