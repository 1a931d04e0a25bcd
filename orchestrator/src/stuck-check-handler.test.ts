import { resourceNames } from './naming/resource-names';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from './step-functions/testing/step-functions-deployment';
import { handler } from './stuck-check-handler';
import { startHeldExecution } from '../test/support/held-execution';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../test/support/instance-index-fixtures';

jest.setTimeout(60_000);

const STAGE = { env: 'test', owner: 'stuck' };
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let t: IndexedTable;
let sfn: StepFunctionsDeployment;
const saved = { ...process.env };

beforeAll(async () => {
  t = await startIndexedTable(resourceNames(STAGE).stateTable);
  await saveAll(t.store(), [
    statusRecord('overdue', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [
        { request_id: 'r', node: 'A', capability_id: 'x#y', since: ago(3 * HOUR), deadline: ago(HOUR) },
      ],
    }),
    statusRecord('fine', { created_at: ago(60_000), updated_at: ago(60_000), status: 'RUNNING' }),
  ]);
  // The Lambda's own configuration: the stage, and the SDK's endpoint and credentials from the environment.
  Object.assign(process.env, {
    CCH_ENV: STAGE.env,
    CCH_OWNER: STAGE.owner,
    AWS_ENDPOINT_URL_DYNAMODB: t.aws.clientConfig.dynamodb.endpoint as string,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOG_LEVEL: 'silent',
  });
});
afterAll(async () => {
  process.env = saved;
  await sfn?.stop();
  await t.stop();
});

/** Runs the handler with stdout captured: its result, and the ids of the instances it logged as stuck. */
async function runCapturingStdout() {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = await handler({}, { getRemainingTimeInMillis: () => 60_000 });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const stuck = logged.filter((l) => l.msg === 'instance stuck').map((l) => l.instance_id);
    return { result, stuck, emf: logged.find((l) => '_aws' in l) };
  } finally {
    write.mockRestore();
  }
}

it('the Lambda counts on the stage its environment names and writes the gauges as an EMF line', async () => {
  const { result, emf } = await runCapturingStdout();
  expect(result).toEqual({ waitsOverdue: 1, instancesStuck: 1, complete: true });
  expect(emf).toMatchObject({ env: 'test', owner: 'stuck', WaitsOverdue: 1, InstancesStuck: 1 });
});

it('refuses to run without its stage or with a malformed grace', async () => {
  process.env.CCH_STUCK_AFTER_SECONDS = 'soon';
  await expect(handler({})).rejects.toThrow('CCH_STUCK_AFTER_SECONDS=soon');
  delete process.env.CCH_STUCK_AFTER_SECONDS;
  delete process.env.CCH_OWNER;
  await expect(handler({})).rejects.toThrow('CCH_ENV and CCH_OWNER must be set');
});

it('with CCH_STEP_FUNCTIONS=on it judges Step Functions mode executions too, so their alarms see them', async () => {
  sfn = await startStepFunctionsDeployment(STAGE, []);
  // RUNNING in an hour's Wait state: no task open and no event after it, so NO_PROGRESS past the grace.
  await startHeldExecution(sfn.sfnConfig, STAGE, 'held_v1', 'sfn-held');
  Object.assign(process.env, {
    CCH_ENV: STAGE.env,
    CCH_OWNER: STAGE.owner,
    CCH_STUCK_AFTER_SECONDS: '1',
    AWS_ENDPOINT_URL_SFN: sfn.sfnConfig.endpoint as string,
    LOG_LEVEL: 'warn',
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));

  delete process.env.CCH_STEP_FUNCTIONS;
  const engineOnly = await runCapturingStdout();
  expect(engineOnly.stuck).not.toContain('sfn-held');

  process.env.CCH_STEP_FUNCTIONS = 'on';
  const both = await runCapturingStdout();
  expect(both.stuck).toEqual(expect.arrayContaining([...engineOnly.stuck, 'sfn-held']));
  expect(both.result).toEqual({
    waitsOverdue: engineOnly.result.waitsOverdue,
    instancesStuck: engineOnly.result.instancesStuck + 1,
    complete: true,
  });
  expect(both.emf).toMatchObject({ InstancesStuck: engineOnly.result.instancesStuck + 1 });
});
