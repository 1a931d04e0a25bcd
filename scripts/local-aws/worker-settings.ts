import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  parseCapabilityMocks,
  type CapabilityMocks,
} from '../../orchestrator/src/capability-mocks/capability-mocks';
import {
  DEFAULT_LOCAL_PORTS,
  LOCAL_REGION,
  localClientConfig,
  type LocalClientConfig,
} from '../../orchestrator/src/naming/local-endpoints';
import { validateStage, type Stage } from '../../orchestrator/src/naming/resource-names';
import type { OrchestratorTuning } from './orchestrator-pollers';

/** The stage `pnpm local` provisions. */
export const LOCAL_STAGE: Stage = { env: 'local', owner: 'dev' };

export interface WorkerSettings extends OrchestratorTuning {
  readonly stage: Stage;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly s3: string };
  readonly clients: LocalClientConfig;
  readonly scenarios?: CapabilityMocks;
  readonly logFile: string;
  /** Concurrent batches per orchestrator queue. */
  readonly concurrency: number;
}

export class WorkerSettingsError extends Error {
  override name = 'WorkerSettingsError';
}

/**
 * `pnpm worker`'s configuration, from its environment (the names the Lambdas and the AWS SDK use):
 * - endpoints: `AWS_ENDPOINT_URL_DYNAMODB`, `_SQS`, `_S3`, else the local stack's on `CCH_LOCAL_*_PORT`;
 *   region `AWS_REGION` or `AWS_DEFAULT_REGION`; credentials from the environment when
 *   `AWS_ACCESS_KEY_ID` is set, else the ones the embedded servers accept;
 * - stage: `CCH_ENV` and `CCH_OWNER` (default `local`/`dev`, the local stack's);
 * - `CCH_LEASE_TTL_SECONDS`, `CCH_BUSY_RETRY_SECONDS`, `CCH_NOT_READY_RETRY_SECONDS` (runtime defaults);
 * - `CCH_MOCK_SCENARIOS`: a YAML or JSON mocks file (or inline JSON, as the capability-mock Lambda takes);
 * - `CCH_LOG_FILE`: the JSON-lines log the worker appends to (default `defaultLogFile`);
 * - `CCH_WORKER_CONCURRENCY`: batches in hand at once per orchestrator queue (default 1), as Lambda runs
 *   several invocations of one function on a busy queue.
 * A value that is set but malformed is an error, never silently replaced by a default.
 */
export function workerSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  defaultLogFile: string,
  cwd = process.cwd(),
): WorkerSettings {
  const port = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0 || n > 65535)
      throw new WorkerSettingsError(`${name}=${value} is not a port`);
    return n;
  };
  const local = localClientConfig({
    dynamodb: port('CCH_LOCAL_DYNAMODB_PORT', DEFAULT_LOCAL_PORTS.dynamodb),
    sqs: port('CCH_LOCAL_SQS_PORT', DEFAULT_LOCAL_PORTS.sqs),
    s3: port('CCH_LOCAL_S3_PORT', DEFAULT_LOCAL_PORTS.s3),
  });
  const endpoints = {
    dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB || (local.dynamodb.endpoint as string),
    sqs: env.AWS_ENDPOINT_URL_SQS || (local.sqs.endpoint as string),
    s3: env.AWS_ENDPOINT_URL_S3 || (local.s3.endpoint as string),
  };
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || LOCAL_REGION;
  // Without credentials in the environment, the embedded servers' own (s3rver checks them).
  const fromEnv = Boolean(env.AWS_ACCESS_KEY_ID);
  const client = <T extends { credentials?: unknown }>(config: T, endpoint: string): T => {
    const tuned = { ...config, region, endpoint };
    if (fromEnv) delete tuned.credentials;
    return tuned;
  };
  const clients: LocalClientConfig = {
    dynamodb: client(local.dynamodb, endpoints.dynamodb),
    sqs: client(local.sqs, endpoints.sqs),
    s3: client(local.s3, endpoints.s3),
  };

  const positive = (name: string, integer: boolean, unit: string) => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new WorkerSettingsError(
        `${name}=${value} must be a positive ${integer ? 'whole ' : ''}number${unit}`,
      );
    return n;
  };
  const seconds = (name: string, integer: boolean) => positive(name, integer, ' of seconds');
  const leaseTtlSeconds = seconds('CCH_LEASE_TTL_SECONDS', false);
  const concurrency = positive('CCH_WORKER_CONCURRENCY', true, '') ?? 1;

  const stage = {
    env: env.CCH_ENV || LOCAL_STAGE.env,
    owner: env.CCH_OWNER || LOCAL_STAGE.owner,
  };
  try {
    validateStage(stage);
  } catch (error) {
    throw new WorkerSettingsError(`CCH_ENV/CCH_OWNER: ${(error as Error).message}`);
  }

  const logFile = env.CCH_LOG_FILE ? absolute(env.CCH_LOG_FILE, cwd) : defaultLogFile;
  return {
    stage,
    endpoints,
    clients,
    logFile,
    leaseTtlMs: leaseTtlSeconds === undefined ? undefined : leaseTtlSeconds * 1000,
    // SQS takes whole seconds for the visibility change that brings a message back.
    busyRetrySeconds: seconds('CCH_BUSY_RETRY_SECONDS', true),
    notReadyRetrySeconds: seconds('CCH_NOT_READY_RETRY_SECONDS', true),
    scenarios: mockScenarios(env.CCH_MOCK_SCENARIOS, cwd),
    concurrency,
  };
}

/** `CCH_MOCK_SCENARIOS` read (a file relative to `cwd`, or inline JSON); undefined when unset. */
export function mockScenarios(value: string | undefined, cwd: string): CapabilityMocks | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const inline = value.trim().startsWith('{');
  let text: string;
  try {
    text = inline ? value : readFileSync(absolute(value, cwd), 'utf8');
  } catch (error) {
    throw new WorkerSettingsError(`CCH_MOCK_SCENARIOS: cannot read ${value}: ${(error as Error).message}`);
  }
  try {
    return parseCapabilityMocks(text, inline ? 'inline' : value);
  } catch (error) {
    throw new WorkerSettingsError(
      `CCH_MOCK_SCENARIOS (${inline ? 'inline' : value}): ${(error as Error).message}`,
    );
  }
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
