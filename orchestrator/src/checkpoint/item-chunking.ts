import { randomBytes } from 'node:crypto';
import { CheckpointCorruptError } from './errors';
import type { ChunkRecord, ChunkedValue, InlineValue, StoredValue } from './storage-layout';

/*
 * Values of any size, in items of at most 400 KB.
 *
 * A value too large to sit inline in its item is split into a chunk set: items `CH#<set id>#<seq>` in the
 * thread's partition, each holding CHUNK_BYTES of the envelope. The chunks are written (and acknowledged)
 * before the item that references them, so a reader never follows a reference to a missing chunk; a crash
 * in between leaves only unreferenced chunks, which `deleteThread` and the TTL remove.
 *
 * Why chunks in DynamoDB rather than offloading large values to S3: both would keep the same write order
 * (parts first, referencing item last), but chunks keep all of a thread's data in one partition of one
 * table: one client and one permission, a checkpoint's parts fetched in the same BatchGetItem as its other
 * references, the same strongly consistent reads, and `deleteThread` and the TTL removing everything in one
 * place, where S3 objects would need their own deletion and lifecycle rules. The price is write units: a
 * 1 MiB value costs about 1,024 WCUs as chunks against one S3 PUT. Engine state is normally far below
 * that; should multi-MB values become common, offloading only those to S3 would be the next step.
 */

/** Payload bytes per chunk item; with its keys a chunk stays far below the 400 KB item limit. */
export const CHUNK_BYTES = 350 * 1024;

/** A value larger than this always gets its own chunk set instead of sitting inline in its item. */
export const MAX_INLINE_VALUE_BYTES = 32 * 1024;

/** Inline values of one item stop at this total, leaving room for keys, names and chunk references. */
export const INLINE_BUDGET_BYTES = 256 * 1024;

/** A chunk set id: 72 random bits, URL-safe base64, never containing `#` or `:`. */
export function newChunkSetId(): string {
  return randomBytes(9).toString('base64url');
}

export interface ChunkedEnvelope {
  readonly ref: ChunkedValue;
  readonly chunks: readonly ChunkRecord[];
}

/** Splits an envelope into a fresh chunk set. */
export function splitIntoChunks(
  threadId: string,
  envelope: Uint8Array,
  expiresAt: number | undefined,
): ChunkedEnvelope {
  const chunkSetId = newChunkSetId();
  const chunks: ChunkRecord[] = [];
  for (let offset = 0, seq = 0; offset < envelope.byteLength || seq === 0; offset += CHUNK_BYTES, seq += 1) {
    chunks.push({
      threadId,
      chunkSetId,
      seq,
      data: envelope.subarray(offset, Math.min(offset + CHUNK_BYTES, envelope.byteLength)),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  }
  return {
    ref: { kind: 'chunked', chunkSetId, chunkCount: chunks.length, byteLength: envelope.byteLength },
    chunks,
  };
}

/** Joins the chunks of `ref`, checking that every one is there and that the length matches. */
export function joinChunks(
  ref: ChunkedValue,
  chunkData: (seq: number) => Uint8Array | undefined,
): Uint8Array {
  const envelope = new Uint8Array(ref.byteLength);
  let offset = 0;
  for (let seq = 0; seq < ref.chunkCount; seq += 1) {
    const data = chunkData(seq);
    if (data === undefined) {
      throw new CheckpointCorruptError(
        `chunk ${seq} of ${ref.chunkCount} of set ${ref.chunkSetId} is missing`,
      );
    }
    if (offset + data.byteLength > ref.byteLength) {
      throw new CheckpointCorruptError(`chunk set ${ref.chunkSetId} is longer than ${ref.byteLength} bytes`);
    }
    envelope.set(data, offset);
    offset += data.byteLength;
  }
  if (offset !== ref.byteLength) {
    throw new CheckpointCorruptError(`chunk set ${ref.chunkSetId} has ${offset} of ${ref.byteLength} bytes`);
  }
  return envelope;
}

export interface PlacedValues<K> {
  /** Where each value went. */
  readonly placed: Map<K, StoredValue>;
  /** Chunk items to write before the item that references them. */
  readonly chunks: ChunkRecord[];
}

/**
 * Decides, for the values of one item, which stay inline and which go to a chunk set: the smallest are
 * inlined first, each at most MAX_INLINE_VALUE_BYTES, until INLINE_BUDGET_BYTES is used up. `required`
 * values (the checkpoint body and metadata) are inlined first and up to the whole budget, since every read
 * needs them.
 * Values given as already stored (a chunk reference kept from an earlier write) are left where they are.
 */
export function placeValues<K>(
  threadId: string,
  values: ReadonlyMap<K, Uint8Array | ChunkedValue>,
  expiresAt: number | undefined,
  required: ReadonlySet<K> = new Set(),
): PlacedValues<K> {
  const placed = new Map<K, StoredValue>();
  const chunks: ChunkRecord[] = [];
  const candidates: [K, Uint8Array][] = [];
  for (const [key, value] of values) {
    if (value instanceof Uint8Array) candidates.push([key, value]);
    else placed.set(key, value);
  }
  const rank = (key: K): number => (required.has(key) ? 0 : 1);
  candidates.sort(([a, x], [b, y]) => rank(a) - rank(b) || x.byteLength - y.byteLength);
  let budget = INLINE_BUDGET_BYTES;
  for (const [key, envelope] of candidates) {
    const small = required.has(key) || envelope.byteLength <= MAX_INLINE_VALUE_BYTES;
    if (small && envelope.byteLength <= budget) {
      budget -= envelope.byteLength;
      placed.set(key, { kind: 'inline', bytes: envelope } satisfies InlineValue);
    } else {
      const split = splitIntoChunks(threadId, envelope, expiresAt);
      placed.set(key, split.ref);
      chunks.push(...split.chunks);
    }
  }
  return { placed, chunks };
}
