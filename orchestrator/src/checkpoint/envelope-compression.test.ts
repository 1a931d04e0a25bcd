import { randomBytes } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import { COMPRESSED_ENVELOPE_TYPE, compressEnvelope, expandEnvelope } from './envelope-compression';
import { CheckpointCorruptError } from './errors';
import { decodeEnvelope, encodeEnvelope } from './envelope';

const encode = (text: string) => new TextEncoder().encode(text);

describe('envelope compression', () => {
  it('compresses a repetitive envelope and expands it back byte for byte', () => {
    const versions = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`branch:to:Step_${i}`, i]));
    const envelope = encodeEnvelope('json', encode(JSON.stringify({ channel_versions: versions })));
    const stored = compressEnvelope(envelope);
    expect(decodeEnvelope(stored).type).toBe(COMPRESSED_ENVELOPE_TYPE);
    expect(stored.byteLength).toBeLessThan(envelope.byteLength / 5);
    expect(Buffer.from(expandEnvelope(stored)).equals(Buffer.from(envelope))).toBe(true);
  });

  it('keeps small or incompressible envelopes as they are, and expands them to themselves', () => {
    const small = encodeEnvelope('json', encode('{"a":1}'));
    expect(compressEnvelope(small)).toBe(small);
    const noise = encodeEnvelope('bytes', randomBytes(2048));
    expect(compressEnvelope(noise)).toBe(noise);
    expect(expandEnvelope(small)).toBe(small);
    expect(expandEnvelope(noise)).toBe(noise);
  });

  it('refuses a compressed envelope that does not expand, or expands to another compressed one', () => {
    expect(() => expandEnvelope(encodeEnvelope(COMPRESSED_ENVELOPE_TYPE, encode('not brotli')))).toThrow(
      CheckpointCorruptError,
    );
    const inner = compressEnvelope(encodeEnvelope('json', encode(JSON.stringify({ k: 'x'.repeat(4000) }))));
    const twice = encodeEnvelope(COMPRESSED_ENVELOPE_TYPE, brotliCompressSync(inner));
    expect(() => expandEnvelope(twice)).toThrow(CheckpointCorruptError);
  });
});
