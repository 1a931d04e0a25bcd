import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { compressEnvelope, expandEnvelope } from './envelope-compression';
import { CheckpointCorruptError } from './errors';
import { itemSizeBytes, type Item } from './item-size';
import { packValues, unpackValues } from './packed-values';
import { unpackWrites } from './packed-writes';

/*
 * Storage layout of the DynamoDB checkpointer: one table, string keys `PK` and `SK`.
 *
 *   PK = THREAD#<thread_id>                     every item of a thread, in every namespace (deleteThread
 *                                               is one Query on this partition)
 *   SK = CP#<ns>#<checkpoint_id>#               checkpoint item: the commit point of one checkpoint
 *   SK = CP#<ns>#<checkpoint_id>#W#<task_id>    pending writes of one task against that checkpoint
 *   SK = CH#<chunk_set_id>#<seq>                one chunk of a value too large to inline, or of a large
 *                                               whole checkpoint body
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
 *   visible all together or not at all. The item lists them one map per write (`w`), or, when that is
 *   smaller, holds them packed and compressed together in one binary attribute (`wp`, packed-writes.ts);
 *   a pack holds inline values only. Items without `wp` (the previous layout) read as they always did.
 * - Likewise a checkpoint item lists the values it introduces in `v`, or, when that is smaller, packs its
 *   inline ones compressed together in `vp` (packed-values.ts: a step's item near 1 KB takes one write unit
 *   instead of two); chunk references stay in `v`. A packed value reads back expanded, with the length it
 *   would be stored at on its own, which is what the delta bounds count. Items without `vp` read as they
 *   always did. The code before `vp` reads an item with it as one without those values, raising nothing,
 *   and a checkpoint it writes after one carries none of them: once such an item exists, a rollback past
 *   this layout loses state (as one past `wp` loses pending writes). Roll forward only.
 * - A committed checkpoint item is never rewritten with other values (LangGraph never reuses a checkpoint
 *   id), so whatever refers to a value it stores, or caches it (value-locations, known-values), stays right.
 * - What a checkpoint item holds does not grow with the history: the values its checkpoint introduced, its
 *   metadata, its body link when that is under 1 KB (below), and the lists of where the rest is. It is what
 *   every read of the checkpoint fetches, and what a read of a value carried from it (or of a delta link it
 *   stores) is billed on: DynamoDB bills a read on the whole item, whatever the projection.
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
 *   o     = the origins, listed once: 16 bytes per uuid in one binary attribute, or strings (other ids)
 *
 * Invariants of chains:
 * - Every link of a chain but the last is a delta (envelope type `~delta`), the last is a whole value of
 *   serde type `json` (either compressed, for the body: below); the item that references a chain lists all
 *   its links, so a read fetches them in one batch, without following links one by one.
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
 *
 * The checkpoint body (body-entries.ts, body-deltas.ts). `cp` holds the checkpoint without its channel
 * values: LangGraph's `channel_versions` and `versions_seen`, which grow with the distinct nodes an instance
 * has run (about 200 bytes per async_request node, 100 KB at 500), while a step changes a few dozen versions
 * in them. The body is a chain too, stored like a value's but with its own attributes:
 *
 *   cp = the body link: the body whole, or a delta, inline or a chunk ref
 *   cb = [base link, ..., whole body link]                                  (when `cp` is a delta)
 *   link = <origin index>[:<chunk ref>]   the body link that origin stores in its `cp`, chunked or not
 *
 * Invariants of the body:
 * - Its entries are the leaves of the object by path (`/versions_seen/<node>/<channel>`), not its top-level
 *   keys, so a delta holds the versions that changed. A chain is: a whole body, at most one *rebased* delta
 *   over it (every change since that whole body, in one delta), then deltas of one step each over the
 *   parent's body. It is bounded as a value's is: at most `maxLinks` deltas, their bytes within
 *   `maxChainFraction` of the whole body. Past a bound the body is rebased when that delta takes at most
 *   half the budget, and stored whole otherwise, as it is when the writer does not know the parent's body.
 * - Body links may be compressed (envelope-compression.ts: an envelope of type `~br` around the real one);
 *   every reader expands what it reads, and the bounds count stored (compressed) bytes.
 * - A body link whose stored size is `minBodyBytes` (1 KB) or more, whole or rebased, goes to a chunk set of
 *   its own, written before the checkpoint item like any chunk; smaller links stay inline. So a checkpoint
 *   item holds less than 1 KB of the body: usually one step's delta, a few hundred bytes at 500 nodes.
 * - Items of the previous layout (`cp` the whole body, uncompressed, inline; no `cb`; `o` a list of strings)
 *   are a chain of one and read as they always were; a checkpoint written after one may store a delta over
 *   its body. Items of this layout are not readable by the previous code (compressed and binary attributes).
 *
 * Reads (chain-reader.ts). The checkpoint item (with its task items) is always read from the table: it is
 * the commit point. The links of its chains are fetched in one batch, except the oldest ones when this
 * process already knows the value or body a suffix of the chain stands for (known-values.ts: what it last
 * wrote or read). Links never change (above), so that saves reads without changing what a read returns.
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
  packedValues: 'vp',
  carried: 'r',
  origins: 'o',
  bases: 'b',
  bodyBase: 'cb',
  originExpiry: 'oe',
  writes: 'w',
  packedWrites: 'wp',
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

/** Where the bytes of one envelope are: in the item itself, or in a chunk set (see item-chunking). */
export type StoredValue = InlineValue | ChunkedValue;
export interface InlineValue {
  readonly kind: 'inline';
  readonly bytes: Uint8Array;
  /** Read from a pack (`vp`), where `bytes` is the envelope expanded: the length it is stored at. */
  readonly storedLength?: number;
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
  /**
   * The checkpoint without `channel_values` (its body): its envelope, or a delta of it over `bodyBase`;
   * either may be compressed (envelope-compression).
   */
  readonly checkpoint: StoredValue;
  /** When `checkpoint` is a delta: where the body it applies to is (an ancestor's body link and its chain). */
  readonly bodyBase?: ValueLocation;
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
  Object.assign(item, valuesAttributes(record.values));
  if (record.carried.size > 0 || record.bases.size > 0 || record.bodyBase !== undefined) {
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
    if (record.bodyBase !== undefined) item[ATTR.bodyBase] = chainAttribute(record.bodyBase);
    item[ATTR.origins] = originsAttribute(origins);
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
  const values = inlineValuesFrom(item);
  const origins = originsFrom(item[ATTR.origins]);
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
  const bodyBaseAttribute = item[ATTR.bodyBase];
  const bodyBase = bodyBaseAttribute && chain(bodyBaseAttribute, 'the body');
  const expiresAt = ttlAttribute !== undefined ? item[ttlAttribute]?.N : undefined;
  const parentId = item[ATTR.parent]?.S;
  return {
    threadId: threadIdOf(stringAttribute(item, ATTR.pk)),
    ns: parsed.ns,
    checkpointId: parsed.checkpointId,
    ...(parentId !== undefined ? { parentId } : {}),
    checkpoint: storedValueFrom(item[ATTR.checkpoint], `${what} body`),
    ...(bodyBase !== undefined ? { bodyBase } : {}),
    metadata: storedValueFrom(item[ATTR.metadata], `${what} metadata`),
    values,
    bases,
    carried,
    ...(expiresAt !== undefined ? { expiresAt: Number(expiresAt) } : {}),
  };
}

/**
 * The origins list (`o`): LangGraph's checkpoint ids are uuids, listed as their 16 bytes each in one binary
 * attribute (36 characters each as strings: the list is in every item that carries or chains values, and
 * a body chain names up to `maxLinks` ancestors). Ids that are not lowercase canonical uuids, which any other
 * caller of the saver may choose, are listed as strings.
 */
function originsAttribute(origins: readonly string[]): AttributeValue {
  if (!origins.every((id) => CANONICAL_UUID.test(id))) return { L: origins.map((id) => ({ S: id })) };
  return { B: Buffer.from(origins.map((id) => id.replace(/-/g, '')).join(''), 'hex') };
}

function originsFrom(attribute: AttributeValue | undefined): string[] {
  if (attribute?.B === undefined) return (attribute?.L ?? []).map((o) => o.S ?? '');
  if (attribute.B.byteLength % 16 !== 0) throw new CheckpointCorruptError('origins list is malformed');
  const hex = Buffer.from(attribute.B).toString('hex');
  const ids: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const id = hex.slice(i, i + 32);
    ids.push(`${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`);
  }
  return ids;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `v`, and `vp` when packing the inline values takes fewer bytes than listing them (packed-values.ts):
 * chunk references stay listed in `v`.
 */
function valuesAttributes(values: ReadonlyMap<string, StoredValue>): Item {
  if (values.size === 0) return {};
  const entries = [...values].map(([channel, value]) => [channel, asStoredAlone(value)] as const);
  const listed = (list: readonly (readonly [string, StoredValue])[]): Item => ({
    [ATTR.values]: {
      M: Object.fromEntries(list.map(([channel, value]) => [channel, storedValueAttribute(value)])),
    },
  });
  const inline = entries.filter(
    (entry): entry is readonly [string, InlineValue] => entry[1].kind === 'inline',
  );
  const chunked = entries.filter(([, value]) => value.kind === 'chunked');
  if (inline.length === 0) return listed(entries);
  const packed: Item = {
    [ATTR.packedValues]: {
      B: packValues(
        inline.map(([channel, value]) => ({
          channel,
          storedLength: value.bytes.byteLength,
          envelope: expandEnvelope(value.bytes),
        })),
      ),
    },
    ...(chunked.length > 0 ? listed(chunked) : {}),
  };
  const all = listed(entries);
  return itemSizeBytes(packed) < itemSizeBytes(all) ? packed : all;
}

/** A value as it is stored on its own: one read from a pack (its envelope expanded) is compressed again. */
function asStoredAlone(value: StoredValue): StoredValue {
  if (value.kind !== 'inline' || value.storedLength === undefined) return value;
  return { kind: 'inline', bytes: compressEnvelope(value.bytes) };
}

/**
 * The values a checkpoint item introduces, read back whole or with a projection on `v` and `vp` (and
 * `cp`): listed in `v`, or packed in `vp`, where each is its expanded envelope with its stored length.
 */
export function inlineValuesFrom(item: Item): ReadonlyMap<string, StoredValue> {
  const what = item[ATTR.sk]?.S ?? 'a checkpoint';
  const values = new Map<string, StoredValue>();
  for (const [channel, attribute] of Object.entries(item[ATTR.values]?.M ?? {})) {
    values.set(channel, storedValueFrom(attribute, `value ${channel} of ${what}`));
  }
  const packed = item[ATTR.packedValues]?.B;
  if (packed !== undefined) {
    for (const value of unpackValues(packed, what)) {
      if (values.has(value.channel)) {
        throw new CheckpointCorruptError(`value ${value.channel} of ${what} is both listed and packed`);
      }
      values.set(value.channel, { kind: 'inline', bytes: value.envelope, storedLength: value.storedLength });
    }
  }
  return values;
}

/** The body link of an origin checkpoint item read back with a projection on `cp` (and `v`). */
export function bodyLinkFrom(item: Item): StoredValue {
  return storedValueFrom(item[ATTR.checkpoint], `body of ${item[ATTR.sk]?.S ?? 'a checkpoint'}`);
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
  /**
   * The same writes packed (packed-writes.ts), when the writer found that smaller: stored instead of the
   * list. Absent when read back: `writes` then holds them unpacked.
   */
  readonly packed?: Uint8Array;
  readonly expiresAt?: number;
}

export function taskWritesItem(record: TaskWritesRecord, ttlAttribute: string | undefined): Item {
  const item: Item = {
    ...itemKey(record.threadId, taskWritesSortKey(record.ns, record.checkpointId, record.taskId)),
    [ATTR.revision]: { N: String(record.revision) },
    ...(record.packed !== undefined
      ? { [ATTR.packedWrites]: { B: record.packed } }
      : {
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
        }),
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
  const packed = item[ATTR.packedWrites]?.B;
  const writes = packed
    ? unpackWrites(packed, `task ${parsed.taskId}`).map((write): StoredWrite => ({
        idx: write.idx,
        channel: write.channel,
        taskPath: write.taskPath,
        value: { kind: 'inline', bytes: write.envelope },
      }))
    : listedWrites(item, parsed.taskId);
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

/** The writes of an item stored one map per write (no pack, or written before packs existed). */
function listedWrites(item: Item, taskId: string): StoredWrite[] {
  return (item[ATTR.writes]?.L ?? []).map((entry, position): StoredWrite => {
    const fields = entry.M ?? {};
    const what = `write ${position} of task ${taskId}`;
    return {
      idx: Number(fields.i?.N ?? 'NaN'),
      channel: fields.c?.S ?? '',
      taskPath: fields.p?.S ?? '',
      value: storedValueFrom(fields.x, what),
    };
  });
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
