import { compressPack, i32, lengthPrefixed, openPack, u32, u8 } from './pack-format';

/*
 * A task's pending writes packed into one compressed binary attribute. A resume reads the pending writes of
 * every task of the checkpoint it resumes (a fan-out's branches: each waiting branch's interrupt, each
 * finished branch's outputs), and DynamoDB bills every byte of them. Stored one map per write, a finished
 * branch's item repeated its join channel's name (`join:<every branch runner>+...:<gate>`, 2.6 KB at width
 * 100) and a dozen tiny writes each with its own attribute names; packed and compressed together, with the
 * values expanded first so the compression sees their text, it is a few hundred bytes.
 *
 * Invariants:
 * - A pack holds inline values only (a chunked value keeps the list form), as expanded envelopes: a reader
 *   expands every stored envelope, and an uncompressed one expands to itself, so what it reads is unchanged.
 * - Layout before compression, big-endian: version byte 1, write count (u32), then per write: idx (i32),
 *   channel (u32 length + UTF-8), task path (u32 length + UTF-8), envelope (u32 length + bytes).
 */

const PACK_VERSION = 1;

export interface PackedWrite {
  readonly idx: number;
  readonly channel: string;
  readonly taskPath: string;
  /** The value's envelope, expanded (see envelope-compression): the pack compresses it with the rest. */
  readonly envelope: Uint8Array;
}

export function packWrites(writes: readonly PackedWrite[]): Uint8Array {
  const parts: Uint8Array[] = [u8(PACK_VERSION), u32(writes.length)];
  for (const write of writes) {
    parts.push(i32(write.idx), lengthPrefixed(Buffer.from(write.channel, 'utf8')));
    parts.push(lengthPrefixed(Buffer.from(write.taskPath, 'utf8')), lengthPrefixed(write.envelope));
  }
  return compressPack(parts);
}

export function unpackWrites(packed: Uint8Array, what: string): PackedWrite[] {
  const reader = openPack(packed, PACK_VERSION, `the packed writes of ${what}`);
  const count = reader.u32();
  const writes: PackedWrite[] = [];
  for (let i = 0; i < count; i += 1) {
    const idx = reader.i32();
    const channel = reader.bytes().toString('utf8');
    const taskPath = reader.bytes().toString('utf8');
    writes.push({ idx, channel, taskPath, envelope: new Uint8Array(reader.bytes()) });
  }
  reader.end();
  return writes;
}
