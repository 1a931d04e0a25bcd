import { createSyncCapabilities, type SyncCapability } from '../sync-capabilities/registry';
import { ScopedSecretSource, type SecretScope } from '../sync-capabilities/scoped-secret-source';
import type { SecretSource } from '../sync-capabilities/secret-source';

/**
 * The deployment's sync capabilities (registry.ts) as deployed: secrets from `source`, within `scope`, and
 * Node's fetch. `source` caches: the Parameters and Secrets extension does in the orchestrator Lambda (its
 * TTL is set by the stack); elsewhere wrap the SDK adapter in CachingSecretSource. `'any'` only where the
 * caller's own credentials are the whole boundary (`wf run` on a laptop).
 */
export function createDeployedSyncCapabilities(
  source: SecretSource,
  scope: SecretScope | 'any',
): Readonly<Record<string, SyncCapability>> {
  const scoped = scope === 'any' ? source : new ScopedSecretSource(source, scope);
  return createSyncCapabilities({
    secrets: scoped,
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
