import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { instanceKey } from '../../orchestrator/src/aws/dynamodb-instance-store';
import { createCheckpointTable } from '../../orchestrator/src/checkpoint';
import { FakeClock } from '../../orchestrator/src/runtime/memory/fake-clock';
import type { Logger } from '../../orchestrator/src/runtime/ports';
import { startDynalite, type DynaliteServer } from '../../orchestrator/test/support/dynalite-server';
import { itemsOf, plantInstance } from '../../orchestrator/test/support/retention-fixtures';
import { injectWriteFaults } from '../../orchestrator/test/support/write-fault-injector';
import { LocalRetentionSweeper } from '../../scripts/local-aws/local-retention-sweeper';

jest.setTimeout(20_000);

const NOW = '2026-03-01T00:00:00.000Z';
const nowSeconds = Date.parse(NOW) / 1000;

let server: DynaliteServer;
let tables = 0;

beforeAll(async () => {
  server = await startDynalite();
});

afterAll(async () => {
  await server.close();
});

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** A fresh table and a sweeper on it, with the clock at NOW. */
async function setup(client: DynamoDBClient = server.createClient(), intervalMs?: number) {
  const tableName = `sweeper-test-${++tables}`;
  await createCheckpointTable(server.createClient(), tableName);
  const sweeper = new LocalRetentionSweeper({
    client,
    tableName,
    logger: silent,
    clock: new FakeClock(NOW),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
  return { client, tableName, sweeper };
}

describe('LocalRetentionSweeper', () => {
  it('removes an expired terminal instance whole and leaves live and unexpired ones untouched', async () => {
    const { client, tableName, sweeper } = await setup();
    await plantInstance(client, tableName, 'done', { status: 'SUCCEEDED', ttl: nowSeconds - 10 });
    await plantInstance(client, tableName, 'live', { status: 'WAITING' });
    await plantInstance(client, tableName, 'recent', { status: 'FAILED', ttl: nowSeconds + 3600 });
    expect((await itemsOf(client, tableName, 'done')).length).toBeGreaterThan(3);
    const live = await itemsOf(client, tableName, 'live');
    const recent = await itemsOf(client, tableName, 'recent');

    expect(await sweeper.sweep()).toEqual({ expired: ['done'], purged: ['done'], failed: [] });

    expect(await itemsOf(client, tableName, 'done')).toEqual([]);
    expect(await itemsOf(client, tableName, 'live')).toEqual(live);
    expect(await itemsOf(client, tableName, 'recent')).toEqual(recent);
    // A second sweep finds nothing more to do.
    expect(await sweeper.sweep()).toEqual({ expired: [], purged: [], failed: [] });
  });

  it('keeps a record whose ttl changed after the scan saw it expired', async () => {
    const client = server.createClient();
    const { tableName, sweeper } = await setup(client);
    let rewriteAfterScan = false;
    // Between the sweep's scan and its delete, the record is written again with a later ttl.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (rewriteAfterScan && context.commandName === 'ScanCommand') {
          rewriteAfterScan = false;
          await server.createClient().send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: instanceKey('rewritten'),
              UpdateExpression: 'SET #ttl = :later',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':later': { N: String(nowSeconds + 3600) } },
            }),
          );
        }
        return result;
      },
      { step: 'initialize' },
    );
    await plantInstance(client, tableName, 'rewritten', { status: 'SUCCEEDED', ttl: nowSeconds - 10 });
    const before = await itemsOf(client, tableName, 'rewritten');

    rewriteAfterScan = true;
    expect(await sweeper.sweep()).toEqual({ expired: [], purged: [], failed: [] });
    expect(rewriteAfterScan).toBe(false);

    const after = await itemsOf(client, tableName, 'rewritten');
    expect(after.length).toBe(before.length);
    expect(after.find((item) => item.SK?.S === 'STATUS')?.ttl).toEqual({ N: String(nowSeconds + 3600) });
  });

  it('finishes a purge that failed half-way on the next sweep', async () => {
    const client = server.createClient();
    const faults = injectWriteFaults(client);
    const { tableName, sweeper } = await setup(client);
    await plantInstance(client, tableName, 'done', { status: 'CANCELLED', ttl: nowSeconds - 10 });
    await plantInstance(client, tableName, 'live', { status: 'RUNNING' });
    const live = await itemsOf(client, tableName, 'live');
    // The record's delete and two checkpoint deletes go through, then DynamoDB "fails".
    faults.crashAfter(3);

    expect(await sweeper.sweep()).toEqual({ expired: ['done'], purged: [], failed: ['done'] });
    const left = await itemsOf(client, tableName, 'done');
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((item) => item.SK?.S === 'STATUS')).toBe(false);

    faults.crashAfter(undefined);
    expect(await sweeper.sweep()).toEqual({ expired: [], purged: ['done'], failed: [] });
    expect(await itemsOf(client, tableName, 'done')).toEqual([]);
    expect(await itemsOf(client, tableName, 'live')).toEqual(live);
  });

  it('sweeps every interval between start() and stop()', async () => {
    const { client, tableName, sweeper } = await setup(undefined, 20);
    await plantInstance(client, tableName, 'first', { status: 'SUCCEEDED', ttl: nowSeconds - 10 });
    sweeper.start();
    try {
      await until(async () => (await itemsOf(client, tableName, 'first')).length === 0);
      // Expiring later: a later sweep of the same run takes it.
      await plantInstance(client, tableName, 'second', { status: 'FAILED', ttl: nowSeconds - 1 });
      await until(async () => (await itemsOf(client, tableName, 'second')).length === 0);
    } finally {
      await sweeper.stop();
    }
    // Stopped: nothing sweeps any more.
    await plantInstance(client, tableName, 'third', { status: 'FAILED', ttl: nowSeconds - 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await itemsOf(client, tableName, 'third')).length).toBeGreaterThan(0);
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
