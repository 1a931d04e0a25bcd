import { DynamoDBSaver } from '../checkpoint';
import { createCheckpointTable } from '../checkpoint';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { describeFencingGuarantees } from './testing/fencing-guarantees.suite';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';
import { describeSharedEndGuarantees } from './testing/shared-end-guarantees.suite';

// The same guarantees (the redrive's too: it forks a checkpoint), on the real checkpointer over DynamoDB's wire protocol (dynalite): a fresh table
// per simulation, so instance ids repeat across tests without sharing state.
jest.setTimeout(120_000);

let server: DynaliteServer;
let tables = 0;

beforeAll(async () => {
  server = await startDynalite();
});

afterAll(async () => {
  await server.close();
});

describeExecutionGuarantees('DynamoDBSaver over dynalite', async () => {
  const client = server.createClient();
  const tableName = `guarantees-${++tables}`;
  await createCheckpointTable(client, tableName);
  return new DynamoDBSaver({ client, tableName });
});

describeFencingGuarantees('DynamoDBSaver over dynalite', async () => {
  const client = server.createClient();
  const tableName = `fencing-${++tables}`;
  await createCheckpointTable(client, tableName);
  return new DynamoDBSaver({ client, tableName });
});

describeRedriveGuarantees('DynamoDBSaver over dynalite', async () => {
  const client = server.createClient();
  const tableName = `redrive-${++tables}`;
  await createCheckpointTable(client, tableName);
  return new DynamoDBSaver({ client, tableName });
});

describeSharedEndGuarantees('DynamoDBSaver over dynalite', async () => {
  const client = server.createClient();
  const tableName = `shared-end-${++tables}`;
  await createCheckpointTable(client, tableName);
  return new DynamoDBSaver({ client, tableName });
});
