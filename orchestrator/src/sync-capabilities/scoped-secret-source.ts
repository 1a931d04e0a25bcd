import { SecretUnavailableError, type SecretSource } from './secret-source';

/** Which secrets workflows may read: names under `prefixes` (as names or in ARNs), and listed ids. */
export interface SecretScope {
  /** Secret name prefixes, e.g. `cch-prod/` (resource-names' workflowSecretsPrefix). */
  readonly prefixes: readonly string[];
  /** Whole names or ARNs allowed besides, e.g. a shared secret of another team. */
  readonly ids: readonly string[];
}

/**
 * Refuses secret ids outside the scope before anything is read. The orchestrator's role can read secrets
 * that are not for workflows (the reply keys that sign request ids): a definition naming one in an `http`
 * header would send it to any host its author likes. IAM grants the same scope (infra), so this is the
 * second of two locks, and the only one for secrets the role may read for its own reasons.
 */
export class ScopedSecretSource implements SecretSource {
  constructor(
    private readonly source: SecretSource,
    private readonly scope: SecretScope,
  ) {}

  read(secretId: string): Promise<string> {
    if (!inScope(secretId, this.scope)) {
      return Promise.reject(
        new SecretUnavailableError(
          'SECRET_ACCESS_DENIED',
          secretId,
          `secret '${secretId}' is not a workflow secret (${this.scope.prefixes.join(', ')}*, or listed)`,
          false,
        ),
      );
    }
    return this.source.read(secretId);
  }
}

/** A secret ARN is `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 random>`. */
const SECRET_ARN = /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;

export function inScope(secretId: string, scope: SecretScope): boolean {
  if (scope.ids.includes(secretId)) return true;
  const name = SECRET_ARN.exec(secretId)?.[1] ?? secretId;
  // A name with `..` or a leading `/` never matches a prefix by accident of how it is written.
  return scope.prefixes.some((prefix) => prefix !== '' && name.startsWith(prefix));
}
