import { randomBytes } from 'node:crypto';
import { EngineError } from '../errors/engine-error';
import {
  InvalidReplyKeysError,
  validateReplyKeys,
  type ReplyKeys,
  type ReplyKeySource,
} from '../graph/request-ids';
import type { ReplySenders } from '../runtime/reply-senders';

/**
 * The deployment's reply keys could not be read or are not usable: the orchestrator cannot tag a request
 * or verify a reply, so it processes nothing (retryable: a secret that becomes readable heals it).
 */
export class ReplyKeysUnavailableError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPLY_KEYS_UNAVAILABLE', message, true, options);
  }
}

/**
 * Reply keys as stored (the Secrets Manager secret's string, `CCH_REPLY_KEYS`, the local stack's key
 * file): `{"current": "<at least 32 characters>", "previous": "<optional>"}`.
 */
export function parseReplyKeys(text: string, source: string): ReplyKeys {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReplyKeysUnavailableError(`${source} is not JSON {"current": ..., "previous": ...}`);
  }
  const { current, previous } = (json ?? {}) as { current?: unknown; previous?: unknown };
  try {
    return validateReplyKeys({
      current: current as string,
      ...(previous === undefined || previous === null || previous === ''
        ? {}
        : { previous: previous as string }),
    });
  } catch (error) {
    if (error instanceof InvalidReplyKeysError) {
      throw new ReplyKeysUnavailableError(`${source}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** A fresh key ring (the local stack's, at provision time): 256 random bits, base64url. */
export function generateReplyKeys(): ReplyKeys {
  return { current: randomBytes(32).toString('base64url') };
}

/**
 * Keys read through `read` once, then again at most every `refreshMs` (so a rotation reaches a warm
 * container within that time, see docs/security.md). A failed refresh keeps the keys in hand; only a
 * container that never read them fails.
 */
export class RefreshingReplyKeys implements ReplyKeySource {
  private current: ReplyKeys | undefined;
  private readAt = 0;

  constructor(
    private readonly read: () => Promise<ReplyKeys>,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
    private readonly onRefreshFailed: (error: unknown) => void = () => undefined,
  ) {}

  /** Reads the keys when there are none yet or they are older than `refreshMs`. */
  async refresh(): Promise<void> {
    if (this.current && this.now() - this.readAt < this.refreshMs) return;
    try {
      this.current = await this.read();
      this.readAt = this.now();
    } catch (error) {
      if (!this.current) throw error;
      this.onRefreshFailed(error);
    }
  }

  keys(): ReplyKeys {
    if (!this.current) throw new ReplyKeysUnavailableError('the reply keys have not been read yet');
    return this.current;
  }
}

/**
 * `CCH_REPLY_SENDERS`: `{"byDomain": {"<domain>": ["<principal id>", ...]}, "others": [...]}` (see
 * ReplySenders); unset or empty: replies are not checked against their sender.
 */
export function replySendersFromEnv(env: NodeJS.ProcessEnv): ReplySenders | undefined {
  const text = env.CCH_REPLY_SENDERS;
  if (!text) return undefined;
  const json = JSON.parse(text) as { byDomain?: unknown; others?: unknown };
  const ids = (value: unknown, what: string): string[] => {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
      throw new Error(`CCH_REPLY_SENDERS: ${what} must be a list of principal ids`);
    }
    return value as string[];
  };
  const byDomain: Record<string, string[]> = {};
  for (const [domain, value] of Object.entries((json.byDomain ?? {}) as Record<string, unknown>)) {
    byDomain[domain] = ids(value, `byDomain.${domain}`);
  }
  return {
    byDomain,
    ...(json.others === undefined || json.others === null ? {} : { others: ids(json.others, 'others') }),
  };
}

/** A comma-separated list of principal ids (`CCH_RELAY_SENDER_IDS`); empty when unset. */
export function senderIdsFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}
