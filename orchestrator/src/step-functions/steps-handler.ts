import { createAwsSyncCapabilities } from '../aws/aws-sync-capabilities';
import { EngineSteps } from './engine-steps';
import type { StepPayload } from './step-payloads';

/**
 * The steps Lambda of Step Functions mode: sync calls, choice conditions, branch merges and end outcomes,
 * as the engine computes them (see EngineSteps). Invoked by the state machines (`lambda:invoke`); a
 * failure is thrown, so Step Functions sees its code as the error name.
 */
const steps = new EngineSteps(createAwsSyncCapabilities());

export function handler(event: StepPayload): Promise<unknown> {
  return steps.run(event);
}
