import { EngineError } from '../errors/engine-error';

/** Defined beside the checkpointer's errors, which share it; exported here too for the runtime's callers. */
export { EngineError };

/**
 * A commit lost the race: the record's version moved on since this worker read it (another worker, e.g. one
 * that took over after this one's lease expired, committed first). Nothing of this attempt counts; the
 * message is redelivered and applied to the state that won.
 */
export class StaleCommitError extends EngineError {
  constructor(instanceId: string, options?: { cause?: unknown }) {
    super(
      'STALE_COMMIT',
      `instance ${instanceId} changed since this worker read it: another worker committed first`,
      true,
      options,
    );
  }
}

/**
 * Replies applied together stopped a parallel (a branch failed or reached a shared end): one at a time, a
 * reply that stops it would make its siblings' replies stale, and which came first decides which of them
 * count. Nothing of the run was committed; the caller applies each reply on its own, in its order.
 */
export class RepliesStopParallelError extends EngineError {
  constructor(instanceId: string, parallels: readonly string[]) {
    super(
      'REPLIES_STOP_PARALLEL',
      `replies of instance ${instanceId} applied together stopped parallel ${parallels.join(', ')}: ` +
        'they are applied one at a time instead',
      true,
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
