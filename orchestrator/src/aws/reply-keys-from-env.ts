import { createPinoLogger } from './pino-logger';
import { parseReplyKeys, RefreshingReplyKeys } from './reply-keys';
import { readReplyKeysThroughExtension } from './secrets-extension-reply-keys';

/** How often a warm container reads the reply keys again (a rotation's step reaches it within this). */
export const REPLY_KEYS_REFRESH_MS = 5 * 60 * 1000;

/**
 * The reply keys of every Lambda that tags request ids or verifies replies (the orchestrator; Step
 * Functions mode's request and reply Lambdas): from Secrets Manager through the Parameters and Secrets
 * extension (CCH_REPLY_KEYS_SECRET_ARN, set by the stack), or CCH_REPLY_KEYS, the same JSON, off AWS.
 * Neither set is a configuration error: there is no unverified mode on queues.
 */
export function replyKeysFromEnv(env: NodeJS.ProcessEnv = process.env): RefreshingReplyKeys {
  const secretArn = env.CCH_REPLY_KEYS_SECRET_ARN;
  const inline = env.CCH_REPLY_KEYS;
  if (!secretArn && !inline) {
    throw new Error(
      'CCH_REPLY_KEYS_SECRET_ARN (or CCH_REPLY_KEYS) must be set: request ids are tagged with them',
    );
  }
  const logger = createPinoLogger();
  return new RefreshingReplyKeys(
    secretArn
      ? () => readReplyKeysThroughExtension(secretArn)
      : () => Promise.resolve(parseReplyKeys(inline ?? '', 'CCH_REPLY_KEYS')),
    REPLY_KEYS_REFRESH_MS,
    Date.now,
    (error) =>
      logger.warn({ error: String(error) }, 'reply keys not refreshed; the keys in hand stay in use'),
  );
}
