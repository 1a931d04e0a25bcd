import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { CheckpointCorruptError } from './errors';
import { decodeEnvelope, encodeEnvelope } from './envelope';

/*
 * Compressed envelopes. The checkpoint body is very repetitive (`"branch:to:Step_042":85` a thousand times
 * over: brotli takes a 100 KB body to about 5 KB in 2 ms, a 900-byte delta of it to 250 bytes), and DynamoDB
 * bills every byte of an item, on every write and every read. A stored envelope may therefore be an envelope
 * of type `~br` whose payload is the brotli-compressed bytes of the real envelope (type and payload).
 *
 * Invariants:
 * - Every reader of a stored envelope expands it first (`expandEnvelope`), so any stored envelope may be
 *   compressed; writers compress what is worth it (`compressEnvelope`: the body and its deltas, and the
 *   channel values a checkpoint introduces, whole or deltas, and pending writes).
 * - Compression nests once: the inner envelope is never itself compressed.
 * - Sizes the delta limits are about (a chain's bytes, its whole value's bytes) are stored sizes, compressed
 *   or not: they bound what a read fetches and a write sends.
 */

export const COMPRESSED_ENVELOPE_TYPE = '~br';

/** Below this, compression saves too little to be worth a read's decompression. */
const MIN_COMPRESSED_BYTES = 256;
/** Brotli quality 6: about 95% smaller on a body, 2 ms for 100 KB (11, the maximum, takes 150 ms). */
const QUALITY = 6;

/** `envelope`, compressed when that makes it smaller. */
export function compressEnvelope(envelope: Uint8Array): Uint8Array {
  if (envelope.byteLength < MIN_COMPRESSED_BYTES) return envelope;
  const compressed = brotliCompressSync(envelope, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: envelope.byteLength,
    },
  });
  const wrapped = encodeEnvelope(COMPRESSED_ENVELOPE_TYPE, compressed);
  return wrapped.byteLength < envelope.byteLength ? wrapped : envelope;
}

/** The envelope a stored one stands for: itself, or what its compressed payload expands to. */
export function expandEnvelope(stored: Uint8Array): Uint8Array {
  const { type, payload } = decodeEnvelope(stored);
  if (type !== COMPRESSED_ENVELOPE_TYPE) return stored;
  let envelope: Uint8Array;
  try {
    envelope = brotliDecompressSync(payload);
  } catch (error) {
    throw new CheckpointCorruptError(`a compressed value does not expand: ${String(error)}`);
  }
  if (decodeEnvelope(envelope).type === COMPRESSED_ENVELOPE_TYPE) {
    throw new CheckpointCorruptError('a compressed value is compressed twice');
  }
  return envelope;
}
