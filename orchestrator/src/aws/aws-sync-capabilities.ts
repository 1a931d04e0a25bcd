import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { CachingSecretSource } from '../sync-capabilities/caching-secret-source';
import { createSyncCapabilities, type SyncCapability } from '../sync-capabilities/registry';
import { SecretsManagerSecretSource } from './secrets-manager-secret-source';

/**
 * The deployment's sync capabilities (registry.ts) with AWS behind them: secrets from Secrets Manager,
 * cached for a minute per container, and Node's fetch. The client makes no call until a secret is read, so
 * a deployment whose workflows read none needs no Secrets Manager permission.
 */
export function createAwsSyncCapabilities(
  config: SecretsManagerClientConfig = {},
): Readonly<Record<string, SyncCapability>> {
  const secrets = new CachingSecretSource(new SecretsManagerSecretSource(new SecretsManagerClient(config)));
  return createSyncCapabilities({ secrets, fetch: (input, init) => fetch(input, init) });
}
