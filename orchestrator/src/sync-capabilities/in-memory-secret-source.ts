import { SecretUnavailableError, type SecretSource } from './secret-source';

/** Secrets held in memory: tests, and local runs that must not reach AWS. */
export class InMemorySecretSource implements SecretSource {
  readonly reads: string[] = [];

  constructor(private readonly secrets: Readonly<Record<string, string>> = {}) {}

  read(secretId: string): Promise<string> {
    this.reads.push(secretId);
    const value = Object.hasOwn(this.secrets, secretId) ? this.secrets[secretId] : undefined;
    if (value === undefined) {
      return Promise.reject(
        new SecretUnavailableError(
          'SECRET_NOT_FOUND',
          secretId,
          `secret '${secretId}' does not exist`,
          false,
        ),
      );
    }
    return Promise.resolve(value);
  }
}
