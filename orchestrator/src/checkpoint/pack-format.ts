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
  field.writeUInt32BE(value, 0);
  return field;
}

export function i32(value: number): Buffer {
  const field = Buffer.alloc(4);
  field.writeInt32BE(value, 0);
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
    if (this.offset !== this.raw.byteLength)
      throw new CheckpointCorruptError(`${this.what} have trailing bytes`);
  }

  private need(length: number): void {
    if (this.offset + length > this.raw.byteLength) {
      throw new CheckpointCorruptError(`${this.what} are truncated`);
    }
  }
}
