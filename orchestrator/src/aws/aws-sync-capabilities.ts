import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { CachingSecretSource } from '../sync-capabilities/caching-secret-source';
import { createSyncCapabilities, type SyncCapability } from '../sync-capabilities/registry';
import { ScopedSecretSource, type SecretScope } from '../sync-capabilities/scoped-secret-source';
import { SecretsManagerSecretSource } from './secrets-manager-secret-source';

export interface AwsSyncCapabilitiesOptions {
  /**
   * The secrets workflows may read (see ScopedSecretSource); `'any'` only where the caller's own
   * credentials are the whole boundary (`wf run` on a laptop).
   */
  readonly secretScope: SecretScope | 'any';
  readonly client?: SecretsManagerClientConfig;
}

/**
 * The deployment's sync capabilities (registry.ts) with AWS behind them: secrets from Secrets Manager,
 * within the scope, cached for a minute per container, and Node's fetch. The client makes no call until
 * a secret is read, so a deployment whose workflows read none needs no Secrets Manager permission.
 */
export function createAwsSyncCapabilities(
  options: AwsSyncCapabilitiesOptions,
): Readonly<Record<string, SyncCapability>> {
  const manager = new SecretsManagerSecretSource(new SecretsManagerClient(options.client ?? {}));
  const scoped =
    options.secretScope === 'any' ? manager : new ScopedSecretSource(manager, options.secretScope);
  return createSyncCapabilities({
    secrets: new CachingSecretSource(scoped),
    fetch: (input, init) => fetch(input, init),
  });
}

/** The ids in `CCH_WORKFLOW_SECRET_IDS` (comma-separated; the stack sets it from `workflowSecretArns`). */
export function workflowSecretIdsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.CCH_WORKFLOW_SECRET_IDS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}
