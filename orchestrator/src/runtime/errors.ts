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

export class LeaseLostError extends EngineError {
  constructor(instanceId: string, options?: { cause?: unknown }) {
    super(
      'LEASE_LOST',
      `the lease on instance ${instanceId} was taken over by another worker`,
      true,
      options,
    );
  }
}

export class StoreUnavailableError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, true, options);
  }
}
