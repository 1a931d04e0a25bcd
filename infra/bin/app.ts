/**
 * CDK entry: `cdk synth --context env=dev --context owner=<you>` (see infra/cdk.json and the README).
 * Context: `env`, `owner` (required), `capabilityMock` (true|false; default on unless env is `prod`),
 * `capabilityDomains` (comma-separated extras), `alarmTopicArn` (an SNS topic every alarm notifies).
 */
import { InvalidAppContextError } from '../src/app-context';
import { createWorkflowEngineApp } from '../src/app';

try {
  createWorkflowEngineApp();
} catch (error) {
  if (!(error instanceof InvalidAppContextError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
