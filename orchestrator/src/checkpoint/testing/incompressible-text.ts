import { createHash } from 'node:crypto';

/**
 * `bytes` characters of text that brotli shrinks only to its entropy, 3/4 of its size (base64 of a hash
 * chain from `seed`):
 * what tests of chunking and item sizes store, now that stored values are compressed when that helps.
 * Deterministic, so a test's sizes do not vary between runs.
 */
export function incompressibleText(seed: string, bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let block = createHash('sha512').update(seed).digest(); length < bytes;) {
    const text = block.toString('base64');
    parts.push(text);
    length += text.length;
    block = createHash('sha512').update(block).digest();
  }
  return parts.join('').slice(0, bytes);
}
