import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStateMachineCommand, SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { childMachinePlaceholder, FUNCTION_ARN_PLACEHOLDERS, placeholder } from '../../asl/asl-names';
import type { WorkflowDefinition } from '../../definition/workflow-schema';
import { systemClock } from '../../graph/engine-dependencies';
import type { Stage } from '../../naming/resource-names';
import type { AsyncRequestMessage, AsyncResponse, CapabilityMessage } from '../../runtime/messages';
import { RecordingLogger } from '../../runtime/memory/recording-ports';
import type { CapabilityDispatcher, DispatchReport } from '../../runtime/ports';
import { builtinSyncCapabilities } from '../../sync-capabilities/registry';
import { CommandBridge } from '../command-bridge';
import { EngineSteps } from '../engine-steps';
import { ReplyBridge } from '../reply-bridge';
import { RequestDispatch } from '../request-dispatch';
import { SfnExecutionControl } from '../sfn-execution-control';
import { SfnTaskCompletion } from '../sfn-task-completion';
import type { RequestTaskPayload, StepPayload } from '../step-payloads';
import { stepFunctionsNames, WORKFLOW_ID_TAG } from '../step-functions-names';
import { MemoryTaskTokenStore } from '../task-token-store';
import { compiledWorkflow } from './compiled-workflow';
import { LocalStepFunctionsServer } from './local-step-functions-server';

/**
 * A Step Functions mode deployment for tests, on the embedded Step Functions endpoint: each example's
 * compiled state machine created as the stack names and tags it, the real command bridge (StartExecution,
 * StopExecution), request Lambda (RequestDispatch: token record, ASYNC_REQ kept here), steps Lambda
 * (EngineSteps) and reply bridge (SendTaskSuccess/Failure), every Step Functions call going over HTTP
 * through @aws-sdk/client-sfn. Only the SQS transport is replaced (requests are kept in memory, replies
 * handed to the reply bridge by `reply`).
 *
 * A parent's `sub_workflow` and `map` nodes start their children as nested executions of the children's
 * machines on the same endpoint: each child placeholder of a definition is given the ARN of the machine
 * of that workflow id, when it is one of the deployed workflows (what the stack's DefinitionSubstitutions
 * do), and each parent is compiled knowing its children's definitions.
 */
export interface StepFunctionsDeployment {
  readonly server: LocalStepFunctionsServer;
  /** What an operator command's target needs to reach the endpoint. */
  readonly sfnConfig: SFNClientConfig;
  /** The ASYNC_REQ messages sent so far, oldest first. */
  readonly requests: readonly AsyncRequestMessage[];
  stateMachineArn(workflowId: string): string;
  executionArn(workflowId: string, instanceId: string): string;
  /** START_WORKFLOW through the command bridge; resolves once the execution has begun. */
  start(workflowId: string, instanceId: string, context: Record<string, unknown>): Promise<void>;
  /** ASYNC_RESP for the instance's newest request (of `node`, when given), through the reply bridge. */
  reply(
    instanceId: string,
    reply:
      | { status: 'SUCCESS'; outputs: Record<string, unknown> }
      | { status: 'FAILURE'; error: { code: string; message: string } },
    node?: string,
  ): Promise<void>;
  /** CANCEL_WORKFLOW through the command bridge. */
  cancel(instanceId: string, reason: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFINITIONS = join(__dirname, '..', '..', '..', '..', 'workflow-definitions');

/** A workflow to deploy: a file of workflow-definitions/, or a YAML given as is (named `file`). */
export type DeployedWorkflowSource = string | { readonly file: string; readonly yaml: string };

export async function startStepFunctionsDeployment(
  stage: Stage,
  workflowFiles: readonly DeployedWorkflowSource[],
): Promise<StepFunctionsDeployment> {
  const tokens = new MemoryTaskTokenStore();
  const requests: AsyncRequestMessage[] = [];
  const dispatcher: CapabilityDispatcher = {
    dispatch(messages: readonly CapabilityMessage[]): Promise<DispatchReport> {
      for (const message of messages) if (message.type === 'ASYNC_REQ') requests.push(message);
      return Promise.resolve({ undeliverable: [] });
    },
  };
  const dispatch = new RequestDispatch({
    tokens,
    dispatcher,
    clock: systemClock,
    replyTo: 'local://sfn-reply-queue',
  });
  const steps = new EngineSteps(builtinSyncCapabilities);
  const server = await LocalStepFunctionsServer.start({
    functions: {
      request: (payload) => dispatch.handle(payload as RequestTaskPayload),
      steps: (payload) => steps.run(payload as StepPayload),
    },
  });
  const sfnConfig: SFNClientConfig = {
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sfn = new SFNClient(sfnConfig);
  const names = stepFunctionsNames(stage);
  const workflows = new Map<string, { stateMachineArn: string; initialContext: readonly string[] }>();
  const sources = workflowFiles.map((source) =>
    typeof source === 'string'
      ? { file: source, yaml: readFileSync(join(DEFINITIONS, source), 'utf8') }
      : source,
  );
  // Every definition first, so a parent is compiled knowing its children (their initial_context).
  const definitions = new Map<string, WorkflowDefinition>();
  for (const { file, yaml } of sources) {
    const { definition } = compiledWorkflow(yaml, file);
    definitions.set(definition.workflow_id, definition);
  }
  for (const { file, yaml } of sources) {
    const { definition, machine } = compiledWorkflow(yaml, file, (id) => definitions.get(id));
    // What CloudFormation's DefinitionSubstitutions do at deployment: the Lambdas' ARNs, and each deployed
    // workflow's machine ARN (built from its name) for its child placeholder.
    let asl = JSON.stringify(machine)
      .replaceAll(placeholder(FUNCTION_ARN_PLACEHOLDERS.request), server.functionArn('request'))
      .replaceAll(placeholder(FUNCTION_ARN_PLACEHOLDERS.steps), server.functionArn('steps'));
    for (const id of definitions.keys()) {
      asl = asl.replaceAll(
        placeholder(childMachinePlaceholder(id)),
        server.stateMachineArn(names.stateMachine(id)),
      );
    }
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: names.stateMachine(definition.workflow_id),
        definition: asl,
        roleArn: 'arn:aws:iam::123456789012:role/local',
        tags: [{ key: WORKFLOW_ID_TAG, value: definition.workflow_id }],
      }),
    );
    workflows.set(definition.workflow_id, {
      stateMachineArn: stateMachineArn ?? '',
      initialContext: definition.initial_context ?? [],
    });
  }
  const logger = new RecordingLogger();
  const commands = new CommandBridge({
    control: new SfnExecutionControl(sfn),
    workflows,
    newId: () => 'unused',
    logger,
  });
  const replies = new ReplyBridge({ tokens, completion: new SfnTaskCompletion(sfn) });
  const stateMachineArn = (workflowId: string) => {
    const arn = workflows.get(workflowId)?.stateMachineArn;
    if (arn === undefined) throw new Error(`no state machine for ${workflowId}`);
    return arn;
  };
  return {
    server,
    sfnConfig,
    requests,
    stateMachineArn,
    executionArn: (workflowId, instanceId) =>
      `${stateMachineArn(workflowId).replace(':stateMachine:', ':execution:')}:${instanceId}`,
    async start(workflowId, instanceId, context) {
      await commands.start({
        type: 'START_WORKFLOW',
        workflow_id: workflowId,
        instance_id: instanceId,
        context,
      });
    },
    async reply(instanceId, reply, node) {
      const request = requests
        .filter((r) => r.instance_id === instanceId && (node === undefined || r.node === node))
        .at(-1);
      if (!request) throw new Error(`no request of ${instanceId} was sent`);
      const message: AsyncResponse =
        reply.status === 'SUCCESS'
          ? {
              type: 'ASYNC_RESP',
              instance_id: instanceId,
              request_id: request.request_id,
              status: 'SUCCESS',
              outputs: reply.outputs,
            }
          : {
              type: 'ASYNC_RESP',
              instance_id: instanceId,
              request_id: request.request_id,
              status: 'FAILURE',
              error: reply.error,
            };
      await replies.handle(message);
    },
    async cancel(instanceId, reason) {
      await commands.cancel({ type: 'CANCEL_WORKFLOW', instance_id: instanceId, reason });
    },
    async stop() {
      sfn.destroy();
      await server.close();
    },
  };
}
