import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createPinoLogger } from '../../../orchestrator/src/aws/pino-logger';
import { validateDefinition } from '../../../orchestrator/src/definition/validate-definition';
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
  type LocalChild,
  type LocalRunResult,
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
  /**
   * Transitions billed: states entered and retries as executed, plus the execution's start and end, of
   * the execution and of every nested execution it started (children's children included).
   */
  readonly transitions: number;
  /** Executions billed: the run's own and its nested ones (one per sub_workflow step and map item). */
  readonly executions: number;
  /** Nested executions that did not succeed. */
  readonly childFailures: number;
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
      const { definition, machine, children } = compiledWithChildren(workflow);
      const context = workflow.context ?? SHIPMENT_CONTEXT;
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
        context,
      });
      const commandMs = performance.now() - began;
      if (!started.input)
        throw new Error(`the command bridge started no execution of ${workflow.workflowId}`);
      const run = await runOnLocalStepFunctions(definition, machine, {
        instanceId,
        context: (JSON.parse(started.input) as { context: typeof context }).context,
        tokens,
        children,
      });
      // Every nested execution (a map item's, a sub_workflow's, and theirs) bills as an execution of its own.
      const nested = nestedRuns(run);
      const all = [run, ...nested];
      const taskTokens = dynamoDbDelta(meter.usage(), before);
      const lambdas = {
        request: sum(all, (r) => r.lambdas.request),
        steps: sum(all, (r) => r.lambdas.steps),
        reply: sum(all, (r) => r.lambdas.reply),
        ms: sum(all, (r) => r.lambdas.ms),
        command: 1,
      };
      const requests = sum(all, (r) => r.requests.length);
      const replies = sum(all, (r) => r.replies.length);
      const usage: OurRunUsage = {
        dynamodbWriteUnits: taskTokens.wcu,
        dynamodbReadUnits: taskTokens.rcu,
        // START on the command queue and every reply on the reply queue.
        sqsRequests: (1 + replies) * SQS_REQUESTS_PER_MESSAGE,
        capabilitySqsRequests: requests * SQS_REQUESTS_PER_MESSAGE,
        s3Puts: 0,
        s3Gets: 0,
        schedulerInvocations: 0,
        lambdaInvocations: lambdas.command + lambdas.request + lambdas.steps + lambdas.reply,
        lambdaMilliseconds: commandMs + lambdas.ms,
        lambdaMemoryMb,
      };
      const transitions = sum(all, (r) => stepFunctionsTransitions(r.transitions));
      runs.push({
        workflow: workflow.workflowId,
        status: run.status,
        ...(run.error ? { error: `${run.error.code}: ${run.error.message}` } : {}),
        transitions,
        executions: all.length,
        childFailures: nested.filter((r) => r.status !== 'SUCCEEDED').length,
        lambdas,
        capabilityRequests: requests,
        replies,
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

/**
 * The workflow compiled as `wf asl` compiles it with its children beside it (their start contexts
 * checked and embedded), and the children compiled the same way, by workflow id, for the harness.
 */
function compiledWithChildren(workflow: BenchWorkflow): ReturnType<typeof compiledWorkflow> & {
  children: Record<string, LocalChild>;
} {
  const texts = new Map(
    (workflow.children ?? []).map((child) => {
      const { definition } = validateDefinition(child.key, child.text);
      if (!definition) throw new Error(`${workflow.workflowId}: child ${child.key} is not valid`);
      return [definition.workflow_id, { key: child.key, text: child.text, definition }] as const;
    }),
  );
  const lookup = (id: string) => texts.get(id)?.definition;
  const children: Record<string, LocalChild> = {};
  for (const [id, child] of texts) children[id] = compiledWorkflow(child.text, child.key, lookup);
  return { ...compiledWorkflow(workflow.text, `${workflow.workflowId}.yaml`, lookup), children };
}

/** The nested executions a run started, theirs included, depth first. */
function nestedRuns(run: LocalRunResult): LocalRunResult[] {
  return run.childRuns.flatMap((child) => [child, ...nestedRuns(child)]);
}

const sum = <T>(items: readonly T[], of: (item: T) => number) =>
  items.reduce((total, item) => total + of(item), 0);

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
