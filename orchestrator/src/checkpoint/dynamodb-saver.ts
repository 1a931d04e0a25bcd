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
import { BODY_SHAPE } from './body-entries';
import { appendsToChain, rebasesOnWhole } from './body-deltas';
import { ChainReader, FetchedItems, type KnownChain, type LinkRef, type ValueRequest } from './chain-reader';
import { groupCheckpointItems, type CheckpointGroup } from './checkpoint-groups';
import { decodeEnvelope, encodeEnvelope } from './envelope';
import { compressEnvelope, expandEnvelope } from './envelope-compression';
import { CheckpointConfigError, CheckpointCorruptError, CheckpointWriteConflictError } from './errors';
import { placeValues, splitIntoChunks } from './item-chunking';
import { itemSizeBytes, type Item } from './item-size';
import { KnownValue, KnownValues } from './known-values';
import { packWrites, type PackedWrite } from './packed-writes';
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
  chunkItem,
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
  bodyLocationOf,
  locationsOf,
  needsParentLocations,
  planCarryOver,
  type Locations,
} from './value-locations';
import {
  DEFAULT_DELTA_LIMITS,
  JSON_SERDE_TYPE,
  diffEntries,
  composeDeltas,
  encodeDelta,
  objectEntriesOf,
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

/**
 * How changed JSON object values, and checkpoint bodies, are stored as deltas (value-deltas.ts,
 * body-deltas.ts); every field has a default.
 */
export interface DynamoDBSaverDeltaOptions extends Partial<DeltaLimits> {
  /** Memory for the recently read or written values deltas are computed against (default 32 MiB). */
  readonly cacheBytes?: number;
  /** Memory for the recently read or written checkpoint bodies (default 16 MiB: 100 KB at 500 nodes). */
  readonly bodyCacheBytes?: number;
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
  /**
   * Store a changed JSON object value, and the checkpoint body, as what changed in it (default), or always
   * whole (`false`).
   */
  readonly deltas?: DynamoDBSaverDeltaOptions | false;
}

/** Retries of the read-modify-write merge of one task's pending writes before giving up. */
const MAX_MERGE_ATTEMPTS = 5;
/** Items per page when looking for the latest checkpoint: its task items, then the checkpoint item. */
const LATEST_PAGE_SIZE = 16;
/** Memory a listing keeps the items it fetched in, for the chains of the next checkpoints it lists. */
const LISTING_CACHE_BYTES = 8 * 1024 * 1024;

const BODY = Symbol('checkpoint body');
const METADATA = Symbol('checkpoint metadata');
type Slot = string | typeof BODY | typeof METADATA;
/** The key of checkpoint bodies in their own KnownValues. */
const BODY_KEY = 'body';

/**
 * LangGraph checkpointer on one DynamoDB table, without transactions. The storage layout and its
 * invariants are in storage-layout.ts; this class only orders the reads and writes:
 * - `put` writes the chunks of large values, then the checkpoint item, which is the commit point; a changed
 *   JSON object value it knows the previous value of is stored as a delta over it (value-deltas.ts), and so
 *   is the checkpoint body when it knows the parent's (body-deltas.ts);
 * - `putWrites` writes a task's writes as one item (chunks first), merged by LangGraph's rules;
 * - reads are strongly consistent and see a checkpoint whole, or not at all; they fetch only the links of
 *   chains this process does not already know (chain-reader.ts).
 */
export class DynamoDBSaver extends BaseCheckpointSaver {
  private readonly table: CheckpointTable;
  private readonly ttl: DynamoDBSaverTtl | undefined;
  private readonly locations = new LocationCache();
  private readonly deltaLimits: DeltaLimits | undefined;
  private readonly knownValues: KnownValues;
  private readonly knownBodies: KnownValues;
  private readonly reader: ChainReader;

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
      const { cacheBytes, bodyCacheBytes, ...limits } = deltas;
      this.deltaLimits = { ...DEFAULT_DELTA_LIMITS, ...definedFields(limits) };
      if (!(this.deltaLimits.maxLinks >= 1) || !(this.deltaLimits.maxChainFraction > 0)) {
        throw new CheckpointConfigError('deltas.maxLinks must be at least 1 and maxChainFraction positive');
      }
      this.knownValues = new KnownValues(cacheBytes);
      this.knownBodies = new KnownValues(bodyCacheBytes ?? 16 * 1024 * 1024);
    } else {
      this.knownValues = new KnownValues(0, 0);
      this.knownBodies = new KnownValues(0, 0);
    }
    this.reader = new ChainReader(this.table, this.serde);
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
    // The checkpoints listed share most of their chains' links: each is fetched once per listing.
    const fetched = new FetchedItems(LISTING_CACHE_BYTES);
    for await (const group of this.liveGroups(this.listItems(threadId, ns, checkpointId, beforeId, limit))) {
      const record = group.checkpoint;
      if (ns !== undefined && record.ns !== ns) continue;
      if (checkpointId !== undefined && record.checkpointId !== checkpointId) continue;
      if (beforeId !== undefined && !(record.checkpointId < beforeId)) continue;
      if (filter !== undefined && Object.keys(filter).length > 0) {
        const [metadata] = await this.reader.load(record.threadId, record.ns, [
          { links: [{ stored: record.metadata }] },
        ]);
        if (!matchesFilter(metadata?.value, filter)) continue;
      }
      yield await this.assembleTuple(group, false, fetched);
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

    const bodyPlan = this.planBody(threadId, ns, parentId, await this.serialize(body), refreshBefore);
    // A large body link (a whole body, a rebased delta) gets an item of its own: the checkpoint items that
    // values and later body deltas are read from stay small (storage-layout).
    const ownBodyItem =
      this.deltaLimits !== undefined && bodyPlan.stored.byteLength >= this.deltaLimits.minBodyBytes
        ? splitIntoChunks(threadId, bodyPlan.stored, expiresAt)
        : undefined;
    const envelopes = new Map<Slot, Uint8Array | ChunkedValue>([
      [BODY, ownBodyItem?.ref ?? bodyPlan.stored],
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
      // Compressed when that makes it smaller (a list of waits, a visit counter rebased whole): DynamoDB
      // bills the item's bytes, rounded up to the next KB, and a step's item sits near 1 KB.
      envelopes.set(channel, compressEnvelope(plan.envelope));
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
      ...(bodyPlan.base !== undefined ? { bodyBase: bodyPlan.base } : {}),
      metadata: placed.get(METADATA) as StoredValue,
      values: new Map([...toStore].map((channel) => [channel, placed.get(channel) as StoredValue])),
      bases,
      carried,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    // Commit order: every chunk acknowledged, then the checkpoint item.
    const allChunks = [...(ownBodyItem?.chunks ?? []), ...chunks];
    await this.table.batchPut(allChunks.map((chunk) => chunkItem(chunk, this.ttl?.attributeName)));
    await this.table.put(checkpointItem(record, this.ttl?.attributeName));
    const locations = locationsOf(record);
    this.locations.set(threadId, ns, checkpoint.id, locations);
    const knownBody = bodyPlan.known?.(bodyLocationOf(record));
    if (knownBody !== undefined) this.knownBodies.set(threadId, ns, BODY_KEY, knownBody);
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
    // Each stored value's envelope as serialized, so packing them (taskItem) need not expand them again.
    const envelopes = new WeakMap<Uint8Array, Uint8Array>();
    const serialized = await Promise.all(
      writes.map(async ([channel, value], position): Promise<WriteEntry> => {
        const envelope = await this.serialize(value);
        // Compressed when that makes it smaller: an interrupt carries its wait's request, and a resume
        // reads the pending writes of every task still waiting (a fan-out's branches).
        const stored = compressEnvelope(envelope);
        envelopes.set(stored, envelope);
        return { idx: writeIndex(channel, position), channel, taskPath, value: stored };
      }),
    );
    // One write per idx: LangGraph's rule also settles duplicates inside one call.
    let incoming = mergeTaskWrites([], serialized, upsert).writes;

    // Usually the task's first writes, all small: one conditional put, no read.
    const expiresAt = this.expiresAt();
    const direct = placeValues(threadId, entryValues(incoming), expiresAt);
    if (direct.chunks.length === 0) {
      const item = this.taskItem(
        { ...task, revision: 1, writes: withPlacement(incoming, direct.placed), ...ttlField(expiresAt) },
        envelopes,
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
      const item = this.taskItem(record, envelopes);
      const committed = existing
        ? await this.table.putIfAttributeEquals(item, ATTR.revision, { N: String(existing.revision) })
        : await this.table.putIfAbsent(item);
      if (committed) return;
    }
    throw new CheckpointWriteConflictError(
      `pending writes of task ${taskId} on checkpoint ${checkpointId} kept changing; retry the call`,
    );
  }

  /**
   * A task's writes item: packed (packed-writes.ts) when that is smaller, one map per write otherwise.
   * `envelopes`: the envelopes of values serialized in this call, by their stored bytes; a value read
   * back from the store is expanded.
   */
  private taskItem(record: TaskWritesRecord, envelopes: WeakMap<Uint8Array, Uint8Array>): Item {
    const listed = taskWritesItem(record, this.ttl?.attributeName);
    const inline: PackedWrite[] = [];
    for (const write of record.writes) {
      if (write.value.kind !== 'inline') return listed;
      const bytes = write.value.bytes;
      inline.push({ ...write, envelope: envelopes.get(bytes) ?? expandEnvelope(bytes) });
    }
    const packed = taskWritesItem({ ...record, packed: packWrites(inline) }, this.ttl?.attributeName);
    return itemSizeBytes(packed) < itemSizeBytes(listed) ? packed : listed;
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
    this.knownBodies.forgetThread(threadId);
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
   * Builds the tuple of a committed checkpoint: one batch read for everything it references that this
   * process does not know (and a second one for chunks only known from an origin item). With `remember`,
   * its body and JSON object values are kept for the deltas of the checkpoints written after it.
   */
  private async assembleTuple(
    group: CheckpointGroup,
    remember: boolean,
    fetched?: FetchedItems,
  ): Promise<CheckpointTuple> {
    const { checkpoint: record, tasks } = group;
    const { threadId, ns, checkpointId } = record;
    const writes = sortPendingWrites(
      tasks.flatMap((task) => task.writes.map((write) => ({ ...write, taskId: task.taskId }))),
    );
    const valueChannels = [...record.values.keys(), ...record.carried.keys()];
    const locations = locationsOf(record);
    const bodyLocation = bodyLocationOf(record);
    const loaded = await this.reader.load(
      threadId,
      ns,
      [
        {
          links: chainOf(bodyLocation).map((link, i): LinkRef =>
            i === 0 ? { stored: record.checkpoint } : bodyLinkRef(link),
          ),
          shape: BODY_SHAPE,
          ...this.knownChain('body', BODY_KEY, bodyLocation),
        },
        { links: [{ stored: record.metadata }] },
        ...valueChannels.map((channel): ValueRequest => {
          const location = locations.get(channel);
          if (location === undefined)
            throw new CheckpointCorruptError(`checkpoint has no value for ${channel}`);
          return {
            links: valueRef(record, channel),
            ...this.knownChain('value', channel, location),
          };
        }),
        ...writes.map((write): ValueRequest => ({ links: [{ stored: write.value }] })),
      ],
      fetched,
    );
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
    this.locations.set(threadId, ns, checkpointId, locations);
    if (remember) {
      const knownBody = loaded[0]?.known;
      if (knownBody !== undefined) this.knownBodies.set(threadId, ns, BODY_KEY, knownBody);
      valueChannels.forEach((channel, i) => {
        const known = loaded[2 + i]?.known;
        if (known !== undefined) this.knownValues.set(threadId, ns, channel, known);
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
    const loaded = await this.reader.load(
      threadId,
      ns,
      ordered.map((write): ValueRequest => ({ links: [{ stored: write.value }] })),
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

  /** With deltas on, how a read finds the known values of a chain, and remembers it. */
  private knownChain(
    kind: 'body' | 'value',
    channel: string,
    location: ValueLocation,
  ): { chain?: KnownChain } {
    const limits = this.deltaLimits;
    if (limits === undefined) return {};
    const body = kind === 'body';
    return {
      chain: {
        location,
        known: body ? this.knownBodies : this.knownValues,
        channel,
        minWholeBytes: body ? limits.minBodyBytes : limits.minValueBytes,
        keepPayload: body,
      },
    };
  }

  /**
   * How `put` stores the body: as a delta over the parent's body when this saver knows it (it wrote or read
   * the parent) and the chain stays within its bounds (body-deltas.ts), otherwise whole; compressed when that
   * makes it smaller.
   */
  private planBody(
    threadId: string,
    ns: string,
    parentId: string | undefined,
    envelope: Uint8Array,
    refreshBefore: number | undefined,
  ): BodyPlan {
    const limits = this.deltaLimits;
    const { type, payload } = decodeEnvelope(envelope);
    const entries =
      limits !== undefined && type === JSON_SERDE_TYPE ? BODY_SHAPE.entriesOf(payload) : undefined;
    if (limits !== undefined && entries !== undefined && parentId !== undefined) {
      const delta = this.bodyDelta(threadId, ns, parentId, { entries, payload }, refreshBefore, limits);
      if (delta !== undefined) return delta;
    }
    const stored = compressEnvelope(envelope);
    // A small whole body is not remembered: the next one is stored whole too (body-deltas).
    if (entries === undefined || limits === undefined || stored.byteLength < limits.minBodyBytes) {
      return { stored };
    }
    return {
      stored,
      known: (location) => new KnownValue(location, stored.byteLength, [], { entries, payload }, BODY_SHAPE),
    };
  }

  /**
   * The body as a delta over the parent's body, or over the whole body at the end of its chain (body-deltas
   * `appendsToChain`, `rebasesOnWhole`), when this saver knows the parent's body.
   */
  private bodyDelta(
    threadId: string,
    ns: string,
    parentId: string,
    body: { readonly entries: ObjectEntries; readonly payload: Uint8Array },
    refreshBefore: number | undefined,
    limits: DeltaLimits,
  ): BodyPlan | undefined {
    const parent = this.knownBodies.atOrigin(threadId, ns, BODY_KEY, parentId);
    const parentEntries = parent?.entries();
    if (parent === undefined || parentEntries === undefined) return undefined;
    // With a TTL, a chain whose items expire too soon is not extended: the body is stored whole again.
    if (refreshBefore !== undefined && chainExpiry(parent.location) < refreshBefore) return undefined;
    const change = diffEntries(parentEntries, body.entries);
    const appended = compressEnvelope(encodeDelta(change));
    const known = (links: readonly DeltaLink[]) => (location: ValueLocation) =>
      new KnownValue(location, parent.wholeBytes, links, body, BODY_SHAPE);
    if (appendsToChain(parent.links, parent.wholeBytes, appended.byteLength, limits)) {
      const links = [{ delta: change, bytes: appended.byteLength }, ...parent.links];
      return { stored: appended, base: parent.location, known: known(links) };
    }
    // Every change since the whole body, oldest first, then this step's.
    const rebased = parent.links.reduce((newer, link) => composeDeltas(link.delta, newer), change);
    const stored = compressEnvelope(encodeDelta(rebased));
    if (!rebasesOnWhole(parent.wholeBytes, stored.byteLength, limits)) return undefined;
    const whole = chainOf(parent.location).at(-1) as ValueLocation;
    return { stored, base: whole, known: known([{ delta: rebased, bytes: stored.byteLength }]) };
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

/** How `put` stores the checkpoint body. */
interface BodyPlan {
  /** The stored envelope: the body, or a delta over `base`; compressed when smaller. */
  readonly stored: Uint8Array;
  readonly base?: ValueLocation;
  /** How to remember the body once committed at its location (for the deltas of its children). */
  readonly known?: (location: ValueLocation) => KnownValue;
}

/** The chain of a channel value of a checkpoint: its own (whole or delta over its base), or carried. */
function valueRef(record: CheckpointRecord, channel: string): LinkRef[] {
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

/** A link of a body chain below the checkpoint's own: an ancestor's body link, inline or in its chunk set. */
function bodyLinkRef(link: ValueLocation): LinkRef {
  return link.chunked ? { stored: link.chunked } : { origin: link.originId, body: true };
}

/** A checkpoint is gone when it, or any item it takes a value (or a delta's base) from, has expired. */
function expiryOf(record: CheckpointRecord): number {
  let expiry = Math.min(record.expiresAt ?? Infinity, chainExpiry(record.bodyBase));
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
