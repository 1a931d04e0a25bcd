import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { isDeepStrictEqual } from 'node:util';
import { groupCheckpointItems, type CheckpointGroup } from './checkpoint-groups';
import { CheckpointConfigError, CheckpointCorruptError, CheckpointWriteConflictError } from './errors';
import { joinChunks, placeValues } from './item-chunking';
import type { Item } from './item-size';
import { KnownValue, KnownValues } from './known-values';
import { isUpsert, mergeTaskWrites, sortPendingWrites, writeIndex } from './pending-writes';
import {
  ALL_CHECKPOINTS_PREFIX,
  ATTR,
  PARTITION_KEY_PREFIX,
  RESERVED_ATTRIBUTE_NAMES,
  chainExpiry,
  chainOf,
  checkpointItem,
  checkpointRecordFrom,
  checkpointSortKey,
  chunkDataFrom,
  chunkItem,
  chunkSortKey,
  decodeEnvelope,
  encodeEnvelope,
  inlineValuesFrom,
  itemKey,
  namespacePrefix,
  olderThanBound,
  parseSortKey,
  partitionKey,
  sortKeyOf,
  taskWritesItem,
  taskWritesPrefix,
  taskWritesRecordFrom,
  taskWritesSortKey,
  type CheckpointRecord,
  type ChunkedValue,
  type Key,
  type StoredValue,
  type StoredWrite,
  type TaskWritesRecord,
  type ValueLocation,
} from './storage-layout';
import { CheckpointTable, type SortKeyCondition } from './table-io';
import {
  LocationCache,
  locationsOf,
  needsParentLocations,
  planCarryOver,
  type Locations,
} from './value-locations';
import {
  DEFAULT_DELTA_LIMITS,
  JSON_SERDE_TYPE,
  applyDelta,
  decodeDelta,
  diffEntries,
  objectEntriesOf,
  objectPayload,
  planDelta,
  type DeltaLimits,
  type DeltaLink,
  type ObjectEntries,
} from './value-deltas';

export interface DynamoDBSaverTtl {
  /** Name of the table's TTL attribute (epoch seconds), e.g. `ttl`. */
  readonly attributeName: string;
  /** Every item expires this long after it is written. */
  readonly seconds: number;
  /**
   * A value carried unchanged from an ancestor is stored again once that ancestor is older than this, so a
   * new checkpoint never depends on items about to expire. Default: half of `seconds`.
   */
  readonly refreshAfterSeconds?: number;
}

/** How changed JSON object values are stored as deltas (value-deltas.ts); every field has a default. */
export interface DynamoDBSaverDeltaOptions extends Partial<DeltaLimits> {
  /** Memory for the recently read or written values deltas are computed against (default 32 MiB). */
  readonly cacheBytes?: number;
}

export interface DynamoDBSaverOptions {
  readonly client: DynamoDBClient;
  /** A table with string keys `PK` and `SK` (see `createCheckpointTable`). */
  readonly tableName: string;
  /**
   * Deltas rely on the serde's `json` type meaning a UTF-8 JSON text whose meaning does not depend on key
   * order or whitespace (true of LangGraph's JsonPlusSerializer); a serde for which that is false needs
   * `deltas: false`.
   */
  readonly serde?: SerializerProtocol;
  /** Expire a thread's items; without it items live until `deleteThread`. */
  readonly ttl?: DynamoDBSaverTtl;
  /** Store a changed JSON object value as what changed in it (default), or always whole (`false`). */
  readonly deltas?: DynamoDBSaverDeltaOptions | false;
}

/** Retries of the read-modify-write merge of one task's pending writes before giving up. */
const MAX_MERGE_ATTEMPTS = 5;
/** Items per page when looking for the latest checkpoint: its task items, then the checkpoint item. */
const LATEST_PAGE_SIZE = 16;

const BODY = Symbol('checkpoint body');
const METADATA = Symbol('checkpoint metadata');
type Slot = string | typeof BODY | typeof METADATA;

/**
 * LangGraph checkpointer on one DynamoDB table, without transactions. The storage layout and its
 * invariants are in storage-layout.ts; this class only orders the reads and writes:
 * - `put` writes the chunks of large values, then the checkpoint item, which is the commit point; a changed
 *   JSON object value it knows the previous value of is stored as a delta over it (value-deltas.ts);
 * - `putWrites` writes a task's writes as one item (chunks first), merged by LangGraph's rules;
 * - reads are strongly consistent and see a checkpoint whole, or not at all.
 */
export class DynamoDBSaver extends BaseCheckpointSaver {
  private readonly table: CheckpointTable;
  private readonly ttl: DynamoDBSaverTtl | undefined;
  private readonly locations = new LocationCache();
  private readonly deltaLimits: DeltaLimits | undefined;
  private readonly knownValues: KnownValues;

  constructor(options: DynamoDBSaverOptions) {
    super(options.serde);
    if (options.tableName.length < 3)
      throw new CheckpointConfigError('tableName must have at least 3 characters');
    if (options.ttl !== undefined) {
      if (RESERVED_ATTRIBUTE_NAMES.has(options.ttl.attributeName)) {
        throw new CheckpointConfigError(`TTL attribute ${options.ttl.attributeName} is used by the layout`);
      }
      if (!(options.ttl.seconds > 0)) throw new CheckpointConfigError('ttl.seconds must be positive');
    }
    this.table = new CheckpointTable(options.client, options.tableName);
    this.ttl = options.ttl;
    const deltas = options.deltas ?? {};
    if (deltas !== false) {
      const { cacheBytes, ...limits } = deltas;
      this.deltaLimits = { ...DEFAULT_DELTA_LIMITS, ...definedFields(limits) };
      if (!(this.deltaLimits.maxLinks >= 1) || !(this.deltaLimits.maxChainFraction > 0)) {
        throw new CheckpointConfigError('deltas.maxLinks must be at least 1 and maxChainFraction positive');
      }
      this.knownValues = new KnownValues(cacheBytes);
    } else {
      this.knownValues = new KnownValues(0, 0);
    }
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = optionalThreadId(config);
    if (threadId === undefined) return undefined;
    const ns = namespaceOf(config) ?? '';
    const checkpointId = getCheckpointId(config);
    const items = checkpointId
      ? this.table.query({
          pk: partitionKey(threadId),
          sk: { beginsWith: checkpointSortKey(ns, checkpointId) },
        })
      : this.table.query({
          pk: partitionKey(threadId),
          sk: { beginsWith: namespacePrefix(ns) },
          descending: true,
          pageSize: LATEST_PAGE_SIZE,
        });
    // What LangGraph reads with getTuple it usually writes a child of next: keep its values for deltas.
    for await (const group of this.liveGroups(items)) return this.assembleTuple(group, true);
    return undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    if (limit !== undefined && limit <= 0) return;
    const threadId = optionalThreadId(config);
    const ns = namespaceOf(config);
    const checkpointId = getCheckpointId(config) || undefined;
    const beforeId = before ? getCheckpointId(before) || undefined : undefined;

    let remaining = limit;
    for await (const group of this.liveGroups(this.listItems(threadId, ns, checkpointId, beforeId, limit))) {
      const record = group.checkpoint;
      if (ns !== undefined && record.ns !== ns) continue;
      if (checkpointId !== undefined && record.checkpointId !== checkpointId) continue;
      if (beforeId !== undefined && !(record.checkpointId < beforeId)) continue;
      if (filter !== undefined && Object.keys(filter).length > 0) {
        const [metadata] = await this.load(record.threadId, record.ns, [[{ stored: record.metadata }]]);
        if (!matchesFilter(metadata?.value, filter)) continue;
      }
      yield await this.assembleTuple(group, false);
      if (remaining !== undefined && --remaining <= 0) return;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = requiredThreadId(config, 'put');
    const ns = namespaceOf(config) ?? '';
    const parentId = getCheckpointId(config) || undefined;
    const expiresAt = this.expiresAt();
    const refreshBefore = this.refreshBefore();
    const { channel_values: values, ...body } = checkpoint;

    // Values to store: the changed channels that have one, and unchanged ones whose origin expires soon.
    const toStore = new Set(Object.keys(newVersions).filter((channel) => hasOwn(values, channel)));
    const restore = new Set<string>();
    let carried = new Map<string, ValueLocation>();
    let parent: Locations | undefined;
    if (parentId !== undefined) {
      // Carrying unchanged channels needs the parent's locations; a delta needs them too, but only from the
      // cache: a parent this saver neither read nor wrote has no known values to compute a delta against.
      parent = needsParentLocations(checkpoint.channel_versions, newVersions)
        ? await this.locationsOfCheckpoint(threadId, ns, parentId)
        : this.locations.get(threadId, ns, parentId);
      const plan = planCarryOver(checkpoint.channel_versions, newVersions, parent, refreshBefore);
      carried = plan.carried;
      for (const channel of plan.restore) {
        if (!hasOwn(values, channel)) continue;
        toStore.add(channel);
        restore.add(channel);
      }
    }

    const envelopes = new Map<Slot, Uint8Array>([
      [BODY, await this.serialize(body)],
      [METADATA, await this.serialize(metadata)],
    ]);
    const bases = new Map<string, ValueLocation>();
    const known = new Map<string, (location: ValueLocation) => KnownValue>();
    for (const channel of [...toStore]) {
      const envelope = await this.serialize(values[channel]);
      const previous = restore.has(channel) ? undefined : parent?.get(channel);
      const plan = this.planValue(threadId, ns, channel, envelope, previous, refreshBefore);
      if (plan.kind === 'unchanged') {
        // Same entries as the parent's value (LangGraph bumps a version on every write): carry it.
        toStore.delete(channel);
        carried.set(channel, plan.location);
        continue;
      }
      envelopes.set(channel, plan.envelope);
      if (plan.base !== undefined) bases.set(channel, plan.base);
      if (plan.known !== undefined) known.set(channel, plan.known);
    }
    const { placed, chunks } = placeValues<Slot>(threadId, envelopes, expiresAt, new Set([BODY, METADATA]));

    const record: CheckpointRecord = {
      threadId,
      ns,
      checkpointId: checkpoint.id,
      ...(parentId !== undefined ? { parentId } : {}),
      checkpoint: placed.get(BODY) as StoredValue,
      metadata: placed.get(METADATA) as StoredValue,
      values: new Map([...toStore].map((channel) => [channel, placed.get(channel) as StoredValue])),
      bases,
      carried,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    // Commit order: every chunk acknowledged, then the checkpoint item.
    await this.table.batchPut(chunks.map((chunk) => chunkItem(chunk, this.ttl?.attributeName)));
    await this.table.put(checkpointItem(record, this.ttl?.attributeName));
    const locations = locationsOf(record);
    this.locations.set(threadId, ns, checkpoint.id, locations);
    for (const [channel, knownAt] of known) {
      const location = locations.get(channel);
      if (location !== undefined) this.knownValues.set(threadId, ns, channel, knownAt(location));
    }
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath = '',
  ): Promise<void> {
    const threadId = requiredThreadId(config, 'putWrites');
    const checkpointId = getCheckpointId(config);
    if (!checkpointId) throw new CheckpointConfigError('putWrites needs configurable.checkpoint_id');
    if (writes.length === 0) return;
    const task = { threadId, ns: namespaceOf(config) ?? '', checkpointId, taskId };
    const upsert = isUpsert(writes.map(([channel]) => channel));
    const serialized = await Promise.all(
      writes.map(async ([channel, value], position): Promise<WriteEntry> => ({
        idx: writeIndex(channel, position),
        channel,
        taskPath,
        value: await this.serialize(value),
      })),
    );
    // One write per idx: LangGraph's rule also settles duplicates inside one call.
    let incoming = mergeTaskWrites([], serialized, upsert).writes;

    // Usually the task's first writes, all small: one conditional put, no read.
    const expiresAt = this.expiresAt();
    const direct = placeValues(threadId, entryValues(incoming), expiresAt);
    if (direct.chunks.length === 0) {
      const item = taskWritesItem(
        { ...task, revision: 1, writes: withPlacement(incoming, direct.placed), ...ttlField(expiresAt) },
        this.ttl?.attributeName,
      );
      if (await this.table.putIfAbsent(item)) return;
    }
    // Otherwise merge with what is stored (read first, so nothing is written for writes already there),
    // guarded by the item's revision against a concurrent writer.
    for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt += 1) {
      const existingItem = await this.table.get(
        itemKey(threadId, taskWritesSortKey(task.ns, checkpointId, taskId)),
      );
      const existing = existingItem && taskWritesRecordFrom(existingItem, this.ttl?.attributeName);
      const merged = mergeTaskWrites(existing ? existing.writes.map(toEntry) : [], incoming, upsert);
      if (!merged.changed) return;
      const { placed, chunks } = placeValues(threadId, entryValues(merged.writes), expiresAt);
      await this.table.batchPut(chunks.map((chunk) => chunkItem(chunk, this.ttl?.attributeName)));
      // Chunks of incoming values are written once, even if the put below must be retried.
      incoming = incoming.map((entry) =>
        merged.ignored.includes(entry)
          ? entry
          : { ...entry, value: reusable(placed.get(entry.idx), entry.value) },
      );
      const record: TaskWritesRecord = {
        ...task,
        revision: (existing?.revision ?? 0) + 1,
        writes: withPlacement(merged.writes, placed),
        ...ttlField(expiresAt),
      };
      const item = taskWritesItem(record, this.ttl?.attributeName);
      const committed = existing
        ? await this.table.putIfAttributeEquals(item, ATTR.revision, { N: String(existing.revision) })
        : await this.table.putIfAbsent(item);
      if (committed) return;
    }
    throw new CheckpointWriteConflictError(
      `pending writes of task ${taskId} on checkpoint ${checkpointId} kept changing; retry the call`,
    );
  }

  async deleteThread(threadId: string): Promise<void> {
    const checkpoints: Key[] = [];
    const others: Key[] = [];
    for await (const item of this.table.query({
      pk: partitionKey(threadId),
      projection: [ATTR.pk, ATTR.sk],
    })) {
      const key = { PK: { S: item.PK?.S ?? '' }, SK: { S: sortKeyOf(item) } };
      (parseSortKey(key.SK.S).kind === 'checkpoint' ? checkpoints : others).push(key);
    }
    // Commit points first: a concurrent reader then sees fewer checkpoints, never one with parts missing.
    await this.table.batchDelete(checkpoints);
    await this.table.batchDelete(others);
    this.locations.forgetThread(threadId);
    this.knownValues.forgetThread(threadId);
  }

  /* ---------------------------------------------------------------------------------------------- */

  /** Items to list, narrowed by the key as far as the arguments allow; `list` filters the rest. */
  private listItems(
    threadId: string | undefined,
    ns: string | undefined,
    checkpointId: string | undefined,
    beforeId: string | undefined,
    limit: number | undefined,
  ): AsyncIterable<Item> {
    if (threadId === undefined) return this.scanAllCheckpointItems();
    let sk: SortKeyCondition = { beginsWith: ALL_CHECKPOINTS_PREFIX };
    if (ns !== undefined && checkpointId !== undefined)
      sk = { beginsWith: checkpointSortKey(ns, checkpointId) };
    else if (ns !== undefined && beforeId !== undefined) {
      sk = { between: [namespacePrefix(ns), olderThanBound(ns, beforeId)] };
    } else if (ns !== undefined) sk = { beginsWith: namespacePrefix(ns) };
    // With a small limit, small pages: a checkpoint is its item plus a few task items.
    const pageSize = limit !== undefined ? Math.min(250, 8 * limit + 8) : undefined;
    return this.table.query({
      pk: partitionKey(threadId),
      sk,
      descending: true,
      ...(pageSize !== undefined ? { pageSize } : {}),
    });
  }

  /** Listing without a thread id scans the whole table (an admin and test path): threads in id order. */
  private async *scanAllCheckpointItems(): AsyncGenerator<Item> {
    const items: Item[] = [];
    for await (const item of this.table.scan(PARTITION_KEY_PREFIX, ALL_CHECKPOINTS_PREFIX)) items.push(item);
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    items.sort((a, b) => compare(a.PK?.S ?? '', b.PK?.S ?? '') || compare(sortKeyOf(b), sortKeyOf(a)));
    yield* items;
  }

  /** Groups of the item stream, without the checkpoints whose TTL (or an origin's) has passed. */
  private async *liveGroups(items: AsyncIterable<Item>): AsyncGenerator<CheckpointGroup> {
    const now = nowSeconds();
    for await (const group of groupCheckpointItems(items, this.ttl?.attributeName)) {
      if (this.ttl !== undefined && expiryOf(group.checkpoint) <= now) continue;
      yield group;
    }
  }

  /**
   * Builds the tuple of a committed checkpoint: one batch read for everything it references (and a second
   * one for chunks only known from an origin item). With `remember`, its JSON object values are kept for
   * the deltas of the checkpoints written after it.
   */
  private async assembleTuple(group: CheckpointGroup, remember: boolean): Promise<CheckpointTuple> {
    const { checkpoint: record, tasks } = group;
    const { threadId, ns, checkpointId } = record;
    const writes = sortPendingWrites(
      tasks.flatMap((task) => task.writes.map((write) => ({ ...write, taskId: task.taskId }))),
    );
    const valueChannels = [...record.values.keys(), ...record.carried.keys()];
    const loaded = await this.load(threadId, ns, [
      [{ stored: record.checkpoint }],
      [{ stored: record.metadata }],
      ...valueChannels.map((channel) => valueRef(record, channel)),
      ...writes.map((write): ValueRef => [{ stored: write.value }]),
    ]);
    const [body, metadata, ...rest] = loaded.map((entry) => entry.value);
    const channelValues = Object.fromEntries(valueChannels.map((channel, i) => [channel, rest[i]]));
    const pendingWrites = writes.map((write, i): CheckpointPendingWrite => [
      write.taskId,
      write.channel,
      rest[valueChannels.length + i],
    ]);
    const checkpoint = {
      ...(body as Omit<Checkpoint, 'channel_values'>),
      channel_values: channelValues,
    } as Checkpoint;
    if (checkpoint.v < 4 && record.parentId !== undefined) {
      await this.migratePendingSends(checkpoint, threadId, ns, record.parentId);
    }
    const locations = locationsOf(record);
    this.locations.set(threadId, ns, checkpointId, locations);
    if (remember) {
      valueChannels.forEach((channel, i) => {
        const location = locations.get(channel);
        const known = location && loaded[2 + i]?.known?.(location);
        if (known) this.knownValues.set(threadId, ns, channel, known);
      });
    }
    return {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } },
      checkpoint,
      metadata: metadata as CheckpointMetadata,
      pendingWrites,
      ...(record.parentId !== undefined
        ? {
            parentConfig: {
              configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: record.parentId },
            },
          }
        : {}),
    };
  }

  /**
   * Checkpoints older than format 4 kept pending sends in the checkpoint; they now come from the
   * parent's TASKS writes, in pending-writes order.
   */
  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string) {
    const sends: (StoredWrite & { taskId: string })[] = [];
    const items = this.table.query({
      pk: partitionKey(threadId),
      sk: { beginsWith: taskWritesPrefix(ns, parentId) },
    });
    for await (const item of items) {
      const task = taskWritesRecordFrom(item, this.ttl?.attributeName);
      for (const write of task.writes)
        if (write.channel === TASKS) sends.push({ ...write, taskId: task.taskId });
    }
    const ordered = sortPendingWrites(sends);
    const loaded = await this.load(
      threadId,
      ns,
      ordered.map((write): ValueRef => [{ stored: write.value }]),
    );
    checkpoint.channel_values[TASKS] = loaded.map((entry) => entry.value);
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  /** Where the values of a checkpoint live, from the cache or its item. */
  private async locationsOfCheckpoint(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<Locations | undefined> {
    const cached = this.locations.get(threadId, ns, checkpointId);
    if (cached !== undefined) return cached;
    const item = await this.table.get(itemKey(threadId, checkpointSortKey(ns, checkpointId)));
    if (item === undefined) return undefined;
    const locations = locationsOf(checkpointRecordFrom(item, this.ttl?.attributeName));
    this.locations.set(threadId, ns, checkpointId, locations);
    return locations;
  }

  /**
   * Deserialized values of stored envelopes (inline, chunked, or inline in an origin checkpoint), each
   * assembled from its chain when it is stored as deltas.
   */
  private async load(threadId: string, ns: string, refs: readonly ValueRef[]): Promise<Loaded[]> {
    // One batch read fetches the origin items and every chunk whose reference is already known.
    const fetched = new Map<string, Item>();
    const fetch = async (keys: readonly Key[]) => {
      const missing = keys.filter((key) => !fetched.has(key.SK.S));
      if (missing.length === 0) return;
      for (const item of await this.table.batchGet(missing, [ATTR.sk, ATTR.values, ATTR.chunkData])) {
        fetched.set(sortKeyOf(item), item);
      }
    };
    await fetch(
      refs.flat().flatMap((link) => {
        if ('origin' in link) return [itemKey(threadId, checkpointSortKey(ns, link.origin))];
        return link.stored.kind === 'chunked' ? chunkKeys(threadId, link.stored) : [];
      }),
    );
    const originValues = new Map<string, ReadonlyMap<string, StoredValue>>();
    const valuesOf = (originId: string) => {
      const sk = checkpointSortKey(ns, originId);
      const item = fetched.get(sk);
      if (item !== undefined && !originValues.has(sk)) originValues.set(sk, inlineValuesFrom(item));
      return originValues.get(sk);
    };
    const resolve = (link: LinkRef): StoredValue => {
      if (!('origin' in link)) return link.stored;
      const value = valuesOf(link.origin)?.get(link.channel);
      if (value === undefined) {
        throw new CheckpointCorruptError(
          `value of ${link.channel} stored by checkpoint ${link.origin} is missing`,
        );
      }
      return value;
    };
    const stored = refs.map((ref) => ref.map(resolve));
    // Only an origin holding a chunk reference needs a second read; carried chunked values are in `r`.
    await fetch(
      stored.flat().flatMap((value) => (value.kind === 'chunked' ? chunkKeys(threadId, value) : [])),
    );
    const bytesOf = (value: StoredValue): Uint8Array =>
      value.kind === 'inline'
        ? value.bytes
        : joinChunks(value, (seq) => {
            const item = fetched.get(chunkSortKey(value.chunkSetId, seq));
            return item === undefined ? undefined : chunkDataFrom(item);
          });
    return Promise.all(
      stored.map(async (chain): Promise<Loaded> => {
        const envelopes = chain.map(bytesOf);
        const [envelope] = envelopes;
        if (envelopes.length > 1) return this.assembleChain(envelopes);
        if (envelope === undefined) throw new CheckpointCorruptError('a value reference has no link');
        return { value: await this.deserialize(envelope), known: this.knowWhole(envelope) };
      }),
    );
  }

  /** A value stored as deltas: the whole value at the end of the chain, each delta applied in turn. */
  private async assembleChain(envelopes: readonly Uint8Array[]): Promise<Loaded> {
    const wholeEnvelope = envelopes[envelopes.length - 1] as Uint8Array;
    const { type, payload } = decodeEnvelope(wholeEnvelope);
    const entries = type === JSON_SERDE_TYPE ? objectEntriesOf(payload) : undefined;
    if (entries === undefined) {
      throw new CheckpointCorruptError(`the whole value under a delta is not a JSON object (type ${type})`);
    }
    const links: DeltaLink[] = [];
    for (let i = envelopes.length - 2; i >= 0; i -= 1) {
      const envelope = envelopes[i] as Uint8Array;
      const delta = decodeDelta(envelope, `delta ${i} of a chain of ${envelopes.length}`);
      applyDelta(entries, delta);
      links.push({ delta, bytes: envelope.byteLength });
    }
    links.reverse();
    return {
      value: await this.serde.loadsTyped(JSON_SERDE_TYPE, objectPayload(entries)),
      known: (location) => new KnownValue(location, wholeEnvelope.byteLength, links, { entries }),
    };
  }

  /** How to remember a value read whole, if later deltas could be computed against it. */
  private knowWhole(envelope: Uint8Array): Loaded['known'] {
    if (this.deltaLimits === undefined || envelope.byteLength < this.deltaLimits.minValueBytes)
      return undefined;
    const { type, payload } = decodeEnvelope(envelope);
    if (type !== JSON_SERDE_TYPE) return undefined;
    return (location) => new KnownValue(location, envelope.byteLength, [], { payload });
  }

  /**
   * How `put` stores the new value of a changed channel: whole, as a delta over the value at `previous`
   * (when this saver knows that value and both are JSON objects), or not at all when nothing in it changed.
   */
  private planValue(
    threadId: string,
    ns: string,
    channel: string,
    envelope: Uint8Array,
    previous: ValueLocation | undefined,
    refreshBefore: number | undefined,
  ): ValuePlan {
    const limits = this.deltaLimits;
    if (limits === undefined || envelope.byteLength < limits.minValueBytes)
      return { kind: 'store', envelope };
    const { type, payload } = decodeEnvelope(envelope);
    if (type !== JSON_SERDE_TYPE) return { kind: 'store', envelope };
    const whole = (entries: ObjectEntries | undefined, parsed: boolean): ValuePlan => {
      if (parsed && entries === undefined) return { kind: 'store', envelope };
      const source = entries !== undefined ? { entries } : { payload };
      return {
        kind: 'store',
        envelope,
        known: (location) => new KnownValue(location, envelope.byteLength, [], source),
      };
    };
    const base = previous && this.knownValues.get(threadId, ns, channel, previous);
    // Unknown previous value, or (with a TTL) one whose chain expires too soon to build on: store whole.
    if (previous === undefined || base === undefined) return whole(undefined, false);
    if (refreshBefore !== undefined && chainExpiry(previous) < refreshBefore) return whole(undefined, false);
    const baseEntries = base.entries();
    const entries = objectEntriesOf(payload);
    if (baseEntries === undefined || entries === undefined) return whole(entries, true);
    const change = diffEntries(baseEntries, entries);
    const plan = planDelta(base.links, base.wholeBytes, envelope.byteLength, change, limits);
    if (plan.kind === 'unchanged') return { kind: 'unchanged', location: previous };
    if (plan.kind === 'whole') return whole(entries, true);
    const links = [
      { delta: plan.delta, bytes: plan.envelope.byteLength },
      ...base.links.slice(plan.replaces),
    ];
    return {
      kind: 'store',
      envelope: plan.envelope,
      base: chainOf(previous)[plan.replaces],
      known: (location) => new KnownValue(location, base.wholeBytes, links, { entries }),
    };
  }

  private async serialize(value: unknown): Promise<Uint8Array> {
    const [type, payload] = await this.serde.dumpsTyped(value);
    return encodeEnvelope(type, payload);
  }

  private async deserialize(envelope: Uint8Array): Promise<unknown> {
    const { type, payload } = decodeEnvelope(envelope);
    return this.serde.loadsTyped(type, payload);
  }

  private expiresAt(): number | undefined {
    return this.ttl === undefined ? undefined : nowSeconds() + this.ttl.seconds;
  }

  /** With a TTL, carried values whose origin expires before this are stored again. */
  private refreshBefore(): number | undefined {
    if (this.ttl === undefined) return undefined;
    const refreshAfter = this.ttl.refreshAfterSeconds ?? this.ttl.seconds / 2;
    return nowSeconds() + this.ttl.seconds - refreshAfter;
  }
}

/** A pending write while it is being placed: its envelope, or a chunk set already written for it. */
type WriteEntry = Omit<StoredWrite, 'value'> & { readonly value: Uint8Array | ChunkedValue };

function toEntry(write: StoredWrite): WriteEntry {
  return { ...write, value: write.value.kind === 'inline' ? write.value.bytes : write.value };
}

function entryValues(entries: readonly WriteEntry[]): Map<number, Uint8Array | ChunkedValue> {
  return new Map(entries.map((entry) => [entry.idx, entry.value]));
}

function withPlacement(
  entries: readonly WriteEntry[],
  placed: ReadonlyMap<number, StoredValue>,
): StoredWrite[] {
  return entries.map((entry) => ({ ...entry, value: placed.get(entry.idx) as StoredValue }));
}

/** Keeps a chunk set the placement wrote for an entry, so a retry does not write it again. */
function reusable(
  placed: StoredValue | undefined,
  value: Uint8Array | ChunkedValue,
): Uint8Array | ChunkedValue {
  return placed?.kind === 'chunked' ? placed : value;
}

function ttlField(expiresAt: number | undefined): { expiresAt?: number } {
  return expiresAt !== undefined ? { expiresAt } : {};
}

/** One stored link of a value: a stored envelope, or the inline value of `channel` in an origin item. */
type LinkRef = { readonly stored: StoredValue } | { readonly origin: string; readonly channel: string };

/** A value to load: its chain, newest link first; a value stored whole is a chain of one. */
type ValueRef = readonly LinkRef[];

/** A loaded value, and how to remember it for deltas (when it is a large enough JSON value). */
interface Loaded {
  readonly value: unknown;
  readonly known?: ((location: ValueLocation) => KnownValue) | undefined;
}

/** How `put` stores one changed channel. */
type ValuePlan =
  | { readonly kind: 'unchanged'; readonly location: ValueLocation }
  | {
      readonly kind: 'store';
      /** A whole value, or a delta over `base`. */
      readonly envelope: Uint8Array;
      readonly base?: ValueLocation | undefined;
      /** How to remember the value once committed at its location. */
      readonly known?: ((location: ValueLocation) => KnownValue) | undefined;
    };

/** The chain of a channel value of a checkpoint: its own (whole or delta over its base), or carried. */
function valueRef(record: CheckpointRecord, channel: string): ValueRef {
  const stored = record.values.get(channel);
  const linkRef = (link: ValueLocation): LinkRef =>
    link.chunked ? { stored: link.chunked } : { origin: link.originId, channel };
  if (stored !== undefined) {
    const base = record.bases.get(channel);
    return [{ stored }, ...(base !== undefined ? chainOf(base).map(linkRef) : [])];
  }
  const carried = record.carried.get(channel);
  if (carried === undefined) throw new CheckpointCorruptError(`checkpoint has no value for ${channel}`);
  return chainOf(carried).map(linkRef);
}

/** The fields of `value` that are not undefined. */
function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function chunkKeys(threadId: string, ref: ChunkedValue): Key[] {
  return Array.from({ length: ref.chunkCount }, (_, seq) =>
    itemKey(threadId, chunkSortKey(ref.chunkSetId, seq)),
  );
}

/** A checkpoint is gone when it, or any item it takes a value (or a delta's base) from, has expired. */
function expiryOf(record: CheckpointRecord): number {
  let expiry = record.expiresAt ?? Infinity;
  for (const location of record.carried.values()) expiry = Math.min(expiry, chainExpiry(location));
  for (const base of record.bases.values()) expiry = Math.min(expiry, chainExpiry(base));
  return expiry;
}

function matchesFilter(metadata: unknown, filter: Record<string, unknown>): boolean {
  const fields = (metadata ?? {}) as Record<string, unknown>;
  return Object.entries(filter).every(([key, value]) => isDeepStrictEqual(fields[key], value));
}

function optionalThreadId(config: RunnableConfig): string | undefined {
  const threadId: unknown = config.configurable?.thread_id;
  if (threadId === undefined || threadId === null) return undefined;
  if (typeof threadId !== 'string' && typeof threadId !== 'number') {
    throw new CheckpointConfigError('configurable.thread_id must be a string');
  }
  return String(threadId);
}

function requiredThreadId(config: RunnableConfig, operation: string): string {
  const threadId = optionalThreadId(config);
  if (threadId === undefined || threadId === '') {
    throw new CheckpointConfigError(
      `${operation} needs configurable.thread_id, e.g. graph.invoke(input, { configurable: { thread_id } })`,
    );
  }
  return threadId;
}

function namespaceOf(config: RunnableConfig): string | undefined {
  const ns: unknown = config.configurable?.checkpoint_ns;
  if (ns === undefined || ns === null) return undefined;
  if (typeof ns !== 'string') throw new CheckpointConfigError('configurable.checkpoint_ns must be a string');
  return ns;
}

function hasOwn(values: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(values, key);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
