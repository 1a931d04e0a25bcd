import type { ReplyKeys } from '../graph/request-ids';
import { parseReplyKeys, ReplyKeysUnavailableError } from './reply-keys';

/** Attempts at the first read: the extension may not serve yet in the first moments of a cold start. */
const ATTEMPTS = 5;
const BACKOFF_MS = 100;

/**
 * The reply keys in the Secrets Manager secret `secretId`, read through the AWS Parameters and Secrets
 * Lambda extension (the layer the stack adds to the orchestrator): an HTTP call on localhost, authorised
 * by the function's session token, answered from the extension's cache (its TTL is set by the stack),
 * which fetches the secret with the function's role. No SDK client: Secrets Manager's would add 28 KB to
 * a bundle kept under 1.5 MB.
 */
export async function readReplyKeysThroughExtension(
  secretId: string,
  env: NodeJS.ProcessEnv = process.env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ReplyKeys> {
  const token = env.AWS_SESSION_TOKEN;
  if (!token) {
    throw new ReplyKeysUnavailableError(
      'AWS_SESSION_TOKEN is not set: the Parameters and Secrets extension serves Lambda functions only',
    );
  }
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || '2773';
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
  for (let attempt = 1; ; attempt++) {
    let failure: ReplyKeysUnavailableError;
    try {
      const response = await fetch(url, { headers: { 'X-Aws-Parameters-Secrets-Token': token } });
      if (response.ok) {
        const { SecretString } = (await response.json()) as { SecretString?: unknown };
        if (typeof SecretString !== 'string' || SecretString === '') {
          throw new ReplyKeysUnavailableError(`secret ${secretId} has no string value`);
        }
        return parseReplyKeys(SecretString, `secret ${secretId}`);
      }
      // Its answer names the failure (AccessDenied, ResourceNotFound, not ready yet); never the secret.
      const said = (await response.text()).slice(0, 300);
      failure = new ReplyKeysUnavailableError(
        `the Parameters and Secrets extension answered ${response.status} for secret ${secretId}: ${said}`,
      );
    } catch (error) {
      if (error instanceof ReplyKeysUnavailableError) throw error;
      failure = new ReplyKeysUnavailableError(
        `the Parameters and Secrets extension did not answer on port ${port}: ${String(error)}`,
        { cause: error },
      );
    }
    if (attempt >= ATTEMPTS) throw failure;
    await sleep(BACKOFF_MS * attempt);
  }
}
