/**
 * Errors with a stable `code` and a `retryable` flag: handlers decide retry versus dead-letter from these,
 * and adapters translate SDK errors into them at the edge, keeping the original as `cause`.
 */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
