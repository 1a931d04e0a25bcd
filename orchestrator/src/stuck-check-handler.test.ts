import { resourceNames } from './naming/resource-names';
import { handler } from './stuck-check-handler';
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
  await t.stop();
});

it('the Lambda counts on the stage its environment names and writes the gauges as an EMF line', async () => {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = await handler({}, { getRemainingTimeInMillis: () => 60_000 });
    expect(result).toEqual({ waitsOverdue: 1, instancesStuck: 1, complete: true });
  } finally {
    write.mockRestore();
  }
  const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => '_aws' in l);
  expect(emf).toMatchObject({ env: 'test', owner: 'stuck', WaitsOverdue: 1, InstancesStuck: 1 });
});

it('refuses to run without its stage or with a malformed grace', async () => {
  process.env.CCH_STUCK_AFTER_SECONDS = 'soon';
  await expect(handler({})).rejects.toThrow('CCH_STUCK_AFTER_SECONDS=soon');
  delete process.env.CCH_STUCK_AFTER_SECONDS;
  delete process.env.CCH_OWNER;
  await expect(handler({})).rejects.toThrow('CCH_ENV and CCH_OWNER must be set');
});
