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
  /** Days a finished instance is kept before it is removed whole (`retentionDays`, default 30). */
  readonly retentionDays: number;
  /** How the orchestrator delivers timers (`timerScheduler`, see readTimerScheduler). */
  readonly timerScheduler: TimerSchedulerKind;
}

/**
 * `eventbridge`: waits over 15 minutes are one-time EventBridge Scheduler schedules (one per wait);
 * `sqs`: delayed messages re-armed every 15 minutes (96 a day per wait).
 */
export type TimerSchedulerKind = 'eventbridge' | 'sqs';

/** How long a finished instance is kept when the context does not say. */
export const DEFAULT_RETENTION_DAYS = 30;

/** A context value was missing or malformed; the message says which and how to pass it. */
export class InvalidAppContextError extends Error {
  override name = 'InvalidAppContextError';
}

const USAGE = 'pass it as `cdk synth --context env=dev --context owner=<you>`';

/**
 * Reads and validates the app's context. `env` and `owner` are required (`env`: lower-case letters, digits
 * or `-`; `owner`: also `_`, kept in queue, table and function names and mapped in bucket and stack names;
 * see `validateStage` and `dnsOwner`); `capabilityMock` is `true` or `false` and defaults to on everywhere
 * but `prod`;
 * `capabilityDomains` is a comma-separated list (or a JSON array in `cdk.json`); `retentionDays` is a whole
 * number of days (default 30).
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
    retentionDays: readRetentionDays(tryGetContext),
    timerScheduler: readTimerScheduler(tryGetContext, stage.env),
  };
}

/**
 * `retentionDays`: a whole number of days, at least 1 (a string from the CLI or a number in `cdk.json`);
 * DEFAULT_RETENTION_DAYS when absent. The stack reads it through here too, so both agree.
 */
export function readRetentionDays(tryGetContext: (key: string) => unknown): number {
  const value = tryGetContext('retentionDays');
  if (value === undefined || value === null || value === '') return DEFAULT_RETENTION_DAYS;
  const days = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1) {
    throw new InvalidAppContextError(
      `CDK context 'retentionDays' must be a whole number of days, at least 1, got ${JSON.stringify(value)}`,
    );
  }
  return days;
}

/**
 * `timerScheduler`: `eventbridge` or `sqs`; when absent, `eventbridge` for every env but `local` (the
 * embedded local stack has no Scheduler emulator and keeps SQS timers). The stack reads it through here too.
 */
export function readTimerScheduler(tryGetContext: (key: string) => unknown, env: string): TimerSchedulerKind {
  const value = tryGetContext('timerScheduler');
  if (value === undefined || value === null || value === '') return env === 'local' ? 'sqs' : 'eventbridge';
  if (value === 'eventbridge' || value === 'sqs') return value;
  throw new InvalidAppContextError(
    `CDK context 'timerScheduler' must be eventbridge or sqs, got ${JSON.stringify(value)}`,
  );
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

/** A Secrets Manager secret ARN, possibly ending in `*` (a prefix of names). */
const SECRET_ARN = /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@*-]+$/;

/**
 * `workflowSecretArns`: secrets workflows may read besides the names under `cch-<env>/`, a comma-separated
 * list of Secrets Manager ARNs (or a JSON array in `cdk.json`); none by default.
 */
export function readWorkflowSecretArns(tryGetContext: (key: string) => unknown): string[] {
  const arns = listContext(tryGetContext, 'workflowSecretArns');
  const bad = arns.find((arn) => !SECRET_ARN.test(arn));
  if (bad !== undefined) {
    throw new InvalidAppContextError(
      `CDK context 'workflowSecretArns' must list Secrets Manager secret ARNs, got ${JSON.stringify(bad)}`,
    );
  }
  return arns;
}
