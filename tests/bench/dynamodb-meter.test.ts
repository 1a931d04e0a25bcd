import { BatchWriteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../../orchestrator/src/aws/create-state-table';
import { startDynalite, type DynaliteServer } from '../../orchestrator/test/support/dynalite-server';
import { dynamoDbDelta, meterDynamoDb } from '../../scripts/bench/cost/dynamodb-meter';

const TABLE = 'meter-test';
let server: DynaliteServer;

beforeAll(async () => {
  server = await startDynalite();
  await createStateTable(server.createClient(), TABLE);
});
afterAll(async () => {
  await server.close();
});

const item = (sk: string, padding = 0): Record<string, AttributeValue> => ({
  PK: { S: 'INSTANCE#i' },
  SK: { S: sk },
  resolution: { S: 'SUCCESS' },
  ...(padding > 0 ? { entries: { S: 'x'.repeat(padding) } } : {}),
});

describe('meterDynamoDb, resolution items', () => {
  it('reads the write units of each R# item a batch wrote, which add up to what DynamoDB billed the batch', async () => {
    const client = server.createClient();
    const meter = meterDynamoDb(client);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item('R#i:Task_A:1:a') }));
    const before = meter.usage();
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: item('R#i:B_001:1:b', 1500) } },
            { PutRequest: { Item: item('R#i:B_002:1:c') } },
            { PutRequest: { Item: item('H#0000000004') } },
          ],
        },
      }),
    );
    const window = dynamoDbDelta(meter.usage(), before);

    expect(meter.usage().resolutionItemUnits['i:Task_A:1:a']).toBe(1);
    expect(window.resolutionItemUnits).toEqual({ 'i:B_001:1:b': 2, 'i:B_002:1:c': 1 });
    // DynamoDB billed the batch 4: the two R# items (2 + 1) and the H# item (1).
    expect(window.wcu).toBe(4);
  });
});
