import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { validate } from '@langchain/langgraph-checkpoint-validation';
import { createCheckpointTable } from '../../src/checkpoint/create-checkpoint-table';
import { DynamoDBSaver } from '../../src/checkpoint/dynamodb-saver';
import { startDynalite, type DynaliteServer } from '../support/dynalite-server';

/*
 * LangGraph's official checkpointer conformance suite, in full, against dynalite. Each checkpointer the
 * suite creates gets a fresh table, dropped again when the suite destroys it, so no test sees another's data.
 */

let server: DynaliteServer | undefined;
let client: DynamoDBClient | undefined;
const tables = new WeakMap<DynamoDBSaver, string>();
let tableCount = 0;

validate<DynamoDBSaver>({
  checkpointerName: 'DynamoDBSaver',
  async beforeAll() {
    server = await startDynalite();
    client = server.createClient();
  },
  async afterAll() {
    await server?.close();
  },
  async createCheckpointer() {
    if (client === undefined) throw new Error('dynalite is not running');
    tableCount += 1;
    const tableName = `conformance-${tableCount}`;
    await createCheckpointTable(client, tableName);
    const saver = new DynamoDBSaver({ client, tableName });
    tables.set(saver, tableName);
    return saver;
  },
  async destroyCheckpointer(saver) {
    const tableName = tables.get(saver);
    if (client !== undefined && tableName !== undefined) {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
    }
  },
});
