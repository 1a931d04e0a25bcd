import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEmbeddedAws } from '../../scripts/local-aws/embedded-aws';

jest.setTimeout(15_000);

/** A port held by another server for the duration of a test: what `pnpm local` finds busy. */
async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port free now: bound and released. */
async function freePort(): Promise<number> {
  const { port, server } = await occupyPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectFreeAgain(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('startEmbeddedAws on a busy port', () => {
  let busy: { port: number; server: Server };
  beforeEach(async () => {
    busy = await occupyPort();
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => busy.server.close(() => resolve()));
  });

  it.each(['sqs', 's3'] as const)(
    'rejects with EADDRINUSE when the %s port is busy, and releases the ports it had bound',
    async (service) => {
      const dynamodb = await freePort();
      const ports = { dynamodb, sqs: 0, s3: 0, [service]: busy.port };
      await expect(startEmbeddedAws({ ports })).rejects.toThrow(
        `listen EADDRINUSE: address already in use 127.0.0.1:${busy.port}`,
      );
      await expectFreeAgain(dynamodb);
    },
  );

  it('rejects when two services are given the same port', async () => {
    const port = await freePort();
    await expect(startEmbeddedAws({ ports: { dynamodb: port, sqs: port, s3: 0 } })).rejects.toThrow(
      `listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    );
    await expectFreeAgain(port);
  });
});

it('still serves SQS with queue URLs naming the port bound when started on port 0', async () => {
  const aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  const sqs = new SQSClient(aws.clientConfig.sqs);
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'port-check' }));
    const port = new URL(aws.endpoints.sqs).port;
    expect(port).not.toBe('0');
    expect(new URL(QueueUrl ?? '').port).toBe(port);
  } finally {
    sqs.destroy();
    await aws.stop();
  }
});
