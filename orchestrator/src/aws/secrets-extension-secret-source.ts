import {
  SecretUnavailableError,
  type SecretErrorCode,
  type SecretSource,
} from '../sync-capabilities/secret-source';

/**
 * Secrets for sync capabilities read through the AWS Parameters and Secrets Lambda extension (the layer
 * the stack adds to the orchestrator for the reply keys): an HTTP call on localhost, authorised by the
 * function's session token, answered from the extension's cache, which reads the secret with the
 * function's role. No SDK client, so the orchestrator bundle stays under its 1.5 MB (Secrets Manager's
 * client costs 30 KB). Its answers become SecretUnavailableError with a stable code; none quotes a value
 * (the extension's body is searched for Secrets Manager's error name, never repeated).
 */
export class ExtensionSecretSource implements SecretSource {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async read(secretId: string): Promise<string> {
    const fail = (code: SecretErrorCode, why: string, retryable = false, cause?: unknown) =>
      new SecretUnavailableError(code, secretId, `secret '${secretId}' ${why}`, retryable, { cause });
    const token = this.env.AWS_SESSION_TOKEN;
    if (!token) throw fail('SECRET_UNAVAILABLE', 'cannot be read: AWS_SESSION_TOKEN is not set');
    const port = this.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || '2773';
    let response: Response;
    let text: string;
    try {
      response = await fetch(
        `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
        { headers: { 'X-Aws-Parameters-Secrets-Token': token }, signal: AbortSignal.timeout(5000) },
      );
      text = await response.text();
    } catch (error) {
      throw fail('SECRET_UNAVAILABLE', `could not be read: no extension on port ${port}`, true, error);
    }
    if (!response.ok) {
      if (text.includes('ResourceNotFoundException')) throw fail('SECRET_NOT_FOUND', 'does not exist');
      const status = response.status;
      const denied = /AccessDeniedException|DecryptionFailure/.exec(text)?.[0];
      if (denied)
        throw fail('SECRET_ACCESS_DENIED', `may not be read: the extension answered ${status} ${denied}`);
      throw fail(
        'SECRET_UNAVAILABLE',
        `could not be read: the extension answered ${status}`,
        status >= 500 || status === 429,
      );
    }
    let value: unknown;
    try {
      value = (JSON.parse(text) as { SecretString?: unknown }).SecretString;
    } catch {
      // Not the extension's JSON: no text value to take.
    }
    if (typeof value !== 'string') throw fail('SECRET_NOT_TEXT', 'has no SecretString');
    return value;
  }
}
