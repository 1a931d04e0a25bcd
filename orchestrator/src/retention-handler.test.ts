import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type DynaliteServer } from '../test/support/dynalite-server';
import { itemsOf, plantInstance, statusRemoval } from '../test/support/retention-fixtures';
import { instanceKey } from './aws/dynamodb-instance-store';
import { createCheckpointTable } from './checkpoint';
import { resourceNames } from './naming/resource-names';
import { handler } from './retention-handler';

jest.setTimeout(20_000);

const STAGE = { env: 'test', owner: 'retention' };
const TABLE = resourceNames(STAGE).stateTable;
const ENV_KEYS = [
  'CCH_ENV',
  'CCH_OWNER',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'LOG_LEVEL',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

let server: DynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
  await createCheckpointTable(client, TABLE);
  // As the Lambda gets them (read on the first call): the stage names the table; the SDK finds the endpoint
  // and credentials itself.
  Object.assign(process.env, {
    CCH_ENV: STAGE.env,
    CCH_OWNER: STAGE.owner,
    AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  await server.close();
});

async function expire(instanceId: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: TABLE, Key: instanceKey(instanceId) }));
}

describe('retention handler', () => {
  it('purges the instances of a stream batch in the table CCH_ENV/CCH_OWNER name, keeping live ones', async () => {
    await plantInstance(client, TABLE, 'h-gone', { status: 'SUCCEEDED', ttl: 1 });
    await plantInstance(client, TABLE, 'h-live', { status: 'WAITING' });
    const live = await itemsOf(client, TABLE, 'h-live');
    await expire('h-gone');

    const response = await handler({
      Records: [
        { ...statusRemoval('h-live', 'user', '1'), eventName: 'MODIFY' },
        statusRemoval('h-gone', 'ttl', '2'),
        statusRemoval('h-live', 'user', '3'),
      ],
    });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await itemsOf(client, TABLE, 'h-gone')).toEqual([]);
    expect(await itemsOf(client, TABLE, 'h-live')).toEqual(live);
  });

  it('purges instances an operator names, under the same rule', async () => {
    await plantInstance(client, TABLE, 'm-gone', { status: 'FAILED', ttl: 1 });
    await plantInstance(client, TABLE, 'm-live', { status: 'RUNNING' });
    await expire('m-gone');

    expect(await handler({ instance_ids: ['m-gone', 'm-live'] })).toEqual({
      outcomes: [
        { kind: 'purged', instanceId: 'm-gone' },
        { kind: 'live', instanceId: 'm-live' },
      ],
    });
    expect(await itemsOf(client, TABLE, 'm-gone')).toEqual([]);
    expect((await itemsOf(client, TABLE, 'm-live')).length).toBeGreaterThan(1);
  });

  it('refuses any other event', async () => {
    await expect(handler({ instance_ids: [''] })).rejects.toThrow(/instance_ids/);
    await expect(handler({} as never)).rejects.toThrow(/DynamoDB stream event/);
  });
});
