import { DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { itemsOf, plantInstance, statusRemoval } from '../../test/support/retention-fixtures';
import { createCheckpointTable } from '../checkpoint';
import { EngineError } from '../runtime/errors';
import type { Logger } from '../runtime/ports';
import { instanceKey } from './dynamodb-instance-store';
import { purgeStreamBatch, RetentionPurger, STATUS_ITEM_KEYS, statusRemovalOf } from './retention-purger';

jest.setTimeout(20_000);

const TABLE = 'retention-purger-test';

let server: DynaliteServer;
let client: DynamoDBClient;
let ids = 0;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
  await createCheckpointTable(client, TABLE);
});

afterAll(async () => {
  await server.close();
});

/** Collects log lines, so tests can check what an operator would read. */
function recordingLogger(lines: { level: string; message: string; fields: object }[] = []): Logger {
  const at =
    (level: string, bindings: object) =>
    (fields: object, message: string): void => {
      lines.push({ level, message, fields: { ...bindings, ...fields } });
    };
  const make = (bindings: object): Logger => ({
    debug: at('debug', bindings),
    info: at('info', bindings),
    warn: at('warn', bindings),
    error: at('error', bindings),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}

const newId = () => `inst-${++ids}`;
const purger = (logger = recordingLogger()) => new RetentionPurger({ client, tableName: TABLE, logger });

/** DynamoDB TTL (or an operator) removing the STATUS item. */
async function removeStatusItem(instanceId: string): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: TABLE, Key: instanceKey(instanceId) }));
}

describe('RetentionPurger', () => {
  it('removes every checkpoint item of an instance whose status record is gone, and nothing else', async () => {
    const gone = newId();
    const neighbour = newId();
    await plantInstance(client, TABLE, gone, { status: 'SUCCEEDED', ttl: 1 });
    await plantInstance(client, TABLE, neighbour, { status: 'WAITING' });
    const planted = await itemsOf(client, TABLE, gone);
    // Checkpoint items in three namespaces, chunks and task writes: more than a handful of items.
    expect(planted.map((item) => item.SK?.S?.slice(0, 3))).toEqual(
      expect.arrayContaining(['CP#', 'CH#', 'STA']),
    );
    const neighbourBefore = await itemsOf(client, TABLE, neighbour);

    await removeStatusItem(gone);
    expect(await purger().purgeInstance(gone, 'expired')).toEqual({ kind: 'purged', instanceId: gone });

    expect(await itemsOf(client, TABLE, gone)).toEqual([]);
    expect(await itemsOf(client, TABLE, neighbour)).toEqual(neighbourBefore);
  });

  it('leaves a live instance untouched: no TTL on its record, every item kept', async () => {
    const live = newId();
    await plantInstance(client, TABLE, live, { status: 'WAITING' });
    const before = await itemsOf(client, TABLE, live);
    const lines: Parameters<typeof recordingLogger>[0] = [];

    // Even a removal event for it (a stale or misdirected one) does nothing while its record exists.
    const outcome = await purger(recordingLogger(lines)).purgeStreamRecord(statusRemoval(live));

    expect(outcome).toEqual({ kind: 'live', instanceId: live });
    expect(await itemsOf(client, TABLE, live)).toEqual(before);
    expect(lines.filter((line) => line.level === 'info').map((line) => line.fields)).toContainEqual({
      instance_id: live,
      removal: 'expired',
    });
  });

  it('treats a repeated removal event as harmless', async () => {
    const gone = newId();
    const neighbour = newId();
    await plantInstance(client, TABLE, gone, { status: 'FAILED', ttl: 1 });
    await plantInstance(client, TABLE, neighbour, { status: 'RUNNING' });
    const neighbourBefore = await itemsOf(client, TABLE, neighbour);
    await removeStatusItem(gone);

    const event = statusRemoval(gone);
    const first = await purger().purgeStreamRecord(event);
    const again = await purger().purgeStreamRecord(event);

    expect(first).toEqual({ kind: 'purged', instanceId: gone });
    expect(again).toEqual({ kind: 'purged', instanceId: gone });
    expect(await itemsOf(client, TABLE, gone)).toEqual([]);
    expect(await itemsOf(client, TABLE, neighbour)).toEqual(neighbourBefore);
  });

  it('does not touch an instance whose id a new START took before a late event arrived', async () => {
    const id = newId();
    await plantInstance(client, TABLE, id, { status: 'SUCCEEDED', ttl: 1 });
    await removeStatusItem(id);
    const oldEvent = statusRemoval(id);
    await purger().purgeStreamRecord(oldEvent);
    // The id is started again; then the old event is delivered once more (a stream retry).
    await plantInstance(client, TABLE, id, { status: 'WAITING' });
    const reused = await itemsOf(client, TABLE, id);

    expect(await purger().purgeStreamRecord(oldEvent)).toEqual({ kind: 'live', instanceId: id });
    expect(await itemsOf(client, TABLE, id)).toEqual(reused);
  });

  it('reports, as an error, an id started again while its old checkpoints were being deleted', async () => {
    const id = newId();
    await plantInstance(client, TABLE, id, { status: 'SUCCEEDED', ttl: 1 });
    await removeStatusItem(id);
    // A START taking the id (its lease creates the STATUS item) right after the first delete batch.
    const racing = server.createClient();
    let started = false;
    racing.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (!started && context.commandName === 'BatchWriteItemCommand') {
          started = true;
          await client.send(
            new PutItemCommand({ TableName: TABLE, Item: { ...instanceKey(id), lease_token: { S: 'new' } } }),
          );
        }
        return result;
      },
      { step: 'initialize' },
    );
    const lines: Parameters<typeof recordingLogger>[0] = [];
    const racingPurger = new RetentionPurger({
      client: racing,
      tableName: TABLE,
      logger: recordingLogger(lines),
    });

    expect(await racingPurger.purgeInstance(id, 'expired')).toEqual({ kind: 'reused', instanceId: id });
    expect(started).toBe(true);
    expect(lines.filter((line) => line.level === 'error').map((line) => line.fields)).toContainEqual({
      instance_id: id,
      removal: 'expired',
    });
  });

  it('surfaces a DynamoDB failure as an engine error, so the event is retried', async () => {
    const missing = new RetentionPurger({ client, tableName: 'no-such-table', logger: recordingLogger() });
    const error: unknown = await missing.purgeInstance('x', 'expired').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('DYNAMODB_ResourceNotFoundException');
  });
});

describe('statusRemovalOf', () => {
  it('takes the instance id from the keys of a removed STATUS item, and who removed it', () => {
    expect(statusRemovalOf(statusRemoval('a-1', 'ttl'))).toEqual({ instanceId: 'a-1', cause: 'expired' });
    expect(statusRemovalOf(statusRemoval('a-1', 'user'))).toEqual({ instanceId: 'a-1', cause: 'deleted' });
    // An id may itself contain the separator.
    expect(statusRemovalOf(statusRemoval('a#b', 'ttl'))).toEqual({ instanceId: 'a#b', cause: 'expired' });
  });

  it('ignores anything but the removal of a STATUS item', () => {
    const removal = statusRemoval('a-1');
    const withKeys = (PK: string, SK: string) => ({
      ...removal,
      dynamodb: { ...removal.dynamodb, Keys: { PK: { S: PK }, SK: { S: SK } } },
    });
    expect(statusRemovalOf({ ...removal, eventName: 'MODIFY' })).toBeUndefined();
    expect(statusRemovalOf({ ...removal, eventName: 'INSERT' })).toBeUndefined();
    // A checkpoint item (legacy ones still carry a TTL) or anything else in the table.
    expect(statusRemovalOf(withKeys('THREAD#a-1', 'CP##1#'))).toBeUndefined();
    expect(statusRemovalOf(withKeys('OTHER#a-1', STATUS_ITEM_KEYS.sortKey))).toBeUndefined();
    expect(
      statusRemovalOf(withKeys(STATUS_ITEM_KEYS.partitionKeyPrefix, STATUS_ITEM_KEYS.sortKey)),
    ).toBeUndefined();
  });

  it('matches the instance store keys', () => {
    expect(STATUS_ITEM_KEYS).toEqual({ partitionKeyPrefix: 'INSTANCE#', sortKey: 'STATUS' });
    expect(instanceKey('x').PK.S).toBe(`${STATUS_ITEM_KEYS.partitionKeyPrefix}x`);
  });
});

describe('purgeStreamBatch', () => {
  it('purges a batch in order, stops at the first failure and reports its sequence number', async () => {
    const [first, last] = [newId(), newId()];
    for (const id of [first, last]) {
      await plantInstance(client, TABLE, id, { status: 'SUCCEEDED', ttl: 1 });
      await removeStatusItem(id);
    }
    // An id DynamoDB refuses (a partition key over 2048 bytes): a failure no retry of this record can fix.
    const refused = 'r'.repeat(3000);
    const lines: Parameters<typeof recordingLogger>[0] = [];
    const logger = recordingLogger(lines);

    const response = await purgeStreamBatch(
      purger(logger),
      [statusRemoval(first, 'ttl', '1'), statusRemoval(refused, 'ttl', '2'), statusRemoval(last, 'ttl', '3')],
      logger,
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(await itemsOf(client, TABLE, first)).toEqual([]);
    // Not reached: the stream delivers it again from the failed record on.
    expect((await itemsOf(client, TABLE, last)).length).toBeGreaterThan(0);
    const errors = lines.filter((line) => line.level === 'error').map((line) => line.fields);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ instance_id: refused, sequence_number: '2' });
  });

  it('returns no failure for a batch of ignored and purged records', async () => {
    const gone = newId();
    await plantInstance(client, TABLE, gone, { status: 'CANCELLED', ttl: 1 });
    await removeStatusItem(gone);
    const modify = { ...statusRemoval('other'), eventName: 'MODIFY' as const };
    const logger = recordingLogger();
    expect(await purgeStreamBatch(purger(logger), [modify, statusRemoval(gone)], logger)).toEqual({
      batchItemFailures: [],
    });
    expect(await itemsOf(client, TABLE, gone)).toEqual([]);
  });
});
