import { createHash } from 'node:crypto';

/** The sha256 of a definition's text: its content address, under which it is pinned. */
export function sha256Of(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
