import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { createCheckpointTable, itemSizeBytes, MAX_ITEM_BYTES } from '../checkpoint';
import { EngineError, StaleCommitError } from '../runtime/errors';
import type { InstanceRecord } from '../runtime/instance-record';
import { FakeClock } from '../runtime/memory/fake-clock';
import { deleteInstanceItems, DynamoDbInstanceStore, instanceKey } from './dynamodb-instance-store';

jest.setTimeout(15_000);

const TABLE = 'instance-store-test';
const TTL_MS = 60_000;

let aws: EmbeddedAws;
let dynamodb: DynamoDBClient;
let ids = 0;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  await createCheckpointTable(dynamodb, TABLE);
});

afterAll(async () => {
  dynamodb?.destroy();
  await aws?.stop();
});

/** A fresh store and instance id per test: tests never share an item. */
function setup() {
  const clock = new FakeClock('2026-01-01T00:00:00.000Z');
  const store = new DynamoDbInstanceStore(dynamodb, TABLE, clock);
  return { clock, store, instanceId: `inst-${++ids}` };
}

function record(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instance_id: instanceId,
    workflow_id: 'import_vn_memphis_v1',
    status: 'WAITING',
    context: { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' },
    waits: [
      {
        request_id: 'req-1',
        node: 'Prepare_Import_Enrichment',
        capability_id: 'import#enrichment',
        since: '2026-01-01T00:00:00.000Z',
        deadline: null,
      },
    ],
    history: [
      {
        node: 'Start',
        status: 'SUCCEEDED',
        started_at: '2026-01-01T00:00:00.000Z',
        ended_at: '2026-01-01T00:00:00.010Z',
      },
    ],
    definition: { key: 'import_vn_memphis_v1.yaml', sha256: 'a'.repeat(64) },
    error: null,
    start_context: { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' },
    dispatched: ['req-1'],
    cancelled_requests: [],
    resolved: {},
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.010Z',
    version: 1,
    ...overrides,
  };
}

async function rawItem(instanceId: string) {
  const response = await dynamodb.send(
    new GetItemCommand({ TableName: TABLE, Key: instanceKey(instanceId), ConsistentRead: true }),
  );
  return response.Item;
}

async function rawLease(instanceId: string) {
  const response = await dynamodb.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { PK: { S: `INSTANCE#${instanceId}` }, SK: { S: 'LEASE' } },
      ConsistentRead: true,
    }),
  );
  return response.Item;
}

describe('DynamoDbInstanceStore (dynalite)', () => {
  it('get of a missing instance is undefined', async () => {
    const { store } = setup();
    await expect(store.get('never-started')).resolves.toBeUndefined();
  });

  describe('leases', () => {
    it('acquires a free lease, refuses a held one, and hands out a new one after expiry', async () => {
      const { store, clock, instanceId } = setup();
      const first = await store.acquireLease(instanceId, TTL_MS);
      expect(first).toEqual({
        instance_id: instanceId,
        token: expect.any(String) as string,
        expires_at: clock.now().getTime() + TTL_MS,
      });

      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeUndefined();
      clock.advance(TTL_MS - 1);
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeUndefined();

      clock.advance(2);
      const second = await store.acquireLease(instanceId, TTL_MS);
      expect(second).toBeDefined();
      expect(second?.token).not.toBe(first?.token);
      expect(second?.expires_at).toBe(clock.now().getTime() + TTL_MS);
    });

    it('a released lease is free at once', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.releaseLease(lease);
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeDefined();
    });

    it('a release with a dispatched mark leaves only the mark (no TTL), which the next holder reads', async () => {
      const { store, clock, instanceId } = setup();
      const first = await store.acquireLease(instanceId, TTL_MS);
      if (!first) throw new Error('no lease');
      expect(first.dispatched_version).toBeUndefined();
      await store.releaseLease(first, 7);
      const item = await rawLease(instanceId);
      expect(item?.dispatched_version?.N).toBe('7');
      expect([item?.lease_token, item?.lease_expires, item?.ttl]).toEqual([undefined, undefined, undefined]);

      const second = await store.acquireLease(instanceId, TTL_MS);
      expect(second?.dispatched_version).toBe(7);
      // A holder that dies keeps its lease and leaves the mark as it found it; the next one still reads it.
      clock.advance(TTL_MS + 1);
      const third = await store.acquireLease(instanceId, TTL_MS);
      expect(third?.dispatched_version).toBe(7);
      // Released without a mark (a finished or unknown instance): nothing is left behind.
      if (!third) throw new Error('no lease');
      await store.releaseLease(third);
      expect(await rawLease(instanceId)).toBeUndefined();
    });

    it('a holder whose lease was taken over leaves no mark', async () => {
      const { store, clock, instanceId } = setup();
      const stale = await store.acquireLease(instanceId, TTL_MS);
      clock.advance(TTL_MS + 1);
      const current = await store.acquireLease(instanceId, TTL_MS);
      if (!stale || !current) throw new Error('no lease');
      await store.releaseLease(stale, 3);
      expect((await rawLease(instanceId))?.dispatched_version).toBeUndefined();
      expect((await rawLease(instanceId))?.lease_token?.S).toBe(current.token);
    });

    it('leases of different instances are independent', async () => {
      const { store, instanceId } = setup();
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeDefined();
      await expect(store.acquireLease(`${instanceId}-other`, TTL_MS)).resolves.toBeDefined();
    });

    it('releasing a lease that was taken over leaves the new holder in place', async () => {
      const { store, clock, instanceId } = setup();
      const stale = await store.acquireLease(instanceId, TTL_MS);
      clock.advance(TTL_MS + 1);
      const current = await store.acquireLease(instanceId, TTL_MS);
      if (!stale || !current) throw new Error('no lease');

      await expect(store.releaseLease(stale)).resolves.toBeUndefined();

      // The new holder still holds it: nobody else gets in, and it can still write.
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeUndefined();
      await store.save(record(instanceId), current);
      expect((await rawLease(instanceId))?.lease_token?.S).toBe(current.token);
    });

    it('lives in an item of its own, with a TTL a day past its expiry, never on the record', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId), lease);
      const item = await rawLease(instanceId);
      expect(Number(item?.ttl?.N)).toBe(Math.ceil(lease.expires_at / 1000) + 24 * 3600);
      expect((await rawItem(instanceId))?.lease_token).toBeUndefined();
      await store.releaseLease(lease);
      expect(await rawLease(instanceId)).toBeUndefined();
      expect((await store.get(instanceId))?.status).toBe('WAITING');
    });

    it('leaseExpiry reports the current lease until it is released or expires', async () => {
      const { store, clock, instanceId } = setup();
      await expect(store.leaseExpiry(instanceId)).resolves.toBeUndefined();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await expect(store.leaseExpiry(instanceId)).resolves.toBe(lease.expires_at);
      await store.releaseLease(lease);
      await expect(store.leaseExpiry(instanceId)).resolves.toBeUndefined();

      const again = await store.acquireLease(instanceId, TTL_MS);
      clock.advance(TTL_MS + 1);
      expect(again).toBeDefined();
      await expect(store.leaseExpiry(instanceId)).resolves.toBeUndefined();
    });

    it('at the instant a lease expires, acquireLease agrees with leaseExpiry that it is free', async () => {
      const { store, clock, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      clock.set(lease.expires_at);
      await expect(store.leaseExpiry(instanceId)).resolves.toBeUndefined();
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeDefined();
    });

    it('a released lease leaves no item behind, and a record written meanwhile is unaffected', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.releaseLease(lease);
      expect(await rawItem(instanceId)).toBeUndefined();
      expect(await rawLease(instanceId)).toBeUndefined();

      const other = await store.acquireLease(instanceId, TTL_MS);
      if (!other) throw new Error('no lease');
      await store.save(record(instanceId), other);
      await store.releaseLease(other);
      expect((await store.get(instanceId))?.status).toBe('WAITING');
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeDefined();
    });

    it('a lease taken before any record exists shows no instance', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      expect(lease).toBeDefined();
      expect(await rawLease(instanceId)).toBeDefined();
      await expect(store.get(instanceId)).resolves.toBeUndefined();
      if (lease) await store.releaseLease(lease);
      await expect(store.get(instanceId)).resolves.toBeUndefined();
    });
  });

  describe('save', () => {
    it('with the current lease writes the record, which get returns intact', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const saved = record(instanceId, {
        status: 'FAILED',
        error: { code: 'NOT_FOUND', message: 'no ASN', node: 'Prepare_Import_Enrichment' },
        resolved: { 'req-1': 'FAILED' },
        output: { note: 'ünïcödé ✓' },
      });
      await store.save(saved, lease);
      await expect(store.get(instanceId)).resolves.toEqual(saved);

      const item = await rawItem(instanceId);
      expect(item?.status?.S).toBe('FAILED');
      expect(item?.workflow_id?.S).toBe('import_vn_memphis_v1');
      expect(item?.context_omitted?.BOOL).toBe(false);
      // gzip-compressed JSON, not plain text
      const blob = item?.record?.B;
      expect(blob?.[0]).toBe(0x1f);
      expect(blob?.[1]).toBe(0x8b);
      expect(JSON.parse(gunzipSync(blob as Uint8Array).toString('utf8'))).toEqual(saved);
    });

    it('a later save with the same lease overwrites the record and keeps the lease', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId), lease);
      const done = record(instanceId, { status: 'SUCCEEDED', waits: [], version: 2 });
      await store.save(done, lease);
      await expect(store.get(instanceId)).resolves.toEqual(done);
      await expect(store.acquireLease(instanceId, TTL_MS)).resolves.toBeUndefined();
    });

    it('is a commit from the version it read: a second commit of the same version fails, whoever holds the lease', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId), lease);
      await store.save(record(instanceId, { status: 'RUNNING', version: 2 }), lease);
      // Another writer that also read version 1 (its clock let it take the lease; here: the same lease).
      await expect(
        store.save(record(instanceId, { status: 'FAILED', version: 2 }), lease),
      ).rejects.toBeInstanceOf(StaleCommitError);
      // Nor can anyone create the record a second time.
      await expect(store.save(record(instanceId, { status: 'FAILED' }), lease)).rejects.toBeInstanceOf(
        StaleCommitError,
      );
      expect((await store.get(instanceId))?.status).toBe('RUNNING');
      expect((await rawItem(instanceId))?.version?.N).toBe('2');
    });

    it('gives only a finished record the table TTL (its expires_at), and takes it away again if not', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId), lease);
      expect((await rawItem(instanceId))?.ttl).toBeUndefined();
      const expires = 1_800_000_000;
      await store.save(record(instanceId, { status: 'SUCCEEDED', version: 2, expires_at: expires }), lease);
      expect((await rawItem(instanceId))?.ttl?.N).toBe(String(expires));
      await store.save(record(instanceId, { status: 'RUNNING', version: 3 }), lease);
      expect((await rawItem(instanceId))?.ttl).toBeUndefined();
    });

    it('with a lease that expired and was taken over fails with StaleCommitError and writes nothing', async () => {
      const { store, clock, instanceId } = setup();
      const stale = await store.acquireLease(instanceId, TTL_MS);
      if (!stale) throw new Error('no lease');
      await store.save(record(instanceId, { status: 'RUNNING' }), stale);

      clock.advance(TTL_MS + 1);
      const current = await store.acquireLease(instanceId, TTL_MS);
      if (!current) throw new Error('no lease');

      const thrown = await store
        .save(record(instanceId, { status: 'SUCCEEDED' }), stale)
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(StaleCommitError);
      expect(thrown).toMatchObject({ code: 'STALE_COMMIT', retryable: true });
      expect((thrown as Error).cause).toBeDefined();
      expect((await store.get(instanceId))?.status).toBe('RUNNING');

      await store.save(record(instanceId, { status: 'WAITING', version: 2 }), current);
      expect((await store.get(instanceId))?.status).toBe('WAITING');
    });

    it('needs no lease: a writer whose lease was released still commits from the version it read', async () => {
      // The version is the fence; the lease only spares wasted work, so losing it is not an error.
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.releaseLease(lease);
      await store.save(record(instanceId), lease);
      expect((await store.get(instanceId))?.version).toBe(1);
      await expect(store.save(record(instanceId), lease)).rejects.toMatchObject({ code: 'STALE_COMMIT' });
    });
  });

  describe('history and resolutions as append-only items', () => {
    const step = (n: number) => ({
      node: `Step_${n}`,
      status: 'SUCCEEDED' as const,
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
    });

    it('a commit moves the previous steps and resolutions to items; get joins them, load does not', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(
        record(instanceId, { history: [step(1), step(2)], resolved: { a: 'REPLIED' } }),
        lease,
      );
      await store.save(
        record(instanceId, { version: 2, history: [step(3)], history_base: 2, resolved: { b: 'TIMED_OUT' } }),
        lease,
        { history: { at: 0, entries: [step(1), step(2)] }, resolved: { a: 'REPLIED' } },
      );
      expect((await store.load(instanceId))?.history).toEqual([step(3)]);
      const full = await store.get(instanceId);
      expect(full?.history).toEqual([step(1), step(2), step(3)]);
      expect(full).not.toHaveProperty('history_base');
      await expect(store.resolution(instanceId, 'a')).resolves.toBe('REPLIED');
      await expect(store.resolution(instanceId, 'b')).resolves.toBeUndefined();
    });

    it('one item per commit: the first resolution carries the steps, other resolutions stand alone', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId, { history: [step(1)] }), lease);
      // A commit that resolved nothing (the steps of a START): an H# item.
      await store.save(
        record(instanceId, { version: 2, history: [step(2), step(3)], history_base: 1 }),
        lease,
        { history: { at: 0, entries: [step(1)] } },
      );
      // A commit that resolved two requests (a reply, and a sibling stopped by it).
      await store.save(record(instanceId, { version: 3, history: [step(4)], history_base: 3 }), lease, {
        history: { at: 1, entries: [step(2), step(3)] },
        resolved: { a: 'FAILED', b: 'CANCELLED' },
      });
      const items = (
        await dynamodb.send(
          new QueryCommand({
            TableName: TABLE,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: `INSTANCE#${instanceId}` } },
          }),
        )
      ).Items?.map((i) => [i.SK?.S, i.at?.N ?? null, i.entries?.S === undefined ? 0 : 1]);
      expect(items).toEqual([
        ['H#0000000000', '0', 1],
        ['LEASE', null, 0],
        ['R#a', '1', 1],
        ['R#b', null, 0],
        ['STATUS', null, 0],
      ]);
      expect((await store.get(instanceId))?.history).toEqual([step(1), step(2), step(3), step(4)]);
      await expect(store.resolution(instanceId, 'b')).resolves.toBe('CANCELLED');
    });

    it('history written one step per item (the layout before one item per commit) still reads', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      await store.save(record(instanceId, { history: [step(2)], history_base: 2 }), lease);
      for (const n of [0, 1]) {
        await dynamodb.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: {
              PK: { S: `INSTANCE#${instanceId}` },
              SK: { S: `H#${String(n).padStart(10, '0')}` },
              entry: { S: JSON.stringify(step(n)) },
            },
          }),
        );
      }
      expect((await store.get(instanceId))?.history).toEqual([step(0), step(1), step(2)]);
    });

    it('writing the same flush twice (a redelivered commit) changes nothing', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const flush = { history: { at: 0, entries: Array.from({ length: 30 }, (_, i) => step(i)) } };
      await store.save(record(instanceId, { history: [step(30)], history_base: 30 }), lease, flush);
      await store.save(
        record(instanceId, { version: 2, history: [step(30)], history_base: 30 }),
        lease,
        flush,
      );
      expect((await store.get(instanceId))?.history).toHaveLength(31);
    });
  });

  describe('big records', () => {
    it('a compressible 1 MiB context is kept (gzip brings it under the limit)', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const context = { shipmentId: 'SHP-1', lines: 'ABCDEFGH'.repeat(128 * 1024) };
      const saved = record(instanceId, { context });
      await store.save(saved, lease);
      await expect(store.get(instanceId)).resolves.toEqual(saved);
      expect((await rawItem(instanceId))?.context_omitted?.BOOL).toBe(false);
    });

    it('an incompressible 1 MiB context is omitted; the item stays under 400 KB; the rest is intact', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const context = { shipmentId: 'SHP-1', blob: randomBytes(768 * 1024).toString('base64') };
      expect(Buffer.byteLength(JSON.stringify(context))).toBeGreaterThanOrEqual(1024 * 1024);
      const saved = record(instanceId, { context, status: 'SUCCEEDED', output: { ok: true } });

      await store.save(saved, lease);

      const loaded = await store.get(instanceId);
      expect(loaded?.context).toEqual({});
      const { context: _omitted, ...rest } = saved;
      expect(loaded).toMatchObject(rest);
      expect(loaded).toEqual({ ...saved, context: {} });

      const scanned = await dynamodb.send(new ScanCommand({ TableName: TABLE }));
      const item = scanned.Items?.find((i) => i.PK?.S === `INSTANCE#${instanceId}` && i.SK?.S === 'STATUS');
      expect(item).toBeDefined();
      expect(itemSizeBytes(item ?? {})).toBeLessThan(MAX_ITEM_BYTES);
      expect(item?.context_omitted?.BOOL).toBe(true);
      expect(item?.status?.S).toBe('SUCCEEDED');
    });

    it('a record whose start context is as big as its context still fits in one item', async () => {
      // A START may carry up to SQS's 1 MiB message size, and start_context keeps it verbatim: omitting
      // only `context` is not enough then; the save must still not fail on the item limit.
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const context = { blob: randomBytes(700 * 1024).toString('base64') };
      const saved = record(instanceId, { context, start_context: context, status: 'RUNNING' });

      await expect(store.save(saved, lease)).resolves.toBeUndefined();

      const item = await rawItem(instanceId);
      expect(itemSizeBytes(item ?? {})).toBeLessThan(MAX_ITEM_BYTES);
      const loaded = await store.get(instanceId);
      expect(loaded).toMatchObject({ instance_id: instanceId, status: 'RUNNING', waits: saved.waits });
    });

    it('a record saved small after a big one says its context is no longer omitted', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const big = { blob: randomBytes(600 * 1024).toString('base64') };
      await store.save(record(instanceId, { context: big }), lease);
      expect((await rawItem(instanceId))?.context_omitted?.BOOL).toBe(true);
      const small = record(instanceId, { context: { shipmentId: 'SHP-2' }, version: 2 });
      await store.save(small, lease);
      expect((await rawItem(instanceId))?.context_omitted?.BOOL).toBe(false);
      await expect(store.get(instanceId)).resolves.toEqual(small);
    });
  });

  describe('parked replies', () => {
    const parked = (instanceId: string, requestId: string, outputs: Record<string, unknown>) => ({
      message: {
        type: 'ASYNC_RESP' as const,
        instance_id: instanceId,
        request_id: requestId,
        status: 'SUCCESS' as const,
        outputs,
      },
      delivery: { senderId: 'AROARAILTEAM:quotes' },
      parked_at: '2026-01-01T00:01:00.000Z',
    });

    it('are kept per request, the first copy staying, with a TTL; none is undefined', async () => {
      const { store, instanceId } = setup();
      await expect(store.parkedReply(instanceId, 'req-1')).resolves.toBeUndefined();
      await expect(store.parkReply(instanceId, parked(instanceId, 'req-1', { rail: 1 }))).resolves.toBe(true);
      await expect(store.parkReply(instanceId, parked(instanceId, 'req-1', { rail: 2 }))).resolves.toBe(true);
      await expect(store.parkReply(instanceId, parked(instanceId, 'req-2', { road: 3 }))).resolves.toBe(true);
      await expect(store.parkedReply(instanceId, 'req-1')).resolves.toEqual(
        parked(instanceId, 'req-1', { rail: 1 }),
      );
      await expect(store.parkedReply(instanceId, 'req-2')).resolves.toEqual(
        parked(instanceId, 'req-2', { road: 3 }),
      );
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { PK: { S: `INSTANCE#${instanceId}` }, SK: { S: 'REPLY#req-1' } },
        }),
      );
      // Two days after 2026-01-01T00:00:00Z.
      expect(Item?.ttl?.N).toBe(String(Date.parse('2026-01-03T00:00:00.000Z') / 1000));
    });

    it('leave the history as it was, and the retention purge removes them', async () => {
      const { store, instanceId } = setup();
      const lease = await store.acquireLease(instanceId, TTL_MS);
      if (!lease) throw new Error('no lease');
      const first = { node: 'Ask_Road', status: 'SUCCEEDED' as const, started_at: 'a', ended_at: 'b' };
      await store.save(record(instanceId, { history: [first] }), lease);
      await store.save(record(instanceId, { version: 2, history: [], history_base: 1 }), lease, {
        history: { at: 0, entries: [first] },
      });
      await store.parkReply(instanceId, parked(instanceId, 'req-1', { rail: 1 }));
      await expect(store.get(instanceId)).resolves.toMatchObject({ history: [first] });
      // The range `get` reads its history from (the lease sorts inside it) does not reach the parked reply.
      const range = await dynamodb.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': { S: `INSTANCE#${instanceId}` },
            ':from': { S: 'H#' },
            ':to': { S: 'R#\uffff' },
          },
        }),
      );
      expect((range.Items ?? []).map((i) => i.SK?.S)).toEqual(['H#0000000000', 'LEASE']);
      await deleteInstanceItems(dynamodb, TABLE, instanceId);
      await expect(store.parkedReply(instanceId, 'req-1')).resolves.toBeUndefined();
    });

    it('a reply too large for an item is not kept (parkReply returns false: it is only deferred)', async () => {
      const { store, instanceId } = setup();
      const huge = parked(instanceId, 'req-1', { blob: randomBytes(400_000).toString('base64') });
      await expect(store.parkReply(instanceId, huge)).resolves.toBe(false);
      await expect(store.parkedReply(instanceId, 'req-1')).resolves.toBeUndefined();
    });
  });

  describe('a missing table', () => {
    const missing = () => new DynamoDbInstanceStore(dynamodb, 'no-such-table', new FakeClock());
    const lease = { instance_id: 'inst-x', token: 't', expires_at: Date.now() + TTL_MS };

    it.each([
      ['get', () => missing().get('inst-x')],
      ['leaseExpiry', () => missing().leaseExpiry('inst-x')],
      ['acquireLease', () => missing().acquireLease('inst-x', TTL_MS)],
      ['releaseLease', () => missing().releaseLease(lease)],
      ['save', () => missing().save(record('inst-x'), lease)],
      ['parkedReply', () => missing().parkedReply('inst-x', 'req-1')],
    ])('%s fails with EngineError DYNAMODB_ResourceNotFoundException', async (_name, call) => {
      const thrown = await (call() as Promise<unknown>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(thrown).toBeInstanceOf(EngineError);
      expect(thrown).not.toBeInstanceOf(StaleCommitError);
      expect(thrown).toMatchObject({ code: 'DYNAMODB_ResourceNotFoundException', retryable: false });
      expect((thrown as EngineError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });
});
