import { CheckpointCorruptError } from './errors';
import {
  CHUNK_BYTES,
  INLINE_BUDGET_BYTES,
  MAX_INLINE_VALUE_BYTES,
  joinChunks,
  placeValues,
  splitIntoChunks,
} from './item-chunking';

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) out[i] = (i * 31 + seed) % 251;
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

describe('item chunking', () => {
  it.each([0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES])(
    'splits and joins %i bytes exactly',
    (length) => {
      const envelope = bytes(length);
      const { ref, chunks } = splitIntoChunks('t', envelope, undefined);
      expect(ref.chunkCount).toBe(Math.max(1, Math.ceil(length / CHUNK_BYTES)));
      expect(chunks.every((chunk) => chunk.data.byteLength <= CHUNK_BYTES)).toBe(true);
      expect(
        same(
          joinChunks(ref, (seq) => chunks[seq]?.data),
          envelope,
        ),
      ).toBe(true);
    },
  );

  it('refuses a chunk set with a chunk missing or of the wrong length', () => {
    const { ref, chunks } = splitIntoChunks('t', bytes(2 * CHUNK_BYTES + 10), undefined);
    expect(() => joinChunks(ref, (seq) => (seq === 1 ? undefined : chunks[seq]?.data))).toThrow(
      CheckpointCorruptError,
    );
    expect(() => joinChunks(ref, (seq) => chunks[seq]?.data.subarray(1))).toThrow(CheckpointCorruptError);
  });

  it('inlines the smallest values first within the budget and chunks the rest', () => {
    const values = new Map<string, Uint8Array>([
      ['tiny', bytes(10)],
      ['too-big-to-inline', bytes(MAX_INLINE_VALUE_BYTES + 1)],
      ...Array.from({ length: 12 }, (_, i): [string, Uint8Array] => [
        `medium-${i}`,
        bytes(MAX_INLINE_VALUE_BYTES - i),
      ]),
    ]);
    const { placed, chunks } = placeValues('t', values, undefined);
    expect(placed.get('tiny')?.kind).toBe('inline');
    expect(placed.get('too-big-to-inline')?.kind).toBe('chunked');
    const inlineBytes = [...placed.values()].reduce(
      (sum, v) => sum + (v.kind === 'inline' ? v.bytes.byteLength : 0),
      0,
    );
    expect(inlineBytes).toBeLessThanOrEqual(INLINE_BUDGET_BYTES);
    // The largest medium values did not fit the budget.
    expect(placed.get('medium-0')?.kind).toBe('chunked');
    expect(placed.get('medium-11')?.kind).toBe('inline');
    expect(new Set(chunks.map((c) => c.chunkSetId)).size).toBe(
      [...placed.values()].filter((v) => v.kind === 'chunked').length,
    );
  });
});
