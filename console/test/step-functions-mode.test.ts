import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../orchestrator/test/support/instance-index-fixtures';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from '../../orchestrator/src/step-functions/testing/step-functions-deployment';
import { startConsoleServer, type ConsoleServer } from '../src/console-server';

/**
 * The console of a mixed deployment lists and shows Step Functions mode's instances beside the engine's:
 * executions on the embedded Step Functions endpoint (started and answered by the real bridges), engine
 * records in the embedded DynamoDB, read through the one query layer the `wf` commands use.
 */
jest.setTimeout(60_000);

const WORKFLOW = 'import_vn_memphis_v1';
const STAGE = { env: 'local', owner: 'dev' } as const;

let table: IndexedTable;
let sfn: StepFunctionsDeployment;
let server: ConsoleServer;

beforeAll(async () => {
  table = await startIndexedTable('cch-local-dev-workflow-state-table');
  sfn = await startStepFunctionsDeployment(STAGE, [`${WORKFLOW}.yaml`]);
  await saveAll(table.store(), [
    statusRecord('engine-one', {
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2020-01-01T00:01:00.000Z',
      status: 'SUCCEEDED',
    }),
  ]);
  const context = { shipmentId: 'S-1', originCountry: 'VN', destinationCountry: 'US' };
  for (const id of ['sfn-waits', 'sfn-fails']) {
    await sfn.start(WORKFLOW, id, context);
    await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, id));
  }
  await sfn.reply('sfn-fails', {
    status: 'FAILURE',
    error: { code: 'REJECTED', message: 'no such shipment' },
  });
  await sfn.server.ended(sfn.executionArn(WORKFLOW, 'sfn-fails'));
  server = await startConsoleServer(
    {
      stage: STAGE,
      clients: {
        dynamodb: table.aws.clientConfig.dynamodb,
        sqs: {},
        s3: table.aws.clientConfig.s3,
        sfn: sfn.sfnConfig,
      },
    },
    0,
  );
});

afterAll(async () => {
  await server?.close();
  await sfn?.stop();
  await table?.stop();
});

async function page(path: string): Promise<string> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The instance ids of the instances table, in the order shown. */
const listedIds = (body: string): string[] =>
  [...body.matchAll(/href="\/instances\/([^"?]+)"/g)].map((m) => decodeURIComponent(m[1] ?? ''));

describe('the console of a deployment with Step Functions mode', () => {
  it('lists the executions with the engine instances, newest first, filtered by status', async () => {
    expect(listedIds(await page('/'))).toEqual(['sfn-fails', 'sfn-waits', 'engine-one']);
    expect(listedIds(await page('/?status=WAITING'))).toEqual(['sfn-waits']);
    expect(listedIds(await page('/?status=FAILED'))).toEqual(['sfn-fails']);
  });

  it("shows an execution's page: its status, its execution, its error and its timeline", async () => {
    const failed = await page('/instances/sfn-fails');
    expect(failed).toContain('id="instance-status">FAILED<');
    expect(failed).toContain(`execution ${sfn.executionArn(WORKFLOW, 'sfn-fails')}`);
    expect(failed).toContain('REJECTED');
    expect(failed).toContain('Prepare_Import_Enrichment');
    const waiting = await page('/instances/sfn-waits');
    expect(waiting).toContain('id="instance-status">WAITING<');
    expect(waiting).toContain('import#enrichment');
  });
});
