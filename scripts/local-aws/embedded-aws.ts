import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';

export const LOCAL_REGION = 'us-east-1';

/** Fixed default ports, so `pnpm local` prints endpoints a user can paste; 0 picks free ports (tests). */
export const DEFAULT_PORTS = { dynamodb: 4567, sqs: 9324, s3: 4569 } as const;

export interface EmbeddedAwsOptions {
  readonly ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  readonly host?: string;
}

export interface EmbeddedAws {
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly s3: string };
  /** SDK client settings that reach the embedded servers; s3rver wants its own credentials and path-style. */
  readonly clientConfig: {
    readonly dynamodb: DynamoDBClientConfig;
    readonly sqs: SQSClientConfig;
    readonly s3: S3ClientConfig;
  };
  stop(): Promise<void>;
}

/**
 * DynamoDB (dynalite), SQS (local-aws-sqs) and S3 (s3rver) as real wire-protocol servers in this process,
 * reached by the real AWS SDK v3 clients through endpoint configuration only.
 */
export async function startEmbeddedAws(options: EmbeddedAwsOptions = {}): Promise<EmbeddedAws> {
  const host = options.host ?? '127.0.0.1';
  const ports = { ...DEFAULT_PORTS, ...options.ports };

  const dynamoServer: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(dynamoServer, ports.dynamodb, host);

  const sqsServer: Server = await createSqsServer({
    port: ports.sqs,
    hostname: host,
    emulateQueueCreationLifecycle: false,
  });
  const sqsPort = await boundPort(sqsServer);

  const s3Dir = mkdtempSync(join(tmpdir(), 'cch-s3rver-'));
  const s3 = new S3rver({ port: ports.s3, address: host, silent: true, directory: s3Dir, resetOnClose: true });
  const s3Address = (await s3.run()) as AddressInfo;

  const endpoints = {
    dynamodb: `http://${host}:${(dynamoServer.address() as AddressInfo).port}`,
    sqs: `http://${host}:${sqsPort}`,
    s3: `http://${host}:${s3Address.port}`,
  };
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return {
    endpoints,
    clientConfig: {
      dynamodb: { region: LOCAL_REGION, endpoint: endpoints.dynamodb, credentials },
      sqs: { region: LOCAL_REGION, endpoint: endpoints.sqs, credentials },
      s3: {
        region: LOCAL_REGION,
        endpoint: endpoints.s3,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      },
    },
    async stop() {
      await s3.close();
      rmSync(s3Dir, { recursive: true, force: true });
      for (const server of [dynamoServer, sqsServer]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

async function boundPort(server: Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return (server.address() as AddressInfo).port;
}
