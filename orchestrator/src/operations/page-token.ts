import type { PartitionCursor } from './merged-index-pages';

/** A `next` token the caller did not get from the same query (or that was altered). */
export class InvalidPageTokenError extends Error {
  override name = 'InvalidPageTokenError';
}

type EncodedCursor = 0 | 1 | readonly [string, string];

/**
 * The `next` token of a listing: where each partition's reading stands, bound to the query it came from
 * (`query`, a canonical text of the filters), so a token is refused by any other query. Opaque to callers,
 * base64url JSON: `0` not begun, `1` done, `[sort_key, instance_id]` resume after that entry.
 */
export function encodePageToken(query: string, cursors: readonly PartitionCursor[]): string {
  const c: EncodedCursor[] = cursors.map((cursor) =>
    cursor === 'start' ? 0 : cursor === 'done' ? 1 : [cursor.sort_key, cursor.instance_id],
  );
  return Buffer.from(JSON.stringify({ v: 1, q: query, c }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, query: string, partitions: number): PartitionCursor[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError('the next token is not one this command printed');
  }
  const { v, q, c } = (parsed ?? {}) as { v?: unknown; q?: unknown; c?: unknown };
  if (v !== 1 || !Array.isArray(c) || c.length !== partitions) {
    throw new InvalidPageTokenError('the next token is not one this command printed');
  }
  if (q !== query) {
    throw new InvalidPageTokenError('the next token belongs to a listing with other filters: repeat them');
  }
  return c.map((cursor: unknown): PartitionCursor => {
    if (cursor === 0) return 'start';
    if (cursor === 1) return 'done';
    if (
      Array.isArray(cursor) &&
      cursor.length === 2 &&
      typeof cursor[0] === 'string' &&
      typeof cursor[1] === 'string'
    ) {
      return { sort_key: cursor[0], instance_id: cursor[1] };
    }
    throw new InvalidPageTokenError('the next token is not one this command printed');
  });
}
