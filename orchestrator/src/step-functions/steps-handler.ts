import { createAwsSyncCapabilities, workflowSecretIdsFromEnv } from '../aws/aws-sync-capabilities';
import { resourceNames } from '../naming/resource-names';
import { EngineSteps } from './engine-steps';
import type { StepPayload } from './step-payloads';

/**
 * The steps Lambda of Step Functions mode: sync calls, choice conditions, branch merges and end outcomes,
 * as the engine computes them (see EngineSteps). Invoked by the state machines (`lambda:invoke`); a
 * failure is thrown, so Step Functions sees its code as the error name.
 */
const steps = new EngineSteps(
  createAwsSyncCapabilities({
    // Without CCH_ENV no prefix is allowed: every secret is refused rather than any read.
    secretScope: {
      prefixes: process.env.CCH_ENV
        ? [
            resourceNames({ env: process.env.CCH_ENV, owner: process.env.CCH_OWNER ?? 'unknown' })
              .workflowSecretsPrefix,
          ]
        : [],
      ids: workflowSecretIdsFromEnv(),
    },
  }),
);

export function handler(event: StepPayload): Promise<unknown> {
  return steps.run(event);
}
