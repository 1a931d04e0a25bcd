import { join } from 'node:path';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { ArnFormat, Duration, Stack, Tags, type CfnResource } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { childMachinePlaceholder, FUNCTION_ARN_PLACEHOLDERS } from '../../../orchestrator/src/asl/asl-names';
import type { ResourceNames, Stage } from '../../../orchestrator/src/naming/resource-names';
import {
  stepFunctionsNames,
  WORKFLOW_ID_TAG,
} from '../../../orchestrator/src/step-functions/step-functions-names';
import { acknowledgeWildcards, logicalIdOf } from '../nag';
import { replyKeysExtension, type ReplyKeysSecret } from '../reply-keys-secret';
import { NodeLambda } from '../node-lambda';
import { repoRoot } from '../paths';
import type { Queues, QueueWithDlq } from '../queues';
import type { Storage } from '../storage';
import type { DeployedDefinition } from './deployed-definitions';

/** The handlers of Step Functions mode (orchestrator/src/step-functions/). */
export const STEP_FUNCTIONS_ENTRIES = {
  command: join(repoRoot, 'orchestrator', 'src', 'step-functions', 'command-handler.ts'),
  reply: join(repoRoot, 'orchestrator', 'src', 'step-functions', 'reply-handler.ts'),
  request: join(repoRoot, 'orchestrator', 'src', 'step-functions', 'request-handler.ts'),
  steps: join(repoRoot, 'orchestrator', 'src', 'step-functions', 'steps-handler.ts'),
} as const;

export interface StepFunctionsEngineProps {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly queues: Queues;
  readonly storage: Storage;
  /**
   * The state machines to deploy (`definitionsIn`): every child one of them starts must be among them.
   * Only the top-level ones are started by callers (the command bridge's CCH_WORKFLOWS).
   */
  readonly definitions: readonly DeployedDefinition[];
  /**
   * The LangGraph orchestrator. Every definition on Step Functions: its command and reply queue mappings
   * are disabled. Mixed (`mixed`): it stays the public command queue's one consumer and forwards these
   * state machines' commands to the bridge's own command queue (StepFunctionsRouting).
   */
  readonly orchestrator: NodeLambda;
  /**
   * Some definitions of the deployment run on the engine (CDK context `engines`). SQS hands a message to
   * whichever consumer polls, so the bridges take the shared queues' place nowhere: the command bridge
   * reads a command queue of its own (fed by the orchestrator), and Step Functions' replies arrive on a
   * reply queue of their own, the `reply_to` of its requests.
   */
  readonly mixed?: boolean;
  /** Who may answer capability requests (capability teams, the mock): granted the mixed mode's reply queue. */
  readonly replySenders?: readonly iam.IGrantable[];
  /**
   * The deployment's reply keys, the engine's: the request Lambda tags request ids with them, the reply
   * Lambda verifies replies' ids (read through the Parameters and Secrets extension, as the orchestrator).
   */
  readonly replyKeys: ReplyKeysSecret;
  /**
   * CCH_REPLY_SENDERS, the orchestrator's own value (JSON `{"byDomain": ..., "others": ...}`): who may answer
   * each capability domain, checked by the reply Lambda as the engine checks it. Unset: unchecked.
   */
  readonly replySenderIds?: string;
  readonly removalPolicy: RemovalPolicy;
  /** @default STEP_FUNCTIONS_ENTRIES */
  readonly entries?: Partial<Record<keyof typeof STEP_FUNCTIONS_ENTRIES, string>>;
}

/**
 * Step Functions mode (context `engine=stepfunctions`): one Standard state machine per definition (each
 * top-level one on Step Functions, and every child such a machine starts: `definitionsIn`), with logging
 * (ALL, execution data) and X-Ray, running the `wf asl` compilation of its YAML, a parent starting each
 * child as a nested execution of the child's machine (`startExecution.sync:2`); the Lambdas it
 * calls (request: records request id -> task token and sends the ASYNC_REQ; steps: sync calls, choice
 * conditions, merges, outcomes); and the bridges on the unchanged queues (command: START/CANCEL ->
 * StartExecution/StopExecution; reply: ASYNC_RESP -> SendTaskSuccess/Failure), with a table of task
 * tokens. Every role holds exactly what its code calls.
 */
export class StepFunctionsEngine extends Construct {
  public readonly taskTokens: dynamodb.Table;
  public readonly command: NodeLambda;
  public readonly reply: NodeLambda;
  /** A mixed deployment's queues of the bridges: commands from the orchestrator, replies to Step Functions. */
  public readonly ownQueues?: { readonly command: QueueWithDlq; readonly reply: QueueWithDlq };
  public readonly request: NodeLambda;
  public readonly steps: NodeLambda;
  /** By workflow_id. */
  public readonly stateMachines = new Map<string, sfn.StateMachine>();

  constructor(scope: Construct, id: string, props: StepFunctionsEngineProps) {
    super(scope, id);
    const names = stepFunctionsNames(props.stage);
    const entries = { ...STEP_FUNCTIONS_ENTRIES, ...props.entries };
    const { removalPolicy, queues, storage } = props;
    const env = { CCH_ENV: props.stage.env, CCH_OWNER: props.stage.owner };

    this.taskTokens = new dynamodb.Table(this, 'TaskTokens', {
      tableName: names.taskTokenTable,
      partitionKey: { name: 'request_id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });

    const lambdaOf = (
      key: keyof typeof STEP_FUNCTIONS_ENTRIES,
      functionName: string,
      description: string,
      readsReplyKeys = false,
    ) =>
      new NodeLambda(this, key[0]?.toUpperCase() + key.slice(1), {
        functionName,
        entry: entries[key],
        description,
        memorySize: 512,
        timeout: Duration.seconds(30),
        environment: env,
        logGroupName: `/aws/lambda/${functionName}`,
        logRetention: logs.RetentionDays.ONE_MONTH,
        removalPolicy,
        ...(readsReplyKeys ? { paramsAndSecrets: replyKeysExtension() } : {}),
      });
    this.steps = lambdaOf(
      'steps',
      names.stepsFunction,
      'Step Functions mode: sync calls, choices, merges, outcomes',
    );
    this.request = lambdaOf(
      'request',
      names.requestFunction,
      'Step Functions mode: sends ASYNC_REQ, keeps its task token',
      true,
    );
    this.reply = lambdaOf(
      'reply',
      names.replyFunction,
      'Step Functions mode: ASYNC_RESP -> SendTaskSuccess/Failure',
      true,
    );
    this.command = lambdaOf(
      'command',
      names.commandFunction,
      'Step Functions mode: START/CANCEL -> executions',
    );
    if (props.mixed === true) {
      this.ownQueues = {
        command: queues.addQueue('StepFunctionsCommand', 'sfn-command', names.commandQueue, names.commandDlq),
        reply: queues.addQueue('StepFunctionsReply', 'sfn-reply', names.replyQueue, names.replyDlq),
      };
      // The orchestrator forwards these workflows' commands (it finds the queue by name, as its own).
      this.ownQueues.command.queue.grantSendMessages(props.orchestrator.role);
      this.ownQueues.command.queue.grant(props.orchestrator.role, 'sqs:GetQueueUrl');
      for (const sender of props.replySenders ?? []) this.ownQueues.reply.queue.grantSendMessages(sender);
    }
    const commandQueue = this.ownQueues?.command ?? queues.command;
    const replyQueue = this.ownQueues?.reply ?? queues.reply;

    // Request: write token records, send to the capability queues (large ones through the claim check).
    this.taskTokens.grantWriteData(this.request.role);
    this.taskTokens.grant(this.request.role, 'dynamodb:GetItem');
    for (const { queue } of queues.capability.values()) {
      queue.grantSendMessages(this.request.role);
      queue.grant(this.request.role, 'sqs:GetQueueUrl');
    }
    storage.eventDataBucket.grantPut(this.request.role, `${props.names.sqsPayloadPrefix}*`);
    this.request.function.addEnvironment('CCH_REPLY_QUEUE_URL', replyQueue.queue.queueUrl);
    // Reply: read and close token records; complete tasks (below, per state machine).
    this.taskTokens.grant(this.reply.role, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // The engine's reply security (docs/security.md): the request Lambda tags request ids with the reply
    // keys; the reply Lambda verifies them and each reply's sender, and dead-letters a refused reply at
    // once with its reason, as the orchestrator does (so it sends to its reply queue's DLQ).
    for (const fn of [this.request, this.reply]) {
      props.replyKeys.grantRead(fn.role);
      fn.function.addEnvironment('CCH_REPLY_KEYS_SECRET_ARN', props.replyKeys.secret.secretArn);
    }
    if (props.replySenderIds !== undefined) {
      this.reply.function.addEnvironment('CCH_REPLY_SENDERS', props.replySenderIds);
    }
    replyQueue.dlq.grant(this.reply.role, 'sqs:SendMessage', 'sqs:GetQueueUrl');

    const batch = { batchSize: 10, reportBatchItemFailures: true } satisfies sources.SqsEventSourceProps;
    this.command.function.addEventSource(new sources.SqsEventSource(commandQueue.queue, batch));
    this.reply.function.addEventSource(new sources.SqsEventSource(replyQueue.queue, batch));
    if (!this.ownQueues) {
      // One consumer per queue: the LangGraph orchestrator's mappings stay, disabled (switching back is a
      // deploy). In mixed mode the orchestrator keeps the shared queues, and the bridges have their own.
      for (const child of props.orchestrator.function.node.children) {
        const cfn = child.node.defaultChild as CfnResource | undefined;
        if (cfn?.cfnResourceType === 'AWS::Lambda::EventSourceMapping')
          cfn.addPropertyOverride('Enabled', false);
      }
    }

    const workflows: Record<string, { stateMachineArn: string; initialContext: readonly string[] }> = {};
    // A child's ARN is built from its name, never a Ref: a parent and its child may start each other (or a
    // map itself), and two state machines referencing each other's ARN would be a dependency cycle.
    const deployed = new Set(props.definitions.map((d) => d.workflowId));
    for (const definition of props.definitions) {
      const missing = definition.children.filter((child) => !deployed.has(child));
      if (missing.length > 0) {
        throw new Error(
          `${definition.workflowId} starts ${missing.join(', ')}, which this deployment has no state machine for`,
        );
      }
      const name = names.stateMachine(definition.workflowId);
      const logGroup = new logs.LogGroup(this, `Logs-${definition.workflowId}`, {
        logGroupName: names.stateMachineLogGroup(definition.workflowId),
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy,
      });
      const machine = new sfn.StateMachine(this, `Workflow-${definition.workflowId}`, {
        stateMachineName: name,
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromString(definition.asl),
        definitionSubstitutions: {
          [FUNCTION_ARN_PLACEHOLDERS.request]: this.request.function.functionArn,
          [FUNCTION_ARN_PLACEHOLDERS.steps]: this.steps.function.functionArn,
          ...Object.fromEntries(
            definition.children.map((child) => [
              childMachinePlaceholder(child),
              stateMachineArn(this, names.stateMachine(child)),
            ]),
          ),
        },
        tracingEnabled: true,
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
        removalPolicy,
      });
      // The operator commands (wf status, wf list, the console) find the state machines by name prefix and
      // read each one's workflow id here: a name cannot always give it back (a `.`, a long id).
      Tags.of(machine).add(WORKFLOW_ID_TAG, definition.workflowId);
      // The definition is a string, so CDK cannot see what it calls: exactly these two functions.
      machine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.request.function.functionArn, this.steps.function.functionArn],
        }),
      );
      if (definition.children.length > 0) {
        grantNestedExecutions(
          machine,
          definition.children.map((child) => names.stateMachine(child)),
        );
      }
      // Any machine may wait for a capability's reply (a child's too): the reply Lambda completes its tasks.
      machine.grantTaskResponse(this.reply.role);
      this.stateMachines.set(definition.workflowId, machine);
      acknowledgeWildcards(machine.role, [
        {
          finding: 'Resource::*',
          reason:
            'CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray have no resource-level permissions; CDK adds them for logging and tracing.',
        },
      ]);
      // Callers START top-level definitions only; a subfolder child is started by its parents (and stopped
      // with them: stopping a parent stops its .sync children).
      if (!definition.topLevel) continue;
      machine.grantStartExecution(this.command.role);
      machine.grantExecution(this.command.role, 'states:StopExecution');
      workflows[definition.workflowId] = {
        stateMachineArn: machine.stateMachineArn,
        initialContext: definition.initialContext,
      };
      const executions = `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalIdOf(machine)}"}]}]}:*`;
      acknowledgeWildcards(this.command.role, [
        {
          finding: executions,
          reason:
            'StopExecution: executions are named by instance id at run time; the grant is limited to the executions of this one state machine.',
        },
      ]);
    }
    this.command.function.addEnvironment('CCH_WORKFLOWS', JSON.stringify(workflows));
    if (this.ownQueues) {
      // The workflows whose START the orchestrator forwards: the command bridge's, top-level ones only.
      props.orchestrator.function.addEnvironment(
        'CCH_SFN_WORKFLOW_IDS',
        JSON.stringify(Object.keys(workflows)),
      );
    }
    const payloads = `Resource::<${logicalIdOf(storage.eventDataBucket)}.Arn>/${props.names.sqsPayloadPrefix}*`;
    const claimCheck =
      'grantPut limited to the claim-check prefix of the event-data bucket: a request too large for SQS travels as an object there (s3:Abort* aborts its own multipart uploads).';
    acknowledgeWildcards(this.request.role, [
      { finding: payloads, reason: claimCheck },
      { finding: 'Action::s3:Abort*', reason: claimCheck },
    ]);
  }
}

/** The EventBridge rule Step Functions manages to learn that a `.sync` nested execution ended. */
export const NESTED_EXECUTIONS_RULE = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

/** A state machine's ARN from its name (no Ref: see the caller). */
function stateMachineArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * AWS's policy for nested workflows run with `startExecution.sync:2`: start each child's state machine
 * (`childNames`), describe and stop its executions, and manage the EventBridge rule Step Functions uses to
 * learn they ended.
 */
function grantNestedExecutions(machine: sfn.StateMachine, childNames: readonly string[]): void {
  const stack = Stack.of(machine);
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:StartExecution'],
      resources: childNames.map((name) => stateMachineArn(machine, name)),
    }),
  );
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:DescribeExecution', 'states:StopExecution'],
      resources: childNames.map((name) =>
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${name}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    }),
  );
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: NESTED_EXECUTIONS_RULE,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
    }),
  );
  acknowledgeWildcards(
    machine.role,
    childNames.map((name) => ({
      finding: `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*`,
      reason:
        'DescribeExecution/StopExecution of nested executions (startExecution.sync:2): a child execution is named at run time; the grant is limited to the executions of this one child state machine.',
    })),
  );
}
