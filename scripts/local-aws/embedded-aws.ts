import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { createRequestHandler } from 'local-aws-sqs';
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

  // Every server is bound through listen() below, which turns a failed bind (a busy port, two services
  // given the same one) into a rejection: the packages' own start functions leave the server's 'error'
  // event unhandled, which crashes the process with a stack trace instead of `local: listen EADDRINUSE ...`.
  // Whatever was bound before the failure is closed again, so a failed start leaves no port open.
  const started: Server[] = [];
  const s3Dir = mkdtempSync(join(tmpdir(), 'cch-s3rver-'));
  try {
    const dynamoServer: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await listen(dynamoServer, ports.dynamodb, host);
    started.push(dynamoServer);

    // What createSqsServer does, with the bind's error handled.
    const sqs = createRequestHandler({
      port: ports.sqs,
      hostname: host,
      emulateQueueCreationLifecycle: false,
    });
    const sqsServer = createServer((request, response) => void sqs.requestHandler(request, response));
    await listen(sqsServer, ports.sqs, host);
    started.push(sqsServer);
    // Queue URLs name the service's port: the one bound, not 0.
    sqs.service.PORT = boundPort(sqsServer);

    const s3 = new S3rver({
      port: ports.s3,
      address: host,
      silent: true,
      directory: s3Dir,
      resetOnClose: true,
    });
    // What s3.run() does (it has no buckets to configure), with the bind's error handled. The server
    // s3rver creates closes its logger and resets its store when it closes.
    const s3Server = s3.listen(ports.s3, host, () => undefined);
    await listening(s3Server);
    started.push(s3Server);

    return embeddedAws({ dynamodb: dynamoServer, sqs: sqsServer, s3: s3Server }, host, s3Dir);
  } catch (error) {
    await Promise.all(started.map(closeServer));
    rmSync(s3Dir, { recursive: true, force: true });
    throw error;
  }
}

function embeddedAws(
  servers: { readonly dynamodb: Server; readonly sqs: Server; readonly s3: Server },
  host: string,
  s3Dir: string,
): EmbeddedAws {
  const bound = {
    dynamodb: boundPort(servers.dynamodb),
    sqs: boundPort(servers.sqs),
    s3: boundPort(servers.s3),
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
      await closeServer(servers.s3);
      rmSync(s3Dir, { recursive: true, force: true });
      for (const server of [servers.dynamodb, servers.sqs]) await closeServer(server);
    },
  };
}

/** Binds `server`; a failed bind rejects instead of reaching the server's 'error' event unhandled. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Waits for a server whose listen() has already been called. */
function listening(server: Server): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError).once('listening', onListening);
  });
}

function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
