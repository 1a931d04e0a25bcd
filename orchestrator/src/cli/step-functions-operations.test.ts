import { mixedTarget } from '../../test/support/mixed-target';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { startHeldExecution } from '../../test/support/held-execution';
import { resourceNames } from '../naming/resource-names';
import type { InstancePage } from '../operations/list-instances';
import type { InstanceStatusView } from '../runtime/instance-record';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from '../step-functions/testing/step-functions-deployment';
import { recordingIo } from './cli-test-io';
import { listCommand } from './list-command';
import type { OperatorTarget } from './operator-target';
import { cancelCommand } from './cancel-command';
import { redriveCommand } from './redrive-command';
import { statusCommand } from './status-command';

/**
 * `wf list --stuck`, the rows' mode and `wf redrive` of a mixed deployment: engine records in the
 * embedded DynamoDB, Step Functions mode's instances as executions on the embedded Step Functions
 * endpoint (started and answered by the real bridges), read by the real SDK client over HTTP. Time is
 * the clock `wf list` takes, moved past the deadlines instead of waiting for them.
 */

const WORKFLOW = 'import_vn_memphis_v1';
const FANOUT = 'fanout_a_b_c_v1';
const HELD = 'held_v1';
const STAGE = { env: 'local', owner: 'dev' } as const;
const CONTEXT = { shipmentId: 'S-1', originCountry: 'VN', destinationCountry: 'US' };
const MINUTE = 60_000;

let table: IndexedTable;
let sfn: StepFunctionsDeployment;
let target: (local: boolean) => OperatorTarget;
/** When the executions began (real time): the clock of the listings is moved on from here. */
let begun: number;
/** The command queue `wf cancel` sends to (the orchestrator's, which forwards Step Functions' commands). */
let commandQueue: string;

async function list(args: readonly string[], now: Date): Promise<string> {
  const io = recordingIo(__dirname);
  expect(
    await listCommand(args, io, { target, now: () => now, deadLettered: () => Promise.resolve([]) }),
  ).toBe(0);
  return io.stdout();
}

const listJson = async (args: readonly string[], now = new Date()): Promise<InstancePage> =>
  JSON.parse(await list([...args, '--json'], now)) as InstancePage;

const stuckAt = async (minutesOn: number) =>
  Object.fromEntries(
    (await listJson(['--stuck'], new Date(begun + minutesOn * MINUTE))).instances.map((r) => [
      r.instance_id,
      r.stuck.map((s) => s.reason),
    ]),
  );

beforeAll(async () => {
  table = await startIndexedTable('cch-local-dev-workflow-state-table');
  sfn = await startStepFunctionsDeployment(STAGE, [`${WORKFLOW}.yaml`, `${FANOUT}.yaml`]);
  target = () => mixedTarget(table, sfn, STAGE);
  // RUNNING since 2020 with no lease: the engine's NO_PROGRESS, at any time the test looks.
  await saveAll(table.store(), [
    statusRecord('engine-stalled', {
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2020-01-01T00:01:00.000Z',
      status: 'RUNNING',
      workflow_id: 'engine_only_v1',
    }),
  ]);
  const sqs = new SQSClient(table.aws.clientConfig.sqs);
  commandQueue =
    (await sqs.send(new CreateQueueCommand({ QueueName: resourceNames(STAGE).commandQueue }))).QueueUrl ?? '';
  sqs.destroy();
  begun = Date.now();
  // Task_A waits for its reply, with the task's 15m timeout as its deadline.
  await sfn.start(FANOUT, 'sfn-overdue', { shipmentId: 'S-2' });
  await sfn.server.tasksWaiting(sfn.executionArn(FANOUT, 'sfn-overdue'));
  // Waits for its reply with no deadline (the task has no timeout): never overdue.
  await sfn.start(WORKFLOW, 'sfn-no-deadline', CONTEXT);
  await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, 'sfn-no-deadline'));
  // Failed by its capability's reply.
  await sfn.start(WORKFLOW, 'sfn-failed', CONTEXT);
  await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, 'sfn-failed'));
  await sfn.reply('sfn-failed', {
    status: 'FAILURE',
    error: { code: 'ENRICHMENT_REJECTED', message: 'unknown shipment' },
  });
  await sfn.server.ended(sfn.executionArn(WORKFLOW, 'sfn-failed'));
  // RUNNING in a Wait state: no task open, no event after it.
  await startHeldExecution(sfn.sfnConfig, STAGE, HELD, 'sfn-held');
}, 60_000);

afterAll(async () => {
  await sfn?.stop();
  await table?.stop();
});

describe('wf list --stuck of a mixed deployment', () => {
  it('finds nothing stuck among fresh executions (the engine instance only)', async () => {
    expect(await stuckAt(0)).toEqual({ 'engine-stalled': ['NO_PROGRESS'] });
  });

  it('holds an open task past its deadline to the engine grace (WAIT_OVERDUE only after it)', async () => {
    // 20 minutes on: Task_A's deadline (15m) passed 5 minutes ago, within the 15 minutes' grace.
    expect(await stuckAt(20)).toEqual({
      'engine-stalled': ['NO_PROGRESS'],
      'sfn-held': ['NO_PROGRESS'],
    });
    // 31 minutes on: 16 minutes past it. A wait with no deadline is never overdue.
    expect(await stuckAt(31)).toEqual({
      'engine-stalled': ['NO_PROGRESS'],
      'sfn-overdue': ['WAIT_OVERDUE'],
      'sfn-held': ['NO_PROGRESS'],
    });
  });

  it("gives an overdue task's node and deadline, and says Step Functions should have timed it out", async () => {
    const status = recordingIo(__dirname);
    expect(
      await statusCommand(['sfn-overdue', '--json'], status, () => ({
        stage: STAGE,
        dynamodb: table.aws.clientConfig.dynamodb,
        sfn: sfn.sfnConfig,
      })),
    ).toBe(0);
    const deadline = (JSON.parse(status.stdout()) as InstanceStatusView).waits[0]?.deadline;
    expect(deadline).toEqual(expect.any(String));
    const page = await listJson(['--stuck', '--workflow', FANOUT], new Date(begun + 31 * MINUTE));
    expect(page.instances).toHaveLength(1);
    const [row] = page.instances;
    expect(row).toMatchObject({
      instance_id: 'sfn-overdue',
      workflow_id: FANOUT,
      status: 'WAITING',
      engine: 'stepfunctions',
      stuck: [{ reason: 'WAIT_OVERDUE', node: 'Task_A', deadline }],
    });
    expect(row?.stuck[0]?.detail).toMatch(
      /^Task_A still waits on prepare#shipment, 1[56]m\d+s past its deadline .* \(Step Functions should have timed the task out\)$/,
    );
    const held = await listJson(
      ['--stuck', '--status', 'RUNNING', '--workflow', HELD],
      new Date(begun + 31 * MINUTE),
    );
    expect(held.instances.map((r) => [r.instance_id, r.engine, r.stuck[0]?.detail])).toEqual([
      [
        'sfn-held',
        'stepfunctions',
        expect.stringMatching(
          /^RUNNING with no open task and no history event for 3[01]m\d+s \(Step Functions execution\)$/,
        ),
      ],
    ]);
  });

  it('shows the ENGINE column in text when a Step Functions row is listed', async () => {
    const text = await list(['--stuck'], new Date(begun + 31 * MINUTE));
    const [header, ...rows] = text.trimEnd().split('\n');
    expect(header).toMatch(/^INSTANCE +WORKFLOW +STATUS +ENGINE +STARTED +UPDATED +DETAIL$/);
    expect(rows.find((r) => r.startsWith('engine-stalled'))).toMatch(/ RUNNING +langgraph +2020-/);
    expect(rows.find((r) => r.startsWith('sfn-overdue'))).toMatch(/ WAITING +stepfunctions +\d{4}-/);
  });
});

describe('the mode of wf list rows', () => {
  it('marks each row langgraph or stepfunctions in JSON', async () => {
    const page = await listJson([]);
    expect(Object.fromEntries(page.instances.map((r) => [r.instance_id, r.engine]))).toEqual({
      'engine-stalled': 'langgraph',
      'sfn-overdue': 'stepfunctions',
      'sfn-no-deadline': 'stepfunctions',
      'sfn-failed': 'stepfunctions',
      'sfn-held': 'stepfunctions',
    });
  });

  it('shows no ENGINE column when the page holds engine rows only', async () => {
    const text = await list(['--workflow', 'engine_only_v1'], new Date());
    expect(text.split('\n')[0]).toMatch(/^INSTANCE +WORKFLOW +STATUS +STARTED +UPDATED +DETAIL$/);
    expect(text).not.toContain('langgraph');
  });
});

describe('wf redrive of a Step Functions mode instance', () => {
  it('refuses, naming the execution and Step Functions redrive-execution; nothing sent', async () => {
    const io = recordingIo(__dirname);
    expect(await redriveCommand(['sfn-failed', '--reason', 'fixed'], io, target)).toBe(1);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toBe(
      `wf redrive: instance sfn-failed is a Step Functions execution (FAILED); redrive it with Step Functions' RedriveExecution, e.g. aws stepfunctions redrive-execution --execution-arn ${sfn.executionArn(WORKFLOW, 'sfn-failed')}; nothing sent\n`,
    );
  });

  it('refuses a live one the same way', async () => {
    const io = recordingIo(__dirname);
    expect(await redriveCommand(['sfn-no-deadline'], io, target)).toBe(1);
    expect(io.stderr()).toContain(
      `is a Step Functions execution (RUNNING); redrive it with Step Functions' RedriveExecution, e.g. aws stepfunctions redrive-execution --execution-arn ${sfn.executionArn(WORKFLOW, 'sfn-no-deadline')}`,
    );
  });

  it('still says where it looked for an id neither mode has', async () => {
    const io = recordingIo(__dirname);
    expect(await redriveCommand(['nobody'], io, target)).toBe(1);
    expect(io.stderr()).toBe('wf redrive: no instance nobody in cch-local-dev-workflow-state-table\n');
  });
});

describe('wf cancel of a Step Functions mode instance', () => {
  /** The CANCEL_WORKFLOW commands on the command queue, as the orchestrator's routing would take them. */
  async function cancelsSent(): Promise<{ type: string; instance_id: string; reason?: string }[]> {
    const sqs = new SQSClient(table.aws.clientConfig.sqs);
    try {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: commandQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      return (got.Messages ?? []).map(
        (m) => JSON.parse(m.Body ?? '{}') as { type: string; instance_id: string },
      );
    } finally {
      sqs.destroy();
    }
  }

  it('sends CANCEL_WORKFLOW for a running execution, and --wait follows it to CANCELLED (stopped)', async () => {
    await sfn.start(WORKFLOW, 'sfn-to-cancel', CONTEXT);
    await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, 'sfn-to-cancel'));
    const io = recordingIo(__dirname);
    const cancelled = cancelCommand(['sfn-to-cancel', '--reason', 'withdrawn', '--wait'], io, target);
    // The orchestrator forwards it to the command bridge, which stops the execution.
    const [sent] = await cancelsSent();
    expect(sent).toMatchObject({
      type: 'CANCEL_WORKFLOW',
      instance_id: 'sfn-to-cancel',
      reason: 'withdrawn',
    });
    await sfn.cancel('sfn-to-cancel', sent?.reason ?? '');
    expect(await cancelled).toBe(0);
    expect(io.stdout()).toBe('cancel of sfn-to-cancel sent\nCANCELLED\n');
  });

  it('sends nothing for an execution that has ended', async () => {
    const io = recordingIo(__dirname);
    expect(await cancelCommand(['sfn-failed'], io, target)).toBe(1);
    expect(io.stderr()).toBe('wf cancel: instance sfn-failed has already ended FAILED: nothing sent\n');
    expect(await cancelsSent()).toEqual([]);
  });
});
