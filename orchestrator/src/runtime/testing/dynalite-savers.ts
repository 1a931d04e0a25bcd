import { createCheckpointTable, DynamoDBSaver } from '../../checkpoint';
import { startDynalite, type DynaliteServer } from '../../../test/support/dynalite-server';

/**
 * A guarantees suite on the real checkpointer over DynamoDB's wire protocol (dynalite): one server per
 * test file, a fresh table per simulation, so instance ids repeat across tests without sharing state.
 * Call at the top of a test file; the factory it returns names tables `<prefix>-<n>`.
 */
export function dynaliteSavers(): (prefix: string) => () => Promise<DynamoDBSaver> {
  let server: DynaliteServer;
  let tables = 0;
  beforeAll(async () => {
    server = await startDynalite();
  });
  afterAll(async () => {
    await server.close();
  });
  return (prefix) => async () => {
    const client = server.createClient();
    const tableName = `${prefix}-${++tables}`;
    await createCheckpointTable(client, tableName);
    return new DynamoDBSaver({ client, tableName });
  };
}
