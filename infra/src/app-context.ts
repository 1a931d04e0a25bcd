import { InvalidStageError, validateStage, type Stage } from '../../orchestrator/src/naming/resource-names';

/** What the CDK app reads from its context (`--context key=value` or `cdk.json`). */
export interface AppContext {
  /** `env` and `owner`: every resource name is `cch-<env>-<owner>-<resource>`. */
  readonly stage: Stage;
  /** Whether the capability-mock Lambda consumes the capability request queues. */
  readonly capabilityMock: boolean;
  /** Capability domains provisioned on top of those the workflow definitions call. */
  readonly extraCapabilityDomains: readonly string[];
  /** An existing SNS topic every alarm notifies, when given. */
  readonly alarmTopicArn?: string;
}

/** A context value was missing or malformed; the message says which and how to pass it. */
export class InvalidAppContextError extends Error {
  override name = 'InvalidAppContextError';
}

const USAGE = 'pass it as `cdk synth --context env=dev --context owner=<you>`';

/**
 * Reads and validates the app's context. `env` and `owner` are required (lower-case letters, digits or `-`,
 * see `validateStage`); `capabilityMock` is `true` or `false` and defaults to on everywhere but `prod`;
 * `capabilityDomains` is a comma-separated list (or a JSON array in `cdk.json`).
 */
export function readAppContext(tryGetContext: (key: string) => unknown): AppContext {
  const env = requiredString(tryGetContext, 'env');
  const owner = requiredString(tryGetContext, 'owner');
  let stage: Stage;
  try {
    stage = validateStage({ env, owner });
  } catch (error) {
    if (error instanceof InvalidStageError) {
      throw new InvalidAppContextError(`Invalid CDK context: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const alarmTopicArn = optionalString(tryGetContext, 'alarmTopicArn');
  return {
    stage,
    capabilityMock: booleanContext(tryGetContext, 'capabilityMock', stage.env !== 'prod'),
    extraCapabilityDomains: listContext(tryGetContext, 'capabilityDomains'),
    ...(alarmTopicArn === undefined ? {} : { alarmTopicArn }),
  };
}

function requiredString(tryGetContext: (key: string) => unknown, key: string): string {
  const value = tryGetContext(key);
  if (value === undefined || value === null || value === '') {
    throw new InvalidAppContextError(`Missing CDK context '${key}': ${USAGE}`);
  }
  if (typeof value !== 'string') {
    throw new InvalidAppContextError(`CDK context '${key}' must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalString(tryGetContext: (key: string) => unknown, key: string): string | undefined {
  const value = tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new InvalidAppContextError(`CDK context '${key}' must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function booleanContext(tryGetContext: (key: string) => unknown, key: string, fallback: boolean): boolean {
  const value = tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new InvalidAppContextError(
    `CDK context '${key}' must be true or false, got ${JSON.stringify(value)}`,
  );
}

function listContext(tryGetContext: (key: string) => unknown, key: string): string[] {
  const value = tryGetContext(key);
  if (value === undefined || value === null || value === '') return [];
  const items: unknown[] =
    typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [value];
  return items
    .map((item) => {
      if (typeof item !== 'string') {
        throw new InvalidAppContextError(
          `CDK context '${key}' must be a comma-separated list of names, got ${JSON.stringify(value)}`,
        );
      }
      return item.trim();
    })
    .filter((item) => item !== '');
}
