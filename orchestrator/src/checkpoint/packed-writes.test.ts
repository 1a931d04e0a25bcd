import { brotliCompressSync } from 'node:zlib';
import { CheckpointCorruptError } from './errors';
import { packWrites, unpackWrites, type PackedWrite } from './packed-writes';

const envelope = (text: string) => new Uint8Array(Buffer.from(`\u0004json${text}`, 'utf8'));

describe('packed writes', () => {
  it('round-trips idx (special writes are negative), channel, task path and envelope, in order', () => {
    const writes: PackedWrite[] = [
      { idx: -3, channel: '__interrupt__', taskPath: '~__pregel_pull, B', envelope: envelope('[1]') },
      { idx: 0, channel: 'context', taskPath: '', envelope: envelope('{"ü":"ß"}') },
      { idx: 1, channel: 'join:a+b:gate', taskPath: '', envelope: new Uint8Array(0) },
    ];
    expect(unpackWrites(packWrites(writes), 'task t')).toEqual(writes);
  });

  it('refuses a pack that is not brotli, is truncated, has trailing bytes or an unknown version', () => {
    const raw = Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(unpackWrites(brotliCompressSync(raw), 't')).toEqual([
      { idx: 0, channel: 'a', taskPath: '', envelope: new Uint8Array(0) },
    ]);
    const refusals: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2, 3]), /do not expand/],
      [brotliCompressSync(raw.subarray(0, raw.length - 1)), /truncated/],
      [brotliCompressSync(Buffer.concat([raw, Buffer.from([0])])), /trailing bytes/],
      [brotliCompressSync(Buffer.from([2, 0, 0, 0, 0])), /unknown version 2/],
    ];
    for (const [packed, message] of refusals) {
      expect(() => unpackWrites(packed, 'task t')).toThrow(CheckpointCorruptError);
      expect(() => unpackWrites(packed, 'task t')).toThrow(message);
    }
  });
});
