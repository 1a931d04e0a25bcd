import { compressPack, lengthPrefixed, openPack, u32, u8 } from './pack-format';

/*
 * The inline channel values a checkpoint item introduces, packed into one compressed binary attribute
 * (`vp`). A step's checkpoint item sits near DynamoDB's 1 KB write unit, and its values were each stored
 * on their own: a small one (a context, a visit counter) uncompressed, since brotli saves nothing on
 * 200 bytes alone, under its own attribute name. Packed and compressed together, with each value expanded
 * first so the compression sees all their text (node names, request ids, keys repeat across them), they
 * take about half: an export's step item falls from 1.2 KB (2 write units) to under 1 KB.
 *
 * Invariants:
 * - A pack holds inline values only (a chunk reference stays in `v`).
 * - Each value is held expanded, with the length it is stored at on its own (`storedLength`, compressed or
 *   not): the delta bounds count stored bytes (storage-layout), so a reader counts a packed value as it
 *   counts the same value listed in `v`. (The writer plans a value by its uncompressed size; that
 *   difference predates packing and is the same for both forms.)
 * - Layout before compression, big-endian: version byte 1, value count (u32), then per value: channel (u32
 *   length + UTF-8), stored length (u32), envelope (u32 length + bytes).
 */

const PACK_VERSION = 1;

export interface PackedValue {
  readonly channel: string;
  /** The envelope's length as stored on its own (compressed or not). */
  readonly storedLength: number;
  /** The envelope, expanded. */
  readonly envelope: Uint8Array;
}

export function packValues(values: readonly PackedValue[]): Uint8Array {
  const parts: Uint8Array[] = [u8(PACK_VERSION), u32(values.length)];
  for (const value of values) {
    parts.push(lengthPrefixed(Buffer.from(value.channel, 'utf8')), u32(value.storedLength));
    parts.push(lengthPrefixed(value.envelope));
  }
  return compressPack(parts);
}

export function unpackValues(packed: Uint8Array, what: string): PackedValue[] {
  const reader = openPack(packed, PACK_VERSION, `the packed values of ${what}`);
  const count = reader.u32();
  const values: PackedValue[] = [];
  for (let i = 0; i < count; i += 1) {
    const channel = reader.bytes().toString('utf8');
    const storedLength = reader.u32();
    values.push({ channel, storedLength, envelope: new Uint8Array(reader.bytes()) });
  }
  reader.end();
  return values;
}
