import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CheckpointCorruptError } from './errors';
import type { Item } from './item-size';

/*
 * Storage layout of the DynamoDB checkpointer: one table, string keys `PK` and `SK`.
 *
 *   PK = THREAD#<thread_id>                     every item of a thread, in every namespace (deleteThread
 *                                               is one Query on this partition)
 *   SK = CP#<ns>#<checkpoint_id>#               checkpoint item: the commit point of one checkpoint
 *   SK = CP#<ns>#<checkpoint_id>#W#<task_id>    pending writes of one task against that checkpoint
 *   SK = CH#<chunk_set_id>#<seq>                one chunk of a value too large to inline
 *
 * No transactions: dynalite (the local stack) has no TransactWriteItems, and on AWS they cost twice the write
 * units. Atomicity comes from the order of plain writes instead.
 *
 * Invariants:
 * - Key parts are escaped so they never contain `#` (see `escapeKeyPart`); a prefix ending in `#` therefore
 *   selects exactly one namespace or one checkpoint. A checkpoint item sorts before its task items, and a
 *   query on `CP#<ns>#<checkpoint_id>#` returns the checkpoint together with all its pending writes.
 * - Checkpoint ids are LangGraph's uuid6 strings (fixed width, time ordered), so SK order is checkpoint
 *   order within a namespace: the latest checkpoint is the first checkpoint item of a descending query.
 * - A checkpoint item is written last, after every item it references (chunks, and the values carried from
 *   its ancestors already exist): whoever can read it can read all of it. Items nothing references yet
 *   (chunks of a crashed write, task items whose checkpoint was never committed) are invisible to readers.
 * - A value is stored once, by the checkpoint whose `newVersions` introduced it: inline in that checkpoint
 *   item (`v`), or as a chunk set the item points to; whole, or as a delta (below). Descendants that carry
 *   the channel unchanged record where it lives (`r`, `o`) instead of copying it, so a step writes only the
 *   channels that changed, and with deltas only the keys that changed within a channel.
 * - Chunk set ids are random and never reused: an item that points to a chunk set never sees it change.
 *   Chunk sets are only removed with their thread (deleteThread, TTL), never while a reader could still
 *   hold a reference to them; one left unreferenced (a crash, an upsert that replaced it) is garbage.
 * - Every write of one `putWrites` call lands in one task item with one PutItem, so a task's writes are
 *   visible all together or not at all.
 * - A committed checkpoint item is never rewritten with other values (LangGraph never reuses a checkpoint
 *   id), so whatever refers to a value it stores, or caches it (value-locations, known-values), stays right.
 *
 * Deltas (value-deltas.ts). A changed channel whose value and previous value are both JSON objects (serde
 * type `json`) may be stored as a delta instead of whole: the keys set, with their values, and the keys
 * removed, over a *base*: the location of an older value of the channel, taken from the parent's chain (the
 * parent's value itself, or an older link when the new delta takes in the newest ones). A value is then a
 * *chain*: a delta, its base (a delta or a whole value), ..., ending at a whole value. The newest link of a
 * chain is stored like any value (`v` of the checkpoint that introduced it, inline or as a chunk set, so a
 * delta of any size works) and the item says where the rest is:
 *
 *   v[ch] = the delta                  b[ch] = [base link, ..., whole link]   (introduced by this checkpoint)
 *   r[ch] = [newest link, ..., whole link]                                    (carried from its origins)
 *   r[ch] = link                                                              (carried, stored whole)
 *   link  = <origin index>[:<chunk ref>]   the value of `ch` that origin stores in its `v`, chunked or not
 *
 * Invariants of chains:
 * - Every link of a chain but the last is a delta (envelope type `~delta`), the last is a whole value of
 *   serde type `json`; the item that references a chain lists all its links, so a read fetches them in one
 *   batch, without following links one by one.
 * - A chain has at most `maxLinks` deltas (default 8), its deltas' bytes stay within `maxChainFraction`
 *   (default 1/2) of its whole value, and that whole value is at most twice the size of the value the chain
 *   stands for (value-deltas `planDelta`); past any bound the value is stored whole again. A read of a value
 *   therefore fetches at most `maxLinks` + 1 links (plus the chunks of the large ones) and at most 1.5 times
 *   its whole value's bytes, at most 3 times its own size.
 * - Every link of a delta's base chain lives in an ancestor's committed checkpoint item or its chunks, so
 *   it exists before the delta is written (the checkpoint item, written last, is still the commit point),
 *   and nothing deletes items while the thread lives (no TTL on checkpoint items, only deleteThread). With
 *   a TTL configured, a chain whose links expire too soon is not extended: the value is stored whole, as a
 *   carried value would be.
 * - Applying a chain yields the JSON text of an object equal to the one the serde wrote, up to whitespace and
 *   key order; the serde deserializes that text, so the value read is the value written.
 */

export const KEY_SEPARATOR = '#';
const PARTITION_PREFIX = 'THREAD#';
const CHECKPOINT_PREFIX = 'CP#';
const TASK_MARKER = 'W';
const CHUNK_PREFIX = 'CH#';

/** Attribute names used by the layout; the optional TTL attribute must not collide with them. */
export const ATTR = {
  pk: 'PK',
  sk: 'SK',
  parent: 'p',
  checkpoint: 'cp',
  metadata: 'md',
  values: 'v',
  carried: 'r',
  origins: 'o',
  bases: 'b',
  originExpiry: 'oe',
  writes: 'w',
  revision: 'rev',
  chunkData: 'd',
} as const;

export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(Object.values(ATTR));

/* ----------------------------------------------------------------------------------------------------
 * Keys
 * -------------------------------------------------------------------------------------------------- */

export type Key = { PK: { S: string }; SK: { S: string } };

/** `%` and `#` are escaped (`%25`, `%23`); every other character is kept, so keys stay readable. */
export function escapeKeyPart(part: string): string {
  return part.replace(/%/g, '%25').replace(/#/g, '%23');
}

export function unescapeKeyPart(part: string): string {
  return part.replace(/%2[35]/g, (escape) => (escape === '%23' ? '#' : '%'));
}

export function partitionKey(threadId: string): string {
  return PARTITION_PREFIX + threadId;
}

export function threadIdOf(pk: string): string {
  return pk.slice(PARTITION_PREFIX.length);
}

export const PARTITION_KEY_PREFIX = PARTITION_PREFIX;

/** Prefix of every checkpoint and task item of a thread (all namespaces). */
export const ALL_CHECKPOINTS_PREFIX = CHECKPOINT_PREFIX;

/** Prefix of every checkpoint and task item of one namespace. */
export function namespacePrefix(ns: string): string {
  return `${CHECKPOINT_PREFIX}${escapeKeyPart(ns)}#`;
}

/** SK of a checkpoint item; also the prefix of its task items. */
export function checkpointSortKey(ns: string, checkpointId: string): string {
  return `${namespacePrefix(ns)}${escapeKeyPart(checkpointId)}#`;
}

/** Upper bound (exclusive) of the SKs of checkpoints strictly older than `checkpointId` in `ns`. */
export function olderThanBound(ns: string, checkpointId: string): string {
  return `${namespacePrefix(ns)}${escapeKeyPart(checkpointId)}`;
}

export function taskWritesSortKey(ns: string, checkpointId: string, taskId: string): string {
  return `${checkpointSortKey(ns, checkpointId)}${TASK_MARKER}#${escapeKeyPart(taskId)}`;
}

export function taskWritesPrefix(ns: string, checkpointId: string): string {
  return `${checkpointSortKey(ns, checkpointId)}${TASK_MARKER}#`;
}

export function chunkSortKey(chunkSetId: string, seq: number): string {
  return `${CHUNK_PREFIX}${chunkSetId}#${String(seq).padStart(5, '0')}`;
}

export function itemKey(threadId: string, sortKey: string): Key {
  return { PK: { S: partitionKey(threadId) }, SK: { S: sortKey } };
}

export type ParsedSortKey =
  | { kind: 'checkpoint'; ns: string; checkpointId: string }
  | { kind: 'task'; ns: string; checkpointId: string; taskId: string }
  | { kind: 'chunk' };

export function parseSortKey(sk: string): ParsedSortKey {
  const parts = sk.split(KEY_SEPARATOR);
  if (parts[0] === 'CH') return { kind: 'chunk' };
  if (parts[0] === 'CP' && parts.length === 4 && parts[3] === '') {
    return {
      kind: 'checkpoint',
      ns: unescapeKeyPart(parts[1] ?? ''),
      checkpointId: unescapeKeyPart(parts[2] ?? ''),
    };
  }
  if (parts[0] === 'CP' && parts.length === 5 && parts[3] === TASK_MARKER) {
    return {
      kind: 'task',
      ns: unescapeKeyPart(parts[1] ?? ''),
      checkpointId: unescapeKeyPart(parts[2] ?? ''),
      taskId: unescapeKeyPart(parts[4] ?? ''),
    };
  }
  throw new CheckpointCorruptError(`unrecognised sort key ${JSON.stringify(sk)}`);
}

/* ----------------------------------------------------------------------------------------------------
 * Values
 * -------------------------------------------------------------------------------------------------- */

/**
 * A serialized value with its serde type, as one byte string: `[type length: 1 byte][type][payload]`.
 * The serde type is short (`json`, `bytes`), so the envelope costs a handful of bytes.
 */
export function encodeEnvelope(type: string, payload: Uint8Array): Uint8Array {
  const typeBytes = Buffer.from(type, 'utf8');
  if (typeBytes.length > 255) throw new CheckpointCorruptError(`serde type too long: ${type}`);
  const envelope = new Uint8Array(1 + typeBytes.length + payload.byteLength);
  envelope[0] = typeBytes.length;
  envelope.set(typeBytes, 1);
  envelope.set(payload, 1 + typeBytes.length);
  return envelope;
}

export function decodeEnvelope(envelope: Uint8Array): { type: string; payload: Uint8Array } {
  const typeLength = envelope[0];
  if (typeLength === undefined || envelope.byteLength < 1 + typeLength) {
    throw new CheckpointCorruptError('stored value is shorter than its header');
  }
  return {
    type: Buffer.from(envelope.subarray(1, 1 + typeLength)).toString('utf8'),
    payload: envelope.subarray(1 + typeLength),
  };
}

/** Where the bytes of one envelope are: in the item itself, or in a chunk set (see item-chunking). */
export type StoredValue = InlineValue | ChunkedValue;
export interface InlineValue {
  readonly kind: 'inline';
  readonly bytes: Uint8Array;
}
export interface ChunkedValue {
  readonly kind: 'chunked';
  readonly chunkSetId: string;
  readonly chunkCount: number;
  readonly byteLength: number;
}

/** Inline values are a binary attribute; chunk references a string `<set id>:<count>:<bytes>`. */
export function storedValueAttribute(value: StoredValue): AttributeValue {
  return value.kind === 'inline' ? { B: value.bytes } : { S: chunkRefText(value) };
}

export function storedValueFrom(attribute: AttributeValue | undefined, what: string): StoredValue {
  if (attribute?.B !== undefined) return { kind: 'inline', bytes: attribute.B };
  if (attribute?.S !== undefined) return parseChunkRef(attribute.S, what);
  throw new CheckpointCorruptError(`${what} is missing`);
}

function chunkRefText(value: ChunkedValue): string {
  return `${value.chunkSetId}:${value.chunkCount}:${value.byteLength}`;
}

function parseChunkRef(text: string, what: string): ChunkedValue {
  const [chunkSetId, count, bytes] = text.split(':');
  const chunkCount = Number(count);
  const byteLength = Number(bytes);
  if (!chunkSetId || !Number.isInteger(chunkCount) || chunkCount < 1 || !Number.isInteger(byteLength)) {
    throw new CheckpointCorruptError(`${what} has a malformed chunk reference ${JSON.stringify(text)}`);
  }
  return { kind: 'chunked', chunkSetId, chunkCount, byteLength };
}

/* ----------------------------------------------------------------------------------------------------
 * Checkpoint item
 * -------------------------------------------------------------------------------------------------- */

/**
 * Where the value a checkpoint references for one channel lives: introduced by `originId` (this
 * checkpoint or an ancestor), inline in that checkpoint item unless `chunked` says otherwise.
 */
export interface ValueLocation {
  readonly originId: string;
  /** Expiry (epoch seconds) of the origin's items, when a TTL is configured. */
  readonly originExpiresAt?: number;
  readonly chunked?: ChunkedValue;
  /** Present when the value stored there is a delta: where the value it applies to is. */
  readonly base?: ValueLocation;
}

/** The links of a location's chain, newest first; the last one is a whole value. */
export function chainOf(location: ValueLocation): ValueLocation[] {
  const links: ValueLocation[] = [];
  for (let link: ValueLocation | undefined = location; link !== undefined; link = link.base) links.push(link);
  return links;
}

/** The earliest expiry of the items a chain lives in (Infinity without a TTL). */
export function chainExpiry(location: ValueLocation | undefined): number {
  let expiry = Infinity;
  for (let link = location; link !== undefined; link = link.base) {
    expiry = Math.min(expiry, link.originExpiresAt ?? Infinity);
  }
  return expiry;
}

export interface CheckpointRecord {
  readonly threadId: string;
  readonly ns: string;
  readonly checkpointId: string;
  readonly parentId?: string;
  /** Envelope of the checkpoint without `channel_values`. */
  readonly checkpoint: StoredValue;
  /** Envelope of the metadata. */
  readonly metadata: StoredValue;
  /** Values introduced by this checkpoint (its `newVersions` that had a value), whole or deltas. */
  readonly values: ReadonlyMap<string, StoredValue>;
  /** For each value of `values` that is a delta: where its base is. */
  readonly bases: ReadonlyMap<string, ValueLocation>;
  /** Values carried unchanged from an ancestor: where they live. */
  readonly carried: ReadonlyMap<string, ValueLocation>;
  readonly expiresAt?: number;
}

export function checkpointItem(record: CheckpointRecord, ttlAttribute: string | undefined): Item {
  const item: Item = {
    ...itemKey(record.threadId, checkpointSortKey(record.ns, record.checkpointId)),
    [ATTR.checkpoint]: storedValueAttribute(record.checkpoint),
    [ATTR.metadata]: storedValueAttribute(record.metadata),
  };
  if (record.parentId !== undefined) item[ATTR.parent] = { S: record.parentId };
  if (record.values.size > 0) {
    item[ATTR.values] = {
      M: Object.fromEntries(
        [...record.values].map(([channel, value]) => [channel, storedValueAttribute(value)]),
      ),
    };
  }
  if (record.carried.size > 0 || record.bases.size > 0) {
    // Origins are listed once; each link names its origin by 1-based index into that list.
    const origins: string[] = [];
    const expiries: number[] = [];
    const linkText = (location: ValueLocation): string => {
      let index = origins.indexOf(location.originId);
      if (index < 0) {
        index = origins.push(location.originId) - 1;
        expiries.push(location.originExpiresAt ?? 0);
      }
      return location.chunked ? `${index + 1}:${chunkRefText(location.chunked)}` : String(index + 1);
    };
    const chainAttribute = (location: ValueLocation): AttributeValue => ({
      L: chainOf(location).map((link) => ({ S: linkText(link) })),
    });
    if (record.carried.size > 0) {
      const carried: Record<string, AttributeValue> = {};
      for (const [channel, location] of record.carried) {
        carried[channel] = location.base === undefined ? { S: linkText(location) } : chainAttribute(location);
      }
      item[ATTR.carried] = { M: carried };
    }
    if (record.bases.size > 0) {
      const bases: Record<string, AttributeValue> = {};
      for (const [channel, base] of record.bases) bases[channel] = chainAttribute(base);
      item[ATTR.bases] = { M: bases };
    }
    item[ATTR.origins] = { L: origins.map((id) => ({ S: id })) };
    if (ttlAttribute !== undefined) item[ATTR.originExpiry] = { L: expiries.map((e) => ({ N: String(e) })) };
  }
  if (ttlAttribute !== undefined && record.expiresAt !== undefined) {
    item[ttlAttribute] = { N: String(record.expiresAt) };
  }
  return item;
}

export function checkpointRecordFrom(item: Item, ttlAttribute: string | undefined): CheckpointRecord {
  const sk = stringAttribute(item, ATTR.sk);
  const parsed = parseSortKey(sk);
  if (parsed.kind !== 'checkpoint') throw new CheckpointCorruptError(`${sk} is not a checkpoint item`);
  const what = `checkpoint ${parsed.checkpointId}`;
  const values = new Map<string, StoredValue>();
  for (const [channel, attribute] of Object.entries(item[ATTR.values]?.M ?? {})) {
    values.set(channel, storedValueFrom(attribute, `${what} value ${channel}`));
  }
  const origins = (item[ATTR.origins]?.L ?? []).map((o) => o.S ?? '');
  const expiries = (item[ATTR.originExpiry]?.L ?? []).map((e) => Number(e.N ?? '0'));
  const link = (text: string, channel: string, base: ValueLocation | undefined): ValueLocation => {
    const [indexText, ...chunkRef] = text.split(':');
    const index = Number(indexText) - 1;
    const originId = origins[index];
    if (!originId) throw new CheckpointCorruptError(`${what} refers to ${channel} in an unknown origin`);
    const expiry = expiries[index];
    return {
      originId,
      ...(expiry ? { originExpiresAt: expiry } : {}),
      ...(chunkRef.length > 0
        ? { chunked: parseChunkRef(chunkRef.join(':'), `${what} value ${channel}`) }
        : {}),
      ...(base !== undefined ? { base } : {}),
    };
  };
  const chain = (attribute: AttributeValue, channel: string): ValueLocation => {
    if (attribute.S !== undefined) return link(attribute.S, channel, undefined);
    const texts = (attribute.L ?? []).map((entry) => entry.S ?? '');
    if (texts.length === 0) throw new CheckpointCorruptError(`${what} has an empty chain for ${channel}`);
    let location: ValueLocation | undefined;
    for (const text of texts.reverse()) location = link(text, channel, location);
    return location as ValueLocation;
  };
  const carried = new Map<string, ValueLocation>();
  for (const [channel, attribute] of Object.entries(item[ATTR.carried]?.M ?? {})) {
    carried.set(channel, chain(attribute, channel));
  }
  const bases = new Map<string, ValueLocation>();
  for (const [channel, attribute] of Object.entries(item[ATTR.bases]?.M ?? {})) {
    if (!values.has(channel))
      throw new CheckpointCorruptError(`${what} has a base for ${channel} but no delta`);
    bases.set(channel, chain(attribute, channel));
  }
  const expiresAt = ttlAttribute !== undefined ? item[ttlAttribute]?.N : undefined;
  const parentId = item[ATTR.parent]?.S;
  return {
    threadId: threadIdOf(stringAttribute(item, ATTR.pk)),
    ns: parsed.ns,
    checkpointId: parsed.checkpointId,
    ...(parentId !== undefined ? { parentId } : {}),
    checkpoint: storedValueFrom(item[ATTR.checkpoint], `${what} body`),
    metadata: storedValueFrom(item[ATTR.metadata], `${what} metadata`),
    values,
    bases,
    carried,
    ...(expiresAt !== undefined ? { expiresAt: Number(expiresAt) } : {}),
  };
}

/** Inline values of an origin checkpoint item read back with a projection on `v` only. */
export function inlineValuesFrom(item: Item): ReadonlyMap<string, StoredValue> {
  const values = new Map<string, StoredValue>();
  for (const [channel, attribute] of Object.entries(item[ATTR.values]?.M ?? {})) {
    values.set(channel, storedValueFrom(attribute, `value ${channel}`));
  }
  return values;
}

/* ----------------------------------------------------------------------------------------------------
 * Task writes item
 * -------------------------------------------------------------------------------------------------- */

export interface StoredWrite {
  /** LangGraph's write index: position in the `putWrites` call, or WRITES_IDX_MAP's for special channels. */
  readonly idx: number;
  readonly channel: string;
  /** The `taskPath` passed to `putWrites` (`""` when none); the first key of the pending-writes order. */
  readonly taskPath: string;
  readonly value: StoredValue;
}

export interface TaskWritesRecord {
  readonly threadId: string;
  readonly ns: string;
  readonly checkpointId: string;
  readonly taskId: string;
  /** Incremented by every change; guards read-modify-write merges against a concurrent writer. */
  readonly revision: number;
  /** Sorted by `idx`, at most one per `idx`. */
  readonly writes: readonly StoredWrite[];
  readonly expiresAt?: number;
}

export function taskWritesItem(record: TaskWritesRecord, ttlAttribute: string | undefined): Item {
  const item: Item = {
    ...itemKey(record.threadId, taskWritesSortKey(record.ns, record.checkpointId, record.taskId)),
    [ATTR.revision]: { N: String(record.revision) },
    [ATTR.writes]: {
      L: record.writes.map((write) => ({
        M: {
          i: { N: String(write.idx) },
          c: { S: write.channel },
          ...(write.taskPath !== '' ? { p: { S: write.taskPath } } : {}),
          x: storedValueAttribute(write.value),
        },
      })),
    },
  };
  if (ttlAttribute !== undefined && record.expiresAt !== undefined) {
    item[ttlAttribute] = { N: String(record.expiresAt) };
  }
  return item;
}

export function taskWritesRecordFrom(item: Item, ttlAttribute: string | undefined): TaskWritesRecord {
  const sk = stringAttribute(item, ATTR.sk);
  const parsed = parseSortKey(sk);
  if (parsed.kind !== 'task') throw new CheckpointCorruptError(`${sk} is not a task writes item`);
  const writes = (item[ATTR.writes]?.L ?? []).map((entry, position): StoredWrite => {
    const fields = entry.M ?? {};
    const what = `write ${position} of task ${parsed.taskId}`;
    return {
      idx: Number(fields.i?.N ?? 'NaN'),
      channel: fields.c?.S ?? '',
      taskPath: fields.p?.S ?? '',
      value: storedValueFrom(fields.x, what),
    };
  });
  const expiresAt = ttlAttribute !== undefined ? item[ttlAttribute]?.N : undefined;
  return {
    threadId: threadIdOf(stringAttribute(item, ATTR.pk)),
    ns: parsed.ns,
    checkpointId: parsed.checkpointId,
    taskId: parsed.taskId,
    revision: Number(item[ATTR.revision]?.N ?? '0'),
    writes,
    ...(expiresAt !== undefined ? { expiresAt: Number(expiresAt) } : {}),
  };
}

/* ----------------------------------------------------------------------------------------------------
 * Chunk item
 * -------------------------------------------------------------------------------------------------- */

export interface ChunkRecord {
  readonly threadId: string;
  readonly chunkSetId: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly expiresAt?: number;
}

export function chunkItem(record: ChunkRecord, ttlAttribute: string | undefined): Item {
  const item: Item = {
    ...itemKey(record.threadId, chunkSortKey(record.chunkSetId, record.seq)),
    [ATTR.chunkData]: { B: record.data },
  };
  if (ttlAttribute !== undefined && record.expiresAt !== undefined) {
    item[ttlAttribute] = { N: String(record.expiresAt) };
  }
  return item;
}

export function chunkDataFrom(item: Item): Uint8Array {
  const data = item[ATTR.chunkData]?.B;
  if (data === undefined) throw new CheckpointCorruptError(`chunk ${item[ATTR.sk]?.S} has no data`);
  return data;
}

export function sortKeyOf(item: Item): string {
  return stringAttribute(item, ATTR.sk);
}

function stringAttribute(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new CheckpointCorruptError(`item has no ${name}`);
  return value;
}
