import { createCheckpointTable, DynamoDBSaver } from '../checkpoint';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';

// The redrive forks a checkpoint: the same guarantees on the real checkpointer over dynalite, a fresh
// table per simulation.
jest.setTimeout(120_000);

let server: DynaliteServer;
let tables = 0;

beforeAll(async () => {
  server = await startDynalite();
});

afterAll(async () => {
  await server.close();
});

describeRedriveGuarantees('DynamoDBSaver over dynalite', async () => {
  const client = server.createClient();
  const tableName = `redrive-${++tables}`;
  await createCheckpointTable(client, tableName);
  return new DynamoDBSaver({ client, tableName });
});
