import type { ReplyKeys } from '../graph/request-ids';
import { SecretUnavailableError } from '../sync-capabilities/secret-source';
import { parseReplyKeys, ReplyKeysUnavailableError } from './reply-keys';
import { ExtensionSecretSource } from './secrets-extension-secret-source';

/** Attempts at the first read: the extension may not serve yet in the first moments of a cold start. */
const ATTEMPTS = 5;
const BACKOFF_MS = 100;

/**
 * The reply keys in the Secrets Manager secret `secretId`, read through the AWS Parameters and Secrets
 * Lambda extension (the layer the stack adds to the orchestrator; see ExtensionSecretSource, which the
 * workflows' secrets share), which caches the secret (its TTL is set by the stack). A refusal is tried again
 * a few times (a cold start); a secret that is there but is no key set is refused at once. No message quotes
 * the secret.
 */
export async function readReplyKeysThroughExtension(
  secretId: string,
  env: NodeJS.ProcessEnv = process.env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ReplyKeys> {
  const source = new ExtensionSecretSource(env);
  for (let attempt = 1; ; attempt++) {
    let text: string;
    try {
      text = await source.read(secretId);
    } catch (error) {
      const e = error as SecretUnavailableError;
      const final =
        !(error instanceof SecretUnavailableError) || e.code === 'SECRET_NOT_TEXT' || !env.AWS_SESSION_TOKEN;
      if (final || attempt >= ATTEMPTS) throw new ReplyKeysUnavailableError(e.message, { cause: error });
      await sleep(BACKOFF_MS * attempt);
      continue;
    }
    return parseReplyKeys(text, `secret ${secretId}`);
  }
}
