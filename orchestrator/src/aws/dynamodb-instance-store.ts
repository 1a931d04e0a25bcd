import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBSaver } from '../checkpoint';
import type { Clock } from '../graph/engine-dependencies';
import type { Resolution } from '../graph/workflow-state';
import { EngineError, StaleCommitError } from '../runtime/errors';
import type { InstanceRecord, RecordHistoryEntry } from '../runtime/instance-record';
import type { CommitFlush, InstanceStore, Lease, ParkedReply } from '../runtime/ports';
import { awsCall, translateAwsError } from './aws-errors';
import { indexAttributes } from './instance-index-layout';

/**
 * Status records and leases in the workflow state table, beside the checkpoints (which use `THREAD#`
 * partitions): per instance, the record at `PK = INSTANCE#<id>`, `SK = STATUS`, its lease at
 * `SK = LEASE`, history and resolution items at `H#...` and `R#...`, and replies parked behind a dead
 * holder's lease at `REPLY#<request id>` (which sorts after every `R#` key, outside the history range).
 *
 * Invariants:
 * - The record is written only from the version it was read at (`version`), so of two writers that read
 *   the same state, one commits and the other gets StaleCommitError: correctness needs no lease and no
 *   clock. The lease only keeps a second worker from wasting work.
 * - The lease is an item of its own, a few bytes: taking and giving it up never rewrites the record (a
 *   DynamoDB write costs the size of the whole item). A lease left by a worker that died carries a TTL, so
 *   the table forgets it in time.
 * - The record is gzip-compressed JSON; records whose context would still exceed the item limit are
 *   stored without their contexts (the checkpoint keeps the context; a START that must run again is
 *   redelivered with its own) and say so in `context_omitted` and `start_context_omitted`.
 */
export class DynamoDbInstanceStore implements InstanceStore {
  private saver: DynamoDBSaver | undefined;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async get(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = await this.load(instanceId);
    if (!record) return undefined;
    const base = record.history_base ?? 0;
    const earlier: RecordHistoryEntry[] = [];
    if (base > 0) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        // History items (`H#`) and resolution items (`R#`, which may carry their commit's steps) in one
        // range; the lease item sorts between them and carries no steps.
        const page = await awsCall('DYNAMODB', 'Query (history)', () =>
          this.dynamodb.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
              ExpressionAttributeValues: {
                ':pk': { S: partition(instanceId) },
                ':from': { S: HISTORY_PREFIX },
                ':to': { S: `${RESOLUTION_PREFIX}\uffff` },
              },
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          for (const [seq, entry] of flushedSteps(item)) if (seq < base) earlier[seq] = entry;
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    const { history_base: _base, context_in_checkpoint: inCheckpoint, ...view } = record;
    const context = inCheckpoint ? await this.checkpointContext(record) : record.context;
    return { ...view, context, history: [...earlier.filter(Boolean), ...record.history] };
  }

  /** The context of the checkpoint the record adopted (where a large context lives). */
  private async checkpointContext(record: InstanceRecord): Promise<Record<string, unknown>> {
    const head = record.checkpoints?.heads[''];
    if (head === undefined) return record.context;
    this.saver ??= new DynamoDBSaver({ client: this.dynamodb, tableName: this.table });
    const tuple = await this.saver.getTuple({
      configurable: { thread_id: record.instance_id, checkpoint_ns: '', checkpoint_id: head },
    });
    return (tuple?.checkpoint.channel_values.context ?? record.context) as Record<string, unknown>;
  }

  async load(instanceId: string): Promise<InstanceRecord | undefined> {
    const response = await awsCall('DYNAMODB', 'GetItem', () =>
      this.dynamodb.send(
        new GetItemCommand({ TableName: this.table, Key: key(instanceId), ConsistentRead: true }),
      ),
    );
    const blob = response.Item?.record?.B;
    return blob === undefined ? undefined : (JSON.parse(gunzipSync(blob).toString('utf8')) as InstanceRecord);
  }

  async resolution(instanceId: string, requestId: string): Promise<Resolution | 'RESOLVED' | undefined> {
    const response = await awsCall('DYNAMODB', 'GetItem (resolution)', () =>
      this.dynamodb.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { PK: { S: partition(instanceId) }, SK: { S: `${RESOLUTION_PREFIX}${requestId}` } },
          ConsistentRead: true,
        }),
      ),
    );
    return response.Item?.resolution?.S as Resolution | 'RESOLVED' | undefined;
  }

  /**
   * Writes what the previous commit reported as append-only items: committed already, so idempotent
   * whoever writes them, and before the record that stops carrying them. One item per commit in the usual
   * case (a write unit each): the first resolution's item `R#<request id>` carries the commit's steps too;
   * a commit that resolved nothing writes its steps as `H#<seq of the first>`; further resolutions of the
   * same commit (a fan-out's stopped siblings) get items of their own.
   */
  private async writeFlush(instanceId: string, flush: CommitFlush): Promise<void> {
    const steps = flush.history?.entries ?? [];
    const at = flush.history?.at ?? 0;
    const carried =
      steps.length > 0 ? { at: { N: String(at) }, entries: { S: JSON.stringify(steps) } } : undefined;
    const items: Record<string, AttributeValue>[] = Object.entries(flush.resolved ?? {}).map(
      ([requestId, resolution], i) => ({
        PK: { S: partition(instanceId) },
        SK: { S: `${RESOLUTION_PREFIX}${requestId}` },
        resolution: { S: resolution },
        ...(i === 0 ? carried : {}),
      }),
    );
    if (items.length === 0 && carried) {
      items.push({
        PK: { S: partition(instanceId) },
        SK: { S: `${HISTORY_PREFIX}${String(at).padStart(10, '0')}` },
        ...carried,
      });
    }
    await batchWrite(
      this.dynamodb,
      this.table,
      items.map((Item) => ({ PutRequest: { Item } })),
    );
  }

  async acquireLease(instanceId: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now().getTime();
    const token = randomUUID();
    const expiresAt = now + ttlMs;
    try {
      const { Attributes: before } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: leaseKey(instanceId),
          UpdateExpression: 'SET lease_token = :token, lease_expires = :expires, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(lease_expires) OR lease_expires <= :now',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':token': { S: token },
            ':expires': { N: String(expiresAt) },
            ':now': { N: String(now) },
            ':ttl': { N: String(Math.ceil(expiresAt / 1000) + LEASE_ITEM_GRACE_SECONDS) },
          },
          // The previous holder's dispatched mark, in the same write (returned values cost no capacity).
          ReturnValues: 'ALL_OLD',
        }),
      );
      // A mark left beside a lease that expired was the holder before the one that died: it still holds
      // for the version it names, and the record says whether that is still the current one.
      const mark = Number(before?.[DISPATCHED_VERSION]?.N);
      return {
        instance_id: instanceId,
        token,
        expires_at: expiresAt,
        ...(Number.isFinite(mark) ? { dispatched_version: mark } : {}),
      };
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw translateAwsError('DYNAMODB', 'UpdateItem (acquire lease)', error);
    }
  }

  /**
   * Gives the lease up if it is still this lease. Without a mark the item goes (a message for an unknown
   * instance, or a finished one, leaves nothing behind); with one, the item stays as the mark alone, with
   * no TTL: it is as long-lived as the record, and small (one write unit either way).
   */
  async releaseLease(lease: Lease, dispatchedVersion?: number): Promise<void> {
    const condition = {
      ConditionExpression: 'lease_token = :token',
      ExpressionAttributeValues: { ':token': { S: lease.token } },
    };
    try {
      if (dispatchedVersion === undefined) {
        await this.dynamodb.send(
          new DeleteItemCommand({ TableName: this.table, Key: leaseKey(lease.instance_id), ...condition }),
        );
      } else {
        await this.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: leaseKey(lease.instance_id),
            UpdateExpression: `SET ${DISPATCHED_VERSION} = :mark REMOVE lease_token, lease_expires, #ttl`,
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ...condition,
            ExpressionAttributeValues: {
              ...condition.ExpressionAttributeValues,
              ':mark': { N: String(dispatchedVersion) },
            },
          }),
        );
      }
    } catch (error) {
      // Someone else holds it now (ours expired): nothing of ours to release, and no mark to leave.
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return;
      throw translateAwsError('DYNAMODB', 'release lease', error);
    }
  }

  async leaseExpiry(instanceId: string): Promise<number | undefined> {
    const response = await awsCall('DYNAMODB', 'GetItem (lease)', () =>
      this.dynamodb.send(
        new GetItemCommand({
          TableName: this.table,
          Key: leaseKey(instanceId),
          ConsistentRead: true,
          ProjectionExpression: 'lease_expires',
        }),
      ),
    );
    const expires = Number(response.Item?.lease_expires?.N);
    return Number.isFinite(expires) && expires > this.clock.now().getTime() ? expires : undefined;
  }

  async parkReply(instanceId: string, reply: ParkedReply): Promise<boolean> {
    const blob = gzipSync(Buffer.from(JSON.stringify(reply), 'utf8'));
    if (blob.length > PARKED_REPLY_MAX_BYTES) return false;
    const expires = Math.ceil(this.clock.now().getTime() / 1000) + PARKED_REPLY_TTL_SECONDS;
    try {
      // The first copy stays: its parked_at is when the reply first arrived, and normal delivery applies
      // the first reply that arrives too.
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...parkedReplyKey(instanceId, reply.message.request_id),
            reply: { B: blob },
            [TTL_ATTRIBUTE]: { N: String(expires) },
          },
          ConditionExpression: 'attribute_not_exists(SK)',
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
        throw translateAwsError('DYNAMODB', 'PutItem (parked reply)', error);
      }
    }
    return true;
  }

  async parkedReply(instanceId: string, requestId: string): Promise<ParkedReply | undefined> {
    const response = await awsCall('DYNAMODB', 'GetItem (parked reply)', () =>
      this.dynamodb.send(
        new GetItemCommand({
          TableName: this.table,
          Key: parkedReplyKey(instanceId, requestId),
          ConsistentRead: true,
        }),
      ),
    );
    const blob = response.Item?.reply?.B;
    return blob === undefined ? undefined : (JSON.parse(gunzipSync(blob).toString('utf8')) as ParkedReply);
  }

  async save(record: InstanceRecord, _lease: Lease, flush: CommitFlush = {}): Promise<void> {
    await this.writeFlush(record.instance_id, flush);
    const version = record.version ?? 1;
    const values: Record<string, AttributeValue> = {
      ':record': { B: encode(record) },
      ':status': { S: record.status },
      ':workflow': { S: record.workflow_id },
      ':omitted': { BOOL: false },
      ':version': { N: String(version) },
    };
    // The instance index (see instance-index-layout.ts): with the record, in the same write. An attribute
    // without a value is removed, so the record leaves that (sparse) index.
    const indexed = Object.entries(indexAttributes(record) as Record<string, string | undefined>);
    const indexSet = indexed.filter(([, value]) => value !== undefined);
    for (const [name, value] of indexSet) values[`:${name}`] = { S: value as string };
    const indexRemoved = indexed.filter(([, value]) => value === undefined).map(([name]) => name);
    // Too big for an item: drop the context (the checkpoint holds it), then if need be start_context (a
    // START that must run again is redelivered with its own).
    const smaller: InstanceRecord[] = [
      { ...record, context: {} },
      { ...record, context: {}, start_context: {}, start_context_omitted: true },
    ];
    for (const candidate of smaller) {
      if ((values[':record'] as { B: Uint8Array }).B.byteLength <= MAX_RECORD_BYTES) break;
      values[':record'] = { B: encode(candidate) };
      values[':omitted'] = { BOOL: true };
    }
    // The commit point of the instance: only from the version it read.
    let condition: string;
    if (version === 1) condition = 'attribute_not_exists(#version)';
    else {
      condition = '#version = :previous';
      values[':previous'] = { N: String(version - 1) };
    }
    // Only a finished instance expires, and then as a whole (the retention purger removes its checkpoints).
    let update =
      'SET #record = :record, #status = :status, workflow_id = :workflow, context_omitted = :omitted, #version = :version' +
      indexSet.map(([name]) => `, ${name} = :${name}`).join('');
    const removed = [...indexRemoved];
    if (record.expires_at !== undefined) {
      update += ', #ttl = :ttl';
      values[':ttl'] = { N: String(record.expires_at) };
    } else {
      removed.push('#ttl');
    }
    if (removed.length > 0) update += ` REMOVE ${removed.join(', ')}`;
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(record.instance_id),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#record': 'record',
            '#status': 'status',
            '#version': 'version',
            '#ttl': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new StaleCommitError(record.instance_id, { cause: error });
      }
      throw translateAwsError('DYNAMODB', 'UpdateItem (save record)', error);
    }
  }
}

/** The table's TTL attribute (epoch seconds): set on status records of finished instances only. */
export const TTL_ATTRIBUTE = 'ttl';

/** Well under DynamoDB's 400 KB item limit, leaving room for keys and the lease attributes. */
const MAX_RECORD_BYTES = 350 * 1024;

export function instanceKey(instanceId: string) {
  return key(instanceId);
}

/**
 * Deletes an instance's history, resolution and parked reply items (`H#`, `R#`, `REPLY#`): the retention purge, once the status
 * record is gone. Idempotent.
 */
export async function deleteInstanceItems(
  dynamodb: DynamoDBClient,
  table: string,
  instanceId: string,
): Promise<void> {
  for (const prefix of [HISTORY_PREFIX, RESOLUTION_PREFIX, PARKED_REPLY_PREFIX]) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('DYNAMODB', `Query (${prefix} items)`, () =>
        dynamodb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: partition(instanceId) }, ':prefix': { S: prefix } },
            ProjectionExpression: 'PK, SK',
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      const keys = (page.Items ?? []).map((item) => ({
        PK: item.PK as AttributeValue,
        SK: item.SK as AttributeValue,
      }));
      await batchWrite(
        dynamodb,
        table,
        keys.map((Key) => ({ DeleteRequest: { Key } })),
      );
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

/** BatchWriteItem in pages of 25, resending what DynamoDB left unprocessed (with backoff). */
async function batchWrite(
  dynamodb: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8)
        throw new EngineError('DYNAMODB_UNPROCESSED', `${table}: items left unprocessed`, true);
      const response = await awsCall('DYNAMODB', 'BatchWriteItem', () =>
        dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: [...pending] } })),
      );
      pending = response.UnprocessedItems?.[table] ?? [];
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

const HISTORY_PREFIX = 'H#';
/** A resolution item's sort key is this and its request id (the bench's meter reads them too). */
export const RESOLUTION_PREFIX = 'R#';
/** Sorts after `R#\uffff` ('E' > '#'), so `get`'s history range never reads a parked reply. */
const PARKED_REPLY_PREFIX = 'REPLY#';
/** Under DynamoDB's 400 KB item limit with room for the key; a larger reply is deferred without parking. */
const PARKED_REPLY_MAX_BYTES = 350_000;
/** A parked reply serves only while a dead holder's lease runs out; TTL removes it two days on. */
const PARKED_REPLY_TTL_SECONDS = 2 * 24 * 3600;

/**
 * The steps an `H#` or `R#` item holds, by their position in the history: `entries` from `at` on, or (the
 * layout before one item per commit) one `entry` at the position its key names.
 */
function flushedSteps(item: Record<string, AttributeValue>): [number, RecordHistoryEntry][] {
  if (item.entries?.S !== undefined) {
    const at = Number(item.at?.N ?? 0);
    return (JSON.parse(item.entries.S) as RecordHistoryEntry[]).map((entry, i) => [at + i, entry]);
  }
  const sk = item.SK?.S ?? '';
  if (item.entry?.S !== undefined && sk.startsWith(HISTORY_PREFIX)) {
    return [[Number(sk.slice(HISTORY_PREFIX.length)), JSON.parse(item.entry.S) as RecordHistoryEntry]];
  }
  return [];
}

function partition(instanceId: string): string {
  return `INSTANCE#${instanceId}`;
}

function key(instanceId: string) {
  return { PK: { S: partition(instanceId) }, SK: { S: 'STATUS' } };
}

function parkedReplyKey(instanceId: string, requestId: string) {
  return { PK: { S: partition(instanceId) }, SK: { S: `${PARKED_REPLY_PREFIX}${requestId}` } };
}

function leaseKey(instanceId: string) {
  return { PK: { S: `INSTANCE#${instanceId}` }, SK: { S: 'LEASE' } };
}

/** A lease item outlives its expiry by a day before TTL may remove it (TTL deletes are not punctual). */
const LEASE_ITEM_GRACE_SECONDS = 24 * 3600;

/** The lease item's attribute for `Lease.dispatched_version`. */
const DISPATCHED_VERSION = 'dispatched_version';

function encode(record: InstanceRecord): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(record), 'utf8'));
}

/** The record in a status item's `record` attribute, as `save` encoded it (for readers in bulk). */
export function decodeRecord(blob: Uint8Array): InstanceRecord {
  return JSON.parse(gunzipSync(blob).toString('utf8')) as InstanceRecord;
}
