import { mixedTarget } from '../../orchestrator/test/support/mixed-target';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../orchestrator/test/support/instance-index-fixtures';
import { startHeldExecution } from '../../orchestrator/test/support/held-execution';
import { openInstanceQueries, type OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from '../../orchestrator/src/step-functions/testing/step-functions-deployment';
import { startConsoleServer, type ConsoleServer } from '../src/console-server';
import { statusCounts } from '../src/status-counts';

/**
 * The console's counts per status of a mixed deployment: the engine's instances (embedded DynamoDB) and
 * Step Functions mode's executions (embedded Step Functions endpoint, started, answered and stopped by
 * the real bridges) counted together through the one query layer.
 */
jest.setTimeout(60_000);

const WORKFLOW = 'import_vn_memphis_v1';
const STAGE = { env: 'local', owner: 'dev' } as const;
const CONTEXT = { shipmentId: 'S-1', originCountry: 'VN', destinationCountry: 'US' };

let table: IndexedTable;
let sfn: StepFunctionsDeployment;
let server: ConsoleServer;
let target: OperatorTarget;

beforeAll(async () => {
  table = await startIndexedTable('cch-local-dev-workflow-state-table');
  sfn = await startStepFunctionsDeployment(STAGE, [`${WORKFLOW}.yaml`]);
  const at = (minute: number) => `2020-01-01T00:0${minute}:00.000Z`;
  await saveAll(table.store(), [
    statusRecord('engine-running', { created_at: at(1), updated_at: at(1), status: 'RUNNING' }),
    statusRecord('engine-waiting', { created_at: at(2), updated_at: at(2), status: 'WAITING' }),
    statusRecord('engine-done', { created_at: at(3), updated_at: at(3), status: 'SUCCEEDED' }),
    statusRecord('engine-failed', { created_at: at(4), updated_at: at(4), status: 'FAILED' }),
  ]);
  // Two WAITING on their requests, one answered, one failed, one stopped.
  for (const id of ['sfn-wait-1', 'sfn-wait-2', 'sfn-done', 'sfn-failed', 'sfn-stopped']) {
    await sfn.start(WORKFLOW, id, CONTEXT);
    await sfn.server.tasksWaiting(sfn.executionArn(WORKFLOW, id));
  }
  await sfn.reply('sfn-done', { status: 'SUCCESS', outputs: { import_enrichment_uri: 's3://b/k' } });
  await sfn.reply('sfn-failed', { status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } });
  await sfn.cancel('sfn-stopped', 'operator says so');
  for (const id of ['sfn-done', 'sfn-failed', 'sfn-stopped']) {
    await sfn.server.ended(sfn.executionArn(WORKFLOW, id));
  }
  // RUNNING in a Wait state (no task open), on a state machine of its own.
  await startHeldExecution(sfn.sfnConfig, STAGE, 'held_v1', 'sfn-held');
  target = mixedTarget(table, sfn, STAGE);
  server = await startConsoleServer(target, 0);
});

afterAll(async () => {
  await server?.close();
  await sfn?.stop();
  await table?.stop();
});

/** The counts the instances page shows, as its text: `{ RUNNING: '2', ... }`. */
async function pageCounts(query = ''): Promise<Record<string, string>> {
  const response = await fetch(`${server.url}/${query}`);
  expect(response.status).toBe(200);
  const body = await response.text();
  return Object.fromEntries(
    [...body.matchAll(/data-count="([A-Z]+)">([^<]*)</g)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

describe("the console's counts per status of a mixed deployment", () => {
  it('counts the engine instances and the executions together, a RUNNING execution by its record', async () => {
    expect(await pageCounts()).toEqual({
      RUNNING: '2', // engine-running, sfn-held
      WAITING: '3', // engine-waiting, sfn-wait-1, sfn-wait-2
      SUCCEEDED: '2',
      FAILED: '2',
      CANCELLED: '1',
    });
  });

  it("counts a workflow's executions only when the page filters by workflow", async () => {
    expect(await pageCounts('?workflow=held_v1')).toEqual({
      RUNNING: '1',
      WAITING: '0',
      SUCCEEDED: '0',
      FAILED: '0',
      CANCELLED: '0',
    });
  });

  it('reads one page of RUNNING executions at most, and says "at least" past it', async () => {
    const queries = openInstanceQueries(target);
    try {
      // Two of the three RUNNING executions are read: RUNNING and WAITING are lower bounds.
      const counts = await statusCounts(queries.port, {}, 2);
      const of = (status: string) => counts.find((c) => c.status === status);
      expect(of('RUNNING')?.more).toBe(true);
      expect(of('WAITING')?.more).toBe(true);
      // The engine's one RUNNING and one WAITING, and the two newest executions (sfn-held, sfn-wait-2).
      expect((of('RUNNING')?.count ?? 0) + (of('WAITING')?.count ?? 0)).toBe(4);
      expect(of('RUNNING')?.count).toBe(2);
      expect(of('CANCELLED')).toEqual({ status: 'CANCELLED', count: 1, more: false });
    } finally {
      queries.close();
    }
  });
});
