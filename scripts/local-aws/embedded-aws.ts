import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';

import {
  DEFAULT_LOCAL_PORTS,
  localClientConfig,
  type LocalClientConfig,
} from '../../orchestrator/src/naming/local-endpoints';

export interface EmbeddedAwsOptions {
  /** Ports to listen on; 0 picks a free one (tests). Default: DEFAULT_LOCAL_PORTS. */
  readonly ports?: Partial<Record<keyof typeof DEFAULT_LOCAL_PORTS, number>>;
  readonly host?: string;
}

export interface EmbeddedAws {
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly s3: string };
  readonly clientConfig: LocalClientConfig;
  stop(): Promise<void>;
}

/**
 * DynamoDB (dynalite), SQS (local-aws-sqs) and S3 (s3rver) as real wire-protocol servers in this process,
 * reached by the real AWS SDK v3 clients through endpoint configuration only.
 */
export async function startEmbeddedAws(options: EmbeddedAwsOptions = {}): Promise<EmbeddedAws> {
  const host = options.host ?? '127.0.0.1';
  const ports = { ...DEFAULT_LOCAL_PORTS, ...options.ports };

  const dynamoServer: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(dynamoServer, ports.dynamodb, host);

  const sqsServer: Server = await createSqsServer({
    port: ports.sqs,
    hostname: host,
    emulateQueueCreationLifecycle: false,
  });
  const sqsPort = await boundPort(sqsServer);

  const s3Dir = mkdtempSync(join(tmpdir(), 'cch-s3rver-'));
  const s3 = new S3rver({
    port: ports.s3,
    address: host,
    silent: true,
    directory: s3Dir,
    resetOnClose: true,
  });
  const s3Address = await s3.run();

  const bound = {
    dynamodb: (dynamoServer.address() as AddressInfo).port,
    sqs: sqsPort,
    s3: s3Address.port,
  };
  const clientConfig = localClientConfig(bound, host);
  return {
    endpoints: {
      dynamodb: clientConfig.dynamodb.endpoint as string,
      sqs: clientConfig.sqs.endpoint as string,
      s3: clientConfig.s3.endpoint as string,
    },
    clientConfig,
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
