import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An in-process dynalite (in-memory DynamoDB) on a random free port. */
export interface DynaliteServer {
  readonly endpoint: string;
  /** A real SDK client pointed at this server (region us-east-1, dummy credentials). */
  createClient(config?: Partial<DynamoDBClientConfig>): DynamoDBClient;
  /** Destroys every client it created, then stops the server. */
  close(): Promise<void>;
}

export async function startDynalite(): Promise<DynaliteServer> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    createClient(config = {}) {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
        ...config,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients.splice(0)) client.destroy();
      // Keep-alive sockets would hold dynalite's graceful close open for its 30 s timeout.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
