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

/**
 * A capability domain has no request queue: no retry can deliver the request, so the instance fails at
 * once with this code instead of waiting for a reply that can never come.
 */
export class CapabilityQueueMissingError extends EngineError {
  constructor(
    readonly domain: string,
    readonly queueName: string,
    options?: { cause?: unknown },
  ) {
    super(
      'CAPABILITY_QUEUE_MISSING',
      `capability domain '${domain}' has no request queue '${queueName}'`,
      false,
      options,
    );
  }
}

/** A message (request or reply) cannot be sent at all, e.g. larger than any claim check allows. */
export class MessageUndeliverableError extends EngineError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, false, options);
  }
}
