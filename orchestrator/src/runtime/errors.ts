import { EngineError } from '../errors/engine-error';

/** Defined beside the checkpointer's errors, which share it; exported here too for the runtime's callers. */
export { EngineError };

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
