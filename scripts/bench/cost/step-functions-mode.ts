import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createPinoLogger } from '../../../orchestrator/src/aws/pino-logger';
import { SHIPMENT_CONTEXT } from '../../../orchestrator/src/runtime/testing/example-workflows';
import {
  CommandBridge,
  type ExecutionControl,
} from '../../../orchestrator/src/step-functions/command-bridge';
import { DynamoDbTaskTokenStore } from '../../../orchestrator/src/step-functions/dynamodb-task-token-store';
import { stepFunctionsNames } from '../../../orchestrator/src/step-functions/step-functions-names';
import { compiledWorkflow } from '../../../orchestrator/src/step-functions/testing/compiled-workflow';
import {
  runOnLocalStepFunctions,
  type LambdaInvocations,
} from '../../../orchestrator/src/step-functions/testing/local-step-functions-run';
import type { LocalServers } from '../../local-aws/local-servers';
import { REPO_ROOT } from '../../local-aws/provision-local';
import type { BenchWorkflow } from './bench-workflows';
import { dynamoDbDelta, meterDynamoDb, type DynamoDbUsage } from './dynamodb-meter';
import {
  stepFunctionsModeCostPerRun,
  stepFunctionsTransitions,
  type CostBreakdown,
  type OurRunUsage,
} from './price-model';

/*
 * One run of each workflow in Step Functions mode, as `engine=stepfunctions` deploys it: the workflow
 * compiled by `wf asl`, executed by aws-local-stepfunctions (the parity tests' harness), with the real
 * command bridge, request dispatch, steps and reply bridge in this process and the real DynamoDB task
 * token store on the embedded DynamoDB (metered as the engine's is). Every capability answers SUCCESS
 * with a value for each expected key, as the engine's cost figure has them answer.
 */

/**
 * SQS requests per message on the mode's queues, a model (the harness carries the messages in memory):
 * its send, one receive and one delete (batches of one, as the engine's cost figure assumes), every
 * message of the bench being far under 64 KB.
 */
export const SQS_REQUESTS_PER_MESSAGE = 3;

export interface ModeRun {
  readonly workflow: string;
  readonly status: string;
  /** Why the execution failed, if it did (every bench workflow should succeed). */
  readonly error?: string;
  /** Transitions billed: states entered and retries as executed, plus the execution's start and end. */
  readonly transitions: number;
  readonly lambdas: LambdaInvocations & { readonly command: number };
  readonly capabilityRequests: number;
  readonly replies: number;
  readonly taskTokens: DynamoDbUsage;
  readonly usage: OurRunUsage;
  readonly cost: CostBreakdown;
}

/** The bridge Lambdas' memory as infra configures it (StepFunctionsEngine's lambdaOf). */
export function bridgeMemoryMb(): number {
  const file = join(REPO_ROOT, 'infra', 'src', 'step-functions', 'step-functions-engine.ts');
  const memory = Number(/memorySize:\s*(\d+)/.exec(readFileSync(file, 'utf8'))?.[1]);
  if (!Number.isFinite(memory) || memory <= 0) throw new Error(`no memorySize in ${file}`);
  return memory;
}

export async function measureStepFunctionsMode(
  servers: LocalServers,
  workflows: readonly BenchWorkflow[],
  lambdaMemoryMb: number,
  /** Distinguishes the instance ids (and so the request ids) of a warm-up pass from the measured one. */
  pass = 'bench-modes',
): Promise<ModeRun[]> {
  const client = new DynamoDBClient(servers.aws.clientConfig.dynamodb);
  const table = stepFunctionsNames(servers.resources.stage).taskTokenTable;
  await createTokenTable(client, table);
  const meter = meterDynamoDb(client);
  const tokens = new DynamoDbTaskTokenStore(client, table);
  const runs: ModeRun[] = [];
  try {
    for (const workflow of workflows) {
      const { definition, machine } = compiledWorkflow(workflow.text, `${workflow.workflowId}.yaml`);
      const instanceId = `${pass}-${workflow.workflowId}`;
      // The command Lambda's work: the real CommandBridge, its StartExecution answered in-process.
      const started: { input?: string } = {};
      const control: ExecutionControl = {
        start: (_arn, _name, input) => {
          started.input = input;
          return Promise.resolve('started');
        },
        stop: () => Promise.resolve('gone'),
      };
      const commands = new CommandBridge({
        control,
        workflows: new Map([
          [
            workflow.workflowId,
            {
              stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow.workflowId}`,
              initialContext: definition.initial_context ?? [],
            },
          ],
        ]),
        newId: () => instanceId,
        // JSON logs serialized as the Lambda's are, written nowhere (as the engine's in the cost figure).
        logger: createPinoLogger({ write: () => undefined }),
      });
      const before = meter.usage();
      const began = performance.now();
      await commands.start({
        type: 'START_WORKFLOW',
        workflow_id: workflow.workflowId,
        instance_id: instanceId,
        context: SHIPMENT_CONTEXT,
      });
      const commandMs = performance.now() - began;
      if (!started.input)
        throw new Error(`the command bridge started no execution of ${workflow.workflowId}`);
      const run = await runOnLocalStepFunctions(definition, machine, {
        instanceId,
        context: (JSON.parse(started.input) as { context: typeof SHIPMENT_CONTEXT }).context,
        tokens,
      });
      const taskTokens = dynamoDbDelta(meter.usage(), before);
      const lambdas = { ...run.lambdas, command: 1 };
      const usage: OurRunUsage = {
        dynamodbWriteUnits: taskTokens.wcu,
        dynamodbReadUnits: taskTokens.rcu,
        // START on the command queue and every reply on the reply queue.
        sqsRequests: (1 + run.replies.length) * SQS_REQUESTS_PER_MESSAGE,
        capabilitySqsRequests: run.requests.length * SQS_REQUESTS_PER_MESSAGE,
        s3Puts: 0,
        s3Gets: 0,
        schedulerInvocations: 0,
        lambdaInvocations: lambdas.command + lambdas.request + lambdas.steps + lambdas.reply,
        lambdaMilliseconds: commandMs + run.lambdas.ms,
        lambdaMemoryMb,
      };
      const transitions = stepFunctionsTransitions(run.transitions);
      runs.push({
        workflow: workflow.workflowId,
        status: run.status,
        ...(run.error ? { error: `${run.error.code}: ${run.error.message}` } : {}),
        transitions,
        lambdas,
        capabilityRequests: run.requests.length,
        replies: run.replies.length,
        taskTokens,
        usage,
        cost: stepFunctionsModeCostPerRun(transitions, usage),
      });
    }
  } finally {
    client.destroy();
  }
  return runs;
}

/** The task token table as the CDK stack defines it (key `request_id`, on demand); kept if it exists. */
async function createTokenTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'request_id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'request_id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite creates a table asynchronously: wait until it answers.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await new DynamoDbTaskTokenStore(client, table).get('probe');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`task token table ${table} never became ready`);
}
