import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDeployedSyncCapabilities, workflowSecretIdsFromEnv } from '../aws/aws-sync-capabilities';
import { SecretsManagerSecretSource } from '../aws/secrets-manager-secret-source';
import { CachingSecretSource } from '../sync-capabilities/caching-secret-source';
import { resourceNames } from '../naming/resource-names';
import { EngineSteps } from './engine-steps';
import type { StepPayload } from './step-payloads';

// The steps Lambda has no Parameters and Secrets extension: it reads through the SDK client (no call until a
// workflow's header names a secret). Without CCH_ENV no prefix is allowed: every secret is refused.
const steps = new EngineSteps(
  createDeployedSyncCapabilities(
    new CachingSecretSource(new SecretsManagerSecretSource(new SecretsManagerClient({}))),
    {
      prefixes: process.env.CCH_ENV
        ? [
            resourceNames({ env: process.env.CCH_ENV, owner: process.env.CCH_OWNER ?? 'unknown' })
              .workflowSecretsPrefix,
          ]
        : [],
      ids: workflowSecretIdsFromEnv(),
    },
  ),
);

/**
 * The steps Lambda of Step Functions mode: sync calls, choice conditions, set values, wait times, branch
 * merges and end outcomes, as the engine computes them (see EngineSteps). Invoked by the state machines
 * (`lambda:invoke`); a failure is thrown, so Step Functions sees its code (or its class's name) as the
 * error name.
 */
export function handler(event: StepPayload): Promise<unknown> {
  return steps.run(event);
}
