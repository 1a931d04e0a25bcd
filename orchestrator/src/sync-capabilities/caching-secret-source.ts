import type { SecretSource } from './secret-source';

/** How long a secret read is reused: short, so a rotated secret reaches every warm container soon. */
export const SECRET_CACHE_TTL_MS = 60_000;

/**
 * Keeps each secret for `ttlMs` after it was read, so a busy orchestrator does not call Secrets Manager on
 * every HTTP call. Concurrent reads of one secret share one call. A failed read is not kept: the next
 * attempt (the node's retry) asks again. `now` is injected so tests control time.
 */
export class CachingSecretSource implements SecretSource {
  private readonly entries = new Map<string, { readonly value: Promise<string>; readonly until: number }>();

  constructor(
    private readonly source: SecretSource,
    private readonly ttlMs = SECRET_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  read(secretId: string): Promise<string> {
    const time = this.now();
    const cached = this.entries.get(secretId);
    if (cached && cached.until > time) return cached.value;
    const value = this.source.read(secretId);
    const entry = { value, until: time + this.ttlMs };
    this.entries.set(secretId, entry);
    value.catch(() => {
      if (this.entries.get(secretId) === entry) this.entries.delete(secretId);
    });
    return value;
  }
}
