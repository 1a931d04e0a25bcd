import { CheckpointCorruptError } from './errors';

/**
 * A serialized value with its serde type, as one byte string: `[type length: 1 byte][type][payload]`.
 * The serde type is short (`json`, `bytes`), so the envelope costs a handful of bytes.
 */
export function encodeEnvelope(type: string, payload: Uint8Array): Uint8Array {
  const typeBytes = Buffer.from(type, 'utf8');
  if (typeBytes.length > 255) throw new CheckpointCorruptError(`serde type too long: ${type}`);
  const envelope = new Uint8Array(1 + typeBytes.length + payload.byteLength);
  envelope[0] = typeBytes.length;
  envelope.set(typeBytes, 1);
  envelope.set(payload, 1 + typeBytes.length);
  return envelope;
}

export function decodeEnvelope(envelope: Uint8Array): { type: string; payload: Uint8Array } {
  const typeLength = envelope[0];
  if (typeLength === undefined || envelope.byteLength < 1 + typeLength) {
    throw new CheckpointCorruptError('stored value is shorter than its header');
  }
  return {
    type: Buffer.from(envelope.subarray(1, 1 + typeLength)).toString('utf8'),
    payload: envelope.subarray(1 + typeLength),
  };
}
