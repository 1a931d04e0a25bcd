import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { CheckpointCorruptError } from './errors';

/*
 * The binary form of a pack (packed-writes.ts, packed-values.ts): a version byte, a count, then fields that
 * are big-endian integers or length-prefixed bytes, brotli-compressed as a whole so the compression sees
 * every value's text together. `what` names the pack in every error ("the packed writes of task t").
 */

/** Quality 6 as for envelopes: a pack is small, and read on every read of its item. */
const QUALITY = 6;

export function u8(value: number): Buffer {
  return Buffer.from([value]);
}

export function u32(value: number): Buffer {
  const field = Buffer.alloc(4);
  field.writeUInt32BE(value);
  return field;
}

export function i32(value: number): Buffer {
  const field = Buffer.alloc(4);
  field.writeInt32BE(value);
  return field;
}

export function lengthPrefixed(bytes: Uint8Array): Buffer {
  return Buffer.concat([u32(bytes.byteLength), bytes]);
}

export function compressPack(parts: readonly Uint8Array[]): Uint8Array {
  const raw = Buffer.concat(parts);
  return brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
    },
  });
}

/** A reader over an expanded pack whose version byte is `version`. */
export function openPack(packed: Uint8Array, version: number, what: string): PackReader {
  let raw: Buffer;
  try {
    raw = brotliDecompressSync(packed);
  } catch (error) {
    throw new CheckpointCorruptError(`${what} do not expand: ${String(error)}`);
  }
  const reader = new PackReader(raw, what);
  const found = reader.u8();
  if (found !== version) throw new CheckpointCorruptError(`${what} have unknown version ${found}`);
  return reader;
}

export class PackReader {
  private offset = 0;

  constructor(
    private readonly raw: Buffer,
    private readonly what: string,
  ) {}

  u8(): number {
    return this.read(1, (at) => this.raw.readUInt8(at));
  }

  u32(): number {
    return this.read(4, (at) => this.raw.readUInt32BE(at));
  }

  i32(): number {
    return this.read(4, (at) => this.raw.readInt32BE(at));
  }

  bytes(): Buffer {
    const length = this.u32();
    return this.read(length, (at) => this.raw.subarray(at, at + length));
  }

  end(): void {
    if (this.offset !== this.raw.byteLength)
      throw new CheckpointCorruptError(`${this.what} have trailing bytes`);
  }

  /** The next `length` bytes, read by `at` at their offset. */
  private read<T>(length: number, at: (offset: number) => T): T {
    if (this.offset + length > this.raw.byteLength) {
      throw new CheckpointCorruptError(`${this.what} are truncated`);
    }
    const value = at(this.offset);
    this.offset += length;
    return value;
  }
}
