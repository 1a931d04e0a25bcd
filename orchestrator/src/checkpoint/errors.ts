import { EngineError } from '../errors/engine-error';

/**
 * Errors raised by the checkpointer. Each has a stable `code` and a `retryable` flag so a handler can
 * choose between redelivery and the dead-letter queue; SDK errors are translated here, at the adapter
 * edge, and kept as `cause`.
 */
export class CheckpointError extends EngineError {}

/** The caller's `RunnableConfig` lacks what the operation needs (e.g. `thread_id`). Never retryable. */
export class CheckpointConfigError extends CheckpointError {
  constructor(message: string) {
    super('CHECKPOINT_CONFIG_INVALID', message, false);
  }
}

/** DynamoDB failed or throttled; the operation may be retried as a whole (every write is idempotent). */
export class CheckpointStoreError extends CheckpointError {
  constructor(operation: string, retryable: boolean, options: { cause: unknown }) {
    super(
      retryable ? 'CHECKPOINT_STORE_UNAVAILABLE' : 'CHECKPOINT_STORE_REJECTED',
      `DynamoDB ${operation} failed: ${describe(options.cause)}`,
      retryable,
      options,
    );
  }
}

/** Stored data does not match the layout (a referenced chunk or value is missing, a header is wrong). */
export class CheckpointCorruptError extends CheckpointError {
  constructor(message: string) {
    super('CHECKPOINT_CORRUPT', message, false);
  }
}

/** An item would exceed DynamoDB's 400 KB limit (e.g. tens of thousands of channels in one checkpoint). */
export class CheckpointItemTooLargeError extends CheckpointError {
  constructor(what: string, bytes: number, limit: number) {
    super(
      'CHECKPOINT_ITEM_TOO_LARGE',
      `${what} would be ${bytes} bytes, over the ${limit}-byte item limit`,
      false,
    );
  }
}

/** Another writer kept changing the same pending-writes item; the whole `putWrites` may be retried. */
export class CheckpointWriteConflictError extends CheckpointError {
  constructor(message: string) {
    super('CHECKPOINT_WRITE_CONFLICT', message, true);
  }
}

/** SDK error names that mean "try again later" rather than "this request is wrong". */
const RETRYABLE_SDK_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
]);

/** Wraps any error from the SDK; errors already translated pass through unchanged. */
export function translateSdkError(operation: string, error: unknown): CheckpointError {
  if (error instanceof CheckpointError) return error;
  return new CheckpointStoreError(operation, isRetryableSdkError(error), { cause: error });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

function isRetryableSdkError(error: unknown): boolean {
  const name = errorName(error);
  if (name !== undefined && RETRYABLE_SDK_ERRORS.has(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  // No HTTP response at all: the connection failed, which is transient.
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)/.test(code);
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
