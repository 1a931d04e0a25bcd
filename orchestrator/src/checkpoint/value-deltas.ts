import { CheckpointCorruptError } from './errors';
import { scanEntries } from './json-scan';
import { decodeEnvelope, encodeEnvelope } from './envelope';

/*
 * Deltas of JSON object values: what lets a step that changes one key of a large channel value (the
 * engine's whole workflow context is one channel) write that key instead of the whole value.
 *
 * Everything here works on the serializer's output, never on live JavaScript values: a value qualifies when
 * its serde type is `json` and its payload is a JSON object. Its top-level keys are compared by the JSON
 * text of their values, and a value is rebuilt as JSON text that the serde then deserializes, exactly as it
 * deserializes what it wrote. So whatever the serde encodes inside the text (LangGraph's JsonPlusSerializer
 * writes `undefined`, Map, Set, Date, messages... as tagged JSON) survives untouched. A value whose top level
 * is not an object (an array, a string, a number) is stored whole; a tagged value at the top level (a Map is
 * `{"lc":2,"type":"constructor",...,"args":[...]}`) is an object like any other, whose one large key
 * changes, so its delta is about its size and it is stored whole too. Only the top level is diffed: a
 * change deep inside a key's value stores that key's whole value. Two things of the original text are not
 * kept, neither of which the serde's result depends on: whitespace, and the order of top-level keys (base
 * order, keys added by a delta at the end: what `{ ...a, ...b }` produces anyway).
 *
 * Value texts are compared exactly (no hashes), and rebuilt objects never go through property assignment,
 * so a key such as `__proto__` is an ordinary key here (what the serde then makes of it is its business,
 * and the same as for the text it wrote).
 */

/** The serde type whose payloads may be stored as deltas (JsonPlusSerializer's type for all but bytes). */
export const JSON_SERDE_TYPE = 'json';

/**
 * Envelope type of a stored delta. A delta is only ever read as a link of a chain the referencing item
 * describes (storage-layout), never handed to the serde; the distinct type turns any mix-up into an error.
 */
export const DELTA_ENVELOPE_TYPE = '~delta';

/** Top-level keys of a JSON object, each with the JSON text of its value, in the object's key order. */
export type ObjectEntries = Map<string, string>;

/** The change from one JSON object to another. */
export interface JsonObjectDelta {
  /** Keys added or changed, with the JSON text of their new value. */
  readonly set: ReadonlyMap<string, string>;
  /** Keys removed. A key is never both set and removed. */
  readonly del: ReadonlySet<string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The entries of a JSON payload whose top level is an object; `undefined` for anything else. Each value is
 * the exact text the payload has for it. The payload is the serde's output (JSON.stringify's, for
 * JsonPlusSerializer: no whitespace, one spelling per value), so equal values have equal texts; a payload
 * with whitespace only makes some unchanged keys look changed, never the reverse.
 *
 * A single pass over the text, without building the value (JSON.parse and a JSON.stringify per key take
 * about five times as long on a 1 MB context). It checks the structure it walks through (keys, colons,
 * commas, brackets, strings); what it does not check is only ever written back as it was read.
 */
export function objectEntriesOf(payload: Uint8Array): ObjectEntries | undefined {
  return scanObject(decoder.decode(payload));
}

/** `objectEntriesOf` on a JSON text already decoded. */
function scanObject(text: string): ObjectEntries | undefined {
  return scanEntries(text, 1, (_, key) => key);
}

/** The JSON text of an object with these entries. */
export function objectText(entries: ObjectEntries): string {
  const parts: string[] = [];
  for (const [key, text] of entries) parts.push(`${JSON.stringify(key)}:${text}`);
  return `{${parts.join(',')}}`;
}

export function objectPayload(entries: ObjectEntries): Uint8Array {
  return encoder.encode(objectText(entries));
}

/**
 * How the entries of a stored JSON payload are read and written back: channel values by their top-level
 * keys (here), the checkpoint body by paths (body-entries.ts). Deltas and chains work on entries only.
 */
export interface EntriesShape {
  /** The payload's entries; `undefined` when the payload does not have this shape. */
  entriesOf(payload: Uint8Array): ObjectEntries | undefined;
  /** The JSON payload whose entries these are. */
  payloadOf(entries: ObjectEntries): Uint8Array;
}

/** Channel values: one entry per top-level key. */
export const TOP_LEVEL_SHAPE: EntriesShape = { entriesOf: objectEntriesOf, payloadOf: objectPayload };

/** What turns `base` into `next`. */
export function diffEntries(base: ObjectEntries, next: ObjectEntries): JsonObjectDelta {
  const set = new Map<string, string>();
  for (const [key, text] of next) if (base.get(key) !== text) set.set(key, text);
  const del = new Set<string>();
  for (const key of base.keys()) if (!next.has(key)) del.add(key);
  return { set, del };
}

/** One delta with the effect of `older` followed by `newer`. */
export function composeDeltas(older: JsonObjectDelta, newer: JsonObjectDelta): JsonObjectDelta {
  const set = new Map(older.set);
  const del = new Set(older.del);
  for (const key of newer.del) {
    set.delete(key);
    del.add(key);
  }
  for (const [key, text] of newer.set) {
    del.delete(key);
    set.set(key, text);
  }
  return { set, del };
}

/** Applies `delta` to `entries` in place: keys kept where they are, new keys at the end. */
export function applyDelta(entries: ObjectEntries, delta: JsonObjectDelta): void {
  for (const key of delta.del) entries.delete(key);
  for (const [key, text] of delta.set) entries.set(key, text);
}

export function isEmptyDelta(delta: JsonObjectDelta): boolean {
  return delta.set.size === 0 && delta.del.size === 0;
}

/** A delta as stored: envelope `~delta`, payload `{"s":{<key>:<value>,...},"d":[<key>,...]}`. */
export function encodeDelta(delta: JsonObjectDelta): Uint8Array {
  const payload = `{"s":${objectText(new Map(delta.set))},"d":${JSON.stringify([...delta.del])}}`;
  return encodeEnvelope(DELTA_ENVELOPE_TYPE, encoder.encode(payload));
}

export function decodeDelta(envelope: Uint8Array, what: string): JsonObjectDelta {
  const { type, payload } = decodeEnvelope(envelope);
  if (type !== DELTA_ENVELOPE_TYPE) throw new CheckpointCorruptError(`${what} is not a delta (type ${type})`);
  const fields = objectEntriesOf(payload);
  const set = scanObject(fields?.get('s') ?? '');
  let removed: unknown;
  try {
    removed = JSON.parse(fields?.get('d') ?? '');
  } catch {
    removed = undefined;
  }
  if (set === undefined || !Array.isArray(removed)) throw new CheckpointCorruptError(`${what} is malformed`);
  const del = new Set<string>();
  for (const key of removed as unknown[]) {
    if (typeof key !== 'string' || set.has(key)) throw new CheckpointCorruptError(`${what} is malformed`);
    del.add(key);
  }
  return { set, del };
}

/* ----------------------------------------------------------------------------------------------------
 * When to store a delta
 * -------------------------------------------------------------------------------------------------- */

export interface DeltaLimits {
  /** A value is at most this many deltas away from a whole value: bounds the links a read fetches. */
  readonly maxLinks: number;
  /**
   * The deltas of a chain together stay within this fraction of the whole value they start from (and of
   * the new value): bounds the bytes a read fetches, and makes rewriting the whole value cost, spread over
   * the steps it took to fill the budget, a small multiple of what those steps changed.
   */
  readonly maxChainFraction: number;
  /** Values whose envelope is smaller than this are always stored whole. */
  readonly minValueBytes: number;
  /**
   * Checkpoint bodies whose whole stored (compressed) size is smaller than this are always stored whole,
   * inline: a chain of deltas would cost more to read than it saves (body-deltas.ts).
   */
  readonly minBodyBytes: number;
}

export const DEFAULT_DELTA_LIMITS: DeltaLimits = {
  maxLinks: 8,
  maxChainFraction: 0.5,
  minValueBytes: 4 * 1024,
  minBodyBytes: 1024,
};

/** A delta of a chain, with its stored size. */
export interface DeltaLink {
  readonly delta: JsonObjectDelta;
  /** Bytes of its envelope. */
  readonly bytes: number;
}

export type DeltaPlan =
  /** Same entries as the previous value: the new checkpoint references it where it is. */
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'whole' }
  | {
      readonly kind: 'delta';
      readonly delta: JsonObjectDelta;
      readonly envelope: Uint8Array;
      /** How many links of the previous chain, from its head, the new delta takes in (their base is its). */
      readonly replaces: number;
    };

/**
 * How to store a new value given the chain of the previous one (`links`, newest first, over a whole value
 * of `wholeBytes`) and what changed (`change`).
 *
 * The new delta first takes in the links at the head of the chain that are no larger than itself (a
 * size-tiered merge: with a new key per step the chain behaves like a binary counter, about log2(steps)
 * deep, each step writing O(change x log steps) bytes on average), and those it mostly overwrites (the same
 * keys changing again: the merged delta stays the size of those keys and the chain one link deep); then more
 * while the chain would exceed `maxLinks`. When the chain's deltas would exceed `maxChainFraction` of the
 * whole value, or the value shrank to under half of the whole one, the new value is stored whole instead.
 */
export function planDelta(
  links: readonly DeltaLink[],
  wholeBytes: number,
  newBytes: number,
  change: JsonObjectDelta,
  limits: DeltaLimits,
): DeltaPlan {
  if (isEmptyDelta(change)) return { kind: 'unchanged' };
  const budget = Math.min(wholeBytes, newBytes) * limits.maxChainFraction;
  if (wholeBytes > 2 * newBytes) return { kind: 'whole' };
  let delta = change;
  let envelope = encodeDelta(delta);
  let replaces = 0;
  for (let link = links[0]; link !== undefined; link = links[replaces]) {
    const tooDeep = links.length - replaces >= limits.maxLinks;
    const smaller = link.bytes <= envelope.byteLength;
    const mostlyOverwritten = 2 * overwrittenBytes(link.delta, delta) >= link.bytes - EMPTY_DELTA_BYTES;
    if (!tooDeep && !smaller && !mostlyOverwritten) break;
    if (envelope.byteLength > budget) return { kind: 'whole' };
    delta = composeDeltas(link.delta, delta);
    envelope = encodeDelta(delta);
    replaces += 1;
  }
  const kept = links.slice(replaces).reduce((sum, link) => sum + link.bytes, 0);
  if (kept + envelope.byteLength > budget) return { kind: 'whole' };
  return { kind: 'delta', delta, envelope, replaces };
}

const EMPTY_DELTA_BYTES = encodeDelta({ set: new Map(), del: new Set() }).byteLength;

/** About how many bytes of `older` a later `newer` makes obsolete (the keys both touch). */
function overwrittenBytes(older: JsonObjectDelta, newer: JsonObjectDelta): number {
  let bytes = 0;
  const count = (key: string) => {
    const text = older.set.get(key);
    if (text !== undefined) bytes += key.length + text.length + 4;
    else if (older.del.has(key)) bytes += key.length + 3;
  };
  for (const key of newer.set.keys()) count(key);
  for (const key of newer.del) count(key);
  return bytes;
}
