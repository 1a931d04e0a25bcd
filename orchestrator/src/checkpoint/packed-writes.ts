import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { CheckpointCorruptError } from './errors';

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
/** Quality 6 as for envelopes: a pack is small, and read on every resume of its checkpoint. */
const QUALITY = 6;

export interface PackedWrite {
  readonly idx: number;
  readonly channel: string;
  readonly taskPath: string;
  /** The value's envelope, expanded (see envelope-compression): the pack compresses it with the rest. */
  readonly envelope: Uint8Array;
}

export function packWrites(writes: readonly PackedWrite[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(5);
  header.writeUInt8(PACK_VERSION, 0);
  header.writeUInt32BE(writes.length, 1);
  parts.push(header);
  for (const write of writes) {
    const idx = Buffer.alloc(4);
    idx.writeInt32BE(write.idx, 0);
    parts.push(idx, lengthPrefixed(Buffer.from(write.channel, 'utf8')));
    parts.push(lengthPrefixed(Buffer.from(write.taskPath, 'utf8')));
    parts.push(lengthPrefixed(write.envelope));
  }
  const raw = Buffer.concat(parts);
  return brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
    },
  });
}

export function unpackWrites(packed: Uint8Array, what: string): PackedWrite[] {
  let raw: Buffer;
  try {
    raw = brotliDecompressSync(packed);
  } catch (error) {
    throw new CheckpointCorruptError(`the packed writes of ${what} do not expand: ${String(error)}`);
  }
  const reader = new PackReader(raw, what);
  const version = reader.u8();
  if (version !== PACK_VERSION) {
    throw new CheckpointCorruptError(`the packed writes of ${what} have unknown version ${version}`);
  }
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

function lengthPrefixed(bytes: Uint8Array): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.byteLength, 0);
  return Buffer.concat([prefix, bytes]);
}

class PackReader {
  private offset = 0;

  constructor(
    private readonly raw: Buffer,
    private readonly what: string,
  ) {}

  u8(): number {
    this.need(1);
    const value = this.raw.readUInt8(this.offset);
    this.offset += 1;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.raw.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.raw.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  bytes(): Buffer {
    const length = this.u32();
    this.need(length);
    const value = this.raw.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  end(): void {
    if (this.offset !== this.raw.byteLength) {
      throw new CheckpointCorruptError(`the packed writes of ${this.what} have trailing bytes`);
    }
  }

  private need(length: number): void {
    if (this.offset + length > this.raw.byteLength) {
      throw new CheckpointCorruptError(`the packed writes of ${this.what} are truncated`);
    }
  }
}
