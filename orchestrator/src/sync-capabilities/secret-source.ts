import { EngineError } from '../errors/engine-error';

/**
 * Where sync capabilities read secrets (an API token for an `http` header). The engine never sees how:
 * Secrets Manager on AWS (aws/secrets-manager-secret-source.ts), a map in tests. A secret's value must
 * never be logged or put into an error message; its id may be.
 */
export interface SecretSource {
  /** The secret's text value (Secrets Manager's SecretString); throws SecretUnavailableError. */
  read(secretId: string): Promise<string>;
}

/**
 * A secret could not be read. `code` says why: SECRET_NOT_FOUND, SECRET_ACCESS_DENIED (neither retryable:
 * the deployment must change), SECRET_UNAVAILABLE (throttling, network: retryable), SECRET_NOT_TEXT.
 */
export type SecretErrorCode =
  'SECRET_NOT_FOUND' | 'SECRET_ACCESS_DENIED' | 'SECRET_UNAVAILABLE' | 'SECRET_NOT_TEXT';

export class SecretUnavailableError extends EngineError {
  constructor(
    code: SecretErrorCode,
    readonly secretId: string,
    message: string,
    retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, retryable, options);
  }
}

/** Refuses every read: where no secret source is configured (the default of in-memory simulations). */
export const NO_SECRETS: SecretSource = {
  read: (secretId) =>
    Promise.reject(
      new SecretUnavailableError(
        'SECRET_UNAVAILABLE',
        secretId,
        `secret '${secretId}' cannot be read: no secret source is configured here`,
        false,
      ),
    ),
};
