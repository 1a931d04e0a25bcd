import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretUnavailableError, type SecretSource } from '../sync-capabilities/secret-source';
import { translateAwsError } from './aws-errors';

/** SDK error names that say the secret is not there (or no longer usable): the deployment must change. */
const NOT_FOUND = new Set(['ResourceNotFoundException']);
/** The role may not read it, or may not decrypt it with its KMS key. */
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'DecryptionFailure']);

/**
 * Secrets for sync capabilities from AWS Secrets Manager (GetSecretValue, the current version). SDK errors
 * become SecretUnavailableError with a stable code and the SDK error as `cause`; no message carries the
 * value. Wrap it in CachingSecretSource: this reads on every call.
 */
export class SecretsManagerSecretSource implements SecretSource {
  constructor(private readonly client: SecretsManagerClient) {}

  async read(secretId: string): Promise<string> {
    let value: string | undefined;
    try {
      ({ SecretString: value } = await this.client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      throw secretError(secretId, error);
    }
    if (typeof value !== 'string') {
      throw new SecretUnavailableError(
        'SECRET_NOT_TEXT',
        secretId,
        `secret '${secretId}' has no text value (SecretString)`,
        false,
      );
    }
    return value;
  }
}

/** The SecretUnavailableError for an SDK failure to read `secretId`. */
export function secretError(secretId: string, error: unknown): SecretUnavailableError {
  const translated = translateAwsError('SECRETSMANAGER', 'GetSecretValue', error);
  const name = (error as { name?: unknown } | null)?.name;
  const options = { cause: translated };
  if (typeof name === 'string' && NOT_FOUND.has(name)) {
    return new SecretUnavailableError(
      'SECRET_NOT_FOUND',
      secretId,
      `secret '${secretId}' does not exist`,
      false,
      options,
    );
  }
  if (typeof name === 'string' && DENIED.has(name)) {
    return new SecretUnavailableError(
      'SECRET_ACCESS_DENIED',
      secretId,
      `the orchestrator may not read secret '${secretId}' (${name}); see docs/sync-capabilities.md`,
      false,
      options,
    );
  }
  return new SecretUnavailableError(
    'SECRET_UNAVAILABLE',
    secretId,
    `secret '${secretId}' could not be read: ${translated.message}`,
    translated.retryable,
    options,
  );
}
