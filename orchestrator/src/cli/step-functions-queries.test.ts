import { mixedTarget } from '../../test/support/mixed-target';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import type { InstanceDescription } from '../operations/describe-instance';
import type { InstancePage } from '../operations/list-instances';
import type { InstanceStatusView } from '../runtime/instance-record';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from '../step-functions/testing/step-functions-deployment';
import { recordingIo } from './cli-test-io';
import { describeCommand } from './describe-command';
import { listCommand } from './list-command';
import type { OperatorTarget } from './operator-target';
import { statusCommand, type StatusTarget } from './status-command';

/**
 * `wf status`, `wf list` and `wf describe` of a mixed deployment: engine records in the embedded
 * DynamoDB, Step Functions mode's instances as executions on the embedded Step Functions endpoint,
 * started, answered and stopped by the real bridges, read by the real SDK client over HTTP.
 */

const WORKFLOW = 'import_vn_memphis_v1';
const FANOUT = 'fanout_a_b_c_v1';
const STAGE = { env: 'local', owner: 'dev' } as const;
const CONTEXT = { shipmentId: 'S-1', originCountry: 'VN', destinationCountry: 'US' };

let table: IndexedTable;
let sfn: StepFunctionsDeployment;
let target: (local: boolean) => OperatorTarget;
let statusTarget: (local: boolean) => StatusTarget;

async function statusJson(instanceId: string): Promise<InstanceStatusView> {
  const io = recordingIo(__dirname);
  expect(await statusCommand([instanceId, '--json'], io, statusTarget)).toBe(0);
  return JSON.parse(io.stdout()) as InstanceStatusView;
}

async function listJson(args: readonly string[]): Promise<InstancePage> {
  const io = recordingIo(__dirname);
  expect(await listCommand([...args, '--json'], io, { target })).toBe(0);
  return JSON.parse(io.stdout()) as InstancePage;
}

beforeAll(async () => {
  table = await startIndexedTable('cch-local-dev-workflow-state-table');
  sfn = await startStepFunctionsDeployment(STAGE, [`${WORKFLOW}.yaml`, `${FANOUT}.yaml`]);
  target = () => mixedTarget(table, sfn, STAGE);
  statusTarget = () => ({ stage: STAGE, dynamodb: table.aws.clientConfig.dynamodb, sfn: sfn.sfnConfig });
  await saveAll(table.store(), [
    statusRecord('engine-done', {
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2020-01-01T00:01:00.000Z',
      status: 'SUCCEEDED',
    }),
  ]);

  // Answered: SUCCEEDED. Failed by its capability: FAILED with the reply's code. Stopped: CANCELLED.
  // Left waiting: WAITING on its request.
  for (const id of ['sfn-done', 'sfn-failed', 'sfn-stopped', 'sfn-waiting']) {
    await sfn.start(WORKFLOW, id, CONTEXT);
    await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, id));
  }
  await sfn.reply('sfn-done', { status: 'SUCCESS', outputs: { import_enrichment_uri: 's3://b/k' } });
  await sfn.reply('sfn-failed', {
    status: 'FAILURE',
    error: { code: 'ENRICHMENT_REJECTED', message: 'unknown shipment' },
  });
  await sfn.cancel('sfn-stopped', 'operator says so');
  for (const id of ['sfn-done', 'sfn-failed', 'sfn-stopped']) {
    await sfn.server.ended(sfn.executionArn(WORKFLOW, id));
  }
}, 60_000);

afterAll(async () => {
  await sfn?.stop();
  await table?.stop();
});

describe('wf status of a Step Functions mode instance', () => {
  it('shows a succeeded execution as the engine shows an instance: status, context, history in order', async () => {
    const view = await statusJson('sfn-done');
    expect(view).toMatchObject({
      instance_id: 'sfn-done',
      workflow_id: WORKFLOW,
      status: 'SUCCEEDED',
      context: { ...CONTEXT, import_enrichment_uri: 's3://b/k' },
      waits: [],
      error: null,
      definition: { key: '', sha256: '' },
      engine: 'stepfunctions',
      step_functions: {
        execution_arn: sfn.executionArn(WORKFLOW, 'sfn-done'),
        state_machine_arn: sfn.stateMachineArn(WORKFLOW),
        execution_status: 'SUCCEEDED',
      },
    });
    expect(view.history.map((h) => [h.node, h.status])).toEqual([
      ['Prepare_Import_Enrichment', 'SUCCEEDED'],
      ['Process_Import_Enrichment_Response', 'SUCCEEDED'],
      ['End_Workflow', 'SUCCEEDED'],
    ]);
    for (const [i, step] of view.history.entries()) {
      expect(step.started_at <= step.ended_at).toBe(true);
      const next = view.history[i + 1];
      if (next) expect(step.ended_at <= next.started_at).toBe(true);
    }
  });

  it('shows a failed execution FAILED with the error code and message the capability replied', async () => {
    const view = await statusJson('sfn-failed');
    expect(view.status).toBe('FAILED');
    expect(view.error).toMatchObject({ code: 'ENRICHMENT_REJECTED', message: 'unknown shipment' });
    expect(view.history.map((h) => [h.node, h.status])).toEqual([['Prepare_Import_Enrichment', 'FAILED']]);
    expect(view.step_functions?.execution_status).toBe('FAILED');
  });

  it('shows a stopped execution CANCELLED, its open step cancelled', async () => {
    const view = await statusJson('sfn-stopped');
    expect(view.status).toBe('CANCELLED');
    expect(view.error).toBeNull();
    expect(view.history.map((h) => [h.node, h.status])).toEqual([['Prepare_Import_Enrichment', 'CANCELLED']]);
    expect(view.step_functions?.execution_status).toBe('ABORTED');
  });

  it('shows a running execution WAITING on its request, with the request id the capability got', async () => {
    const view = await statusJson('sfn-waiting');
    const request = sfn.requests.find((r) => r.instance_id === 'sfn-waiting');
    expect(view.status).toBe('WAITING');
    expect(view.history).toEqual([]);
    expect(view.waits).toEqual([
      {
        request_id: request?.request_id,
        node: 'Prepare_Import_Enrichment',
        capability_id: 'import#enrichment',
        since: expect.any(String) as string,
        deadline: null,
      },
    ]);
  });

  it('prints a readable summary naming the execution', async () => {
    const io = recordingIo(__dirname);
    expect(await statusCommand(['sfn-failed'], io, statusTarget)).toBe(0);
    expect(io.stdout()).toContain('sfn-failed  import_vn_memphis_v1  FAILED\n');
    expect(io.stdout()).toContain(`Step Functions execution ${sfn.executionArn(WORKFLOW, 'sfn-failed')}\n`);
    expect(io.stdout()).toContain('error ENRICHMENT_REJECTED: unknown shipment\n');
  });

  it('leaves an engine instance exactly as before (no engine or step_functions field)', async () => {
    const view = await statusJson('engine-done');
    expect(Object.keys(view).sort()).toEqual(
      ['context', 'definition', 'error', 'history', 'instance_id', 'status', 'waits', 'workflow_id'].sort(),
    );
    expect(view.status).toBe('SUCCEEDED');
  });

  it('says where it looked when neither mode has the instance', async () => {
    const io = recordingIo(__dirname);
    expect(await statusCommand(['nobody'], io, statusTarget)).toBe(1);
    expect(io.stderr()).toBe(
      'no instance nobody in cch-local-dev-workflow-state-table or among the Step Functions executions\n',
    );
  });
});

describe('wf list of a mixed deployment', () => {
  it('lists both modes together, newest start first, each with its status', async () => {
    const page = await listJson([]);
    expect(page.instances.map((r) => [r.instance_id, r.status])).toEqual([
      ['sfn-waiting', 'WAITING'],
      ['sfn-stopped', 'CANCELLED'],
      ['sfn-failed', 'FAILED'],
      ['sfn-done', 'SUCCEEDED'],
      ['engine-done', 'SUCCEEDED'],
    ]);
    expect(page.next).toBeNull();
    const failed = page.instances.find((r) => r.instance_id === 'sfn-failed');
    expect(failed?.error?.code).toBe('ENRICHMENT_REJECTED');
    expect(failed?.last_step).toMatchObject({ node: 'Prepare_Import_Enrichment', status: 'FAILED' });
  });

  it('filters Step Functions executions by status as it filters the engine', async () => {
    expect((await listJson(['--status', 'WAITING'])).instances.map((r) => r.instance_id)).toEqual([
      'sfn-waiting',
    ]);
    expect((await listJson(['--status', 'RUNNING'])).instances).toEqual([]);
    expect((await listJson(['--status', 'CANCELLED,FAILED'])).instances.map((r) => r.instance_id)).toEqual([
      'sfn-stopped',
      'sfn-failed',
    ]);
    expect(
      (await listJson(['--status', 'SUCCEEDED', '--workflow', WORKFLOW])).instances.map((r) => r.instance_id),
    ).toEqual(['sfn-done', 'engine-done']);
    expect((await listJson(['--workflow', 'fanout_a_b_c_v1'])).instances).toEqual([]);
  });

  it('pages across both modes with the same token scheme: no row lost or repeated', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page = await listJson(['--limit', '2', ...(next ? ['--next', next] : [])]);
      seen.push(...page.instances.map((r) => r.instance_id));
      next = page.next;
    } while (next);
    expect(seen).toEqual(['sfn-waiting', 'sfn-stopped', 'sfn-failed', 'sfn-done', 'engine-done']);
  });
});

describe('wf describe of a Step Functions mode instance', () => {
  it('describes it from its execution, saying why there is no graph', async () => {
    const io = recordingIo(__dirname);
    expect(await describeCommand(['sfn-done', '--json'], io, { target })).toBe(0);
    const description = JSON.parse(io.stdout()) as InstanceDescription;
    expect(description).toMatchObject({ instance_id: 'sfn-done', status: 'SUCCEEDED', graph: null });
    expect(description.history.map((h) => h.node)).toEqual([
      'Prepare_Import_Enrichment',
      'Process_Import_Enrichment_Response',
      'End_Workflow',
    ]);
    expect(description.graph_error).toMatch(/not found/);
    const human = recordingIo(__dirname);
    expect(await describeCommand(['sfn-done'], human, { target })).toBe(0);
    expect(human.stdout()).toContain(
      `Step Functions execution ${sfn.executionArn(WORKFLOW, 'sfn-done')} (SUCCEEDED)\n`,
    );
  });
});

describe('wf status of a Step Functions mode parallel', () => {
  it('shows the waits with their deadlines, the fan-out in order, and a failed branch with its sibling stopped', async () => {
    const arn = sfn.executionArn(FANOUT, 'fan-1');
    await sfn.start(FANOUT, 'fan-1', { shipmentId: 'S-2' });
    await sfn.server.tasksWaiting(arn);
    const first = await statusJson('fan-1');
    expect(first.status).toBe('WAITING');
    expect(first.waits.map((w) => [w.node, w.capability_id])).toEqual([['Task_A', 'prepare#shipment']]);
    const [wait] = first.waits;
    // timeout: 15m, the task's TimeoutSeconds, from when the task was scheduled.
    expect(wait && wait.deadline && Date.parse(wait.deadline) - Date.parse(wait.since)).toBe(15 * 60_000);

    await sfn.reply('fan-1', { status: 'SUCCESS', outputs: { a_result: 'a' } }, 'Task_A');
    await sfn.server.tasksWaiting(arn, 3);
    const fanned = await statusJson('fan-1');
    expect(fanned.status).toBe('WAITING');
    expect(fanned.history.map((h) => [h.node, h.status])).toEqual([
      ['Task_A', 'SUCCEEDED'],
      ['Fan_Out', 'SUCCEEDED'],
    ]);
    expect(fanned.waits.map((w) => w.node).sort()).toEqual(['Task_B1', 'Task_B2', 'Task_B3']);

    await sfn.reply('fan-1', { status: 'SUCCESS', outputs: { b1_result: 'b1' } }, 'Task_B1');
    await sfn.reply(
      'fan-1',
      { status: 'FAILURE', error: { code: 'NO_DUTY', message: 'no rate' } },
      'Task_B2',
    );
    await sfn.server.ended(arn);
    const ended = await statusJson('fan-1');
    expect(ended.status).toBe('FAILED');
    expect(ended.waits).toEqual([]);
    expect(ended.history.map((h) => [h.node, h.status])).toEqual([
      ['Task_A', 'SUCCEEDED'],
      ['Fan_Out', 'SUCCEEDED'],
      ['Task_B1', 'SUCCEEDED'],
      ['Task_B2', 'FAILED'],
      ['Task_B3', 'CANCELLED'],
      ['Failed', 'FAILED'],
    ]);
    expect(ended.error?.code).toBe('NO_DUTY');
  });
});
