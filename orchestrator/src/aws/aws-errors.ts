import { EngineError } from '../runtime/errors';

/** SDK error names that mean "try again later": throttling, capacity and transient service faults. */
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'SlowDown',
  'RequestThrottled',
  'KmsThrottled',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'KMS.ThrottlingException',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Translates an AWS SDK error into an EngineError with a stable code (`<SERVICE>_<SdkName>`), a retryable
 * flag (throttling, 5xx and network faults are retryable; validation and access errors are not) and the
 * original as `cause`. Errors that are already ours pass through.
 */
export function translateAwsError(
  service: 'S3' | 'SQS' | 'DYNAMODB' | 'LOGS' | 'SCHEDULER' | 'SECRETSMANAGER' | 'SFN',
  operation: string,
  error: unknown,
): EngineError {
  if (error instanceof EngineError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE_NAMES.has(name) ||
    Boolean(e.$retryable) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    (e.code !== undefined && NETWORK_CODES.has(e.code));
  return new EngineError(
    `${service}_${name}`,
    `${service} ${operation} failed: ${e.message ?? name}`,
    retryable,
    {
      cause: error,
    },
  );
}

/** Runs one SDK call, translating whatever it throws. */
export async function awsCall<T>(
  service: Parameters<typeof translateAwsError>[0],
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(service, operation, error);
  }
}
