import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { createCheckpointTable } from './create-checkpoint-table';
import { itemSizeBytes, writeUnits, type Item } from './item-size';

let server: DynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
  await createCheckpointTable(client, 'item-size');
});

afterAll(async () => {
  await server.close();
});

const item = (sk: string, extra: Item): Item => ({ PK: { S: 'p' }, SK: { S: sk }, ...extra });

describe('itemSizeBytes and writeUnits', () => {
  it('count names and values the way DynamoDB bills them (checked against dynalite consumed capacity)', async () => {
    const cases: Item[] = [
      item('small', { a: { S: 'x' } }),
      item('just-under-1kb', { data: { S: 'y'.repeat(1024 - 'PKpSKjust-under-1kbdata'.length) } }),
      item('just-over-1kb', { data: { S: 'y'.repeat(1025 - 'PKpSKjust-over-1kbdata'.length) } }),
      item('binary', { d: { B: new Uint8Array(5000) } }),
      item('nested', {
        m: {
          M: {
            k1: { S: 'v'.repeat(700) },
            k2: { L: [{ S: 'a' }, { B: new Uint8Array(900) }, { N: '12345' }] },
          },
        },
        n: { N: '1234' },
        b: { BOOL: true },
        z: { NULL: true },
      }),
      item('large', { d: { B: new Uint8Array(350 * 1024) } }),
    ];
    for (const entry of cases) {
      const response = await client.send(
        new PutItemCommand({ TableName: 'item-size', Item: entry, ReturnConsumedCapacity: 'TOTAL' }),
      );
      expect({ sk: entry.SK?.S, units: writeUnits(entry) }).toEqual({
        sk: entry.SK?.S,
        units: response.ConsumedCapacity?.CapacityUnits,
      });
    }
    expect(itemSizeBytes(item('', {}))).toBe('PKpSK'.length);
    expect(itemSizeBytes({ s: { S: 'é€😀' } })).toBe(1 + 2 + 3 + 4);
  });
});
