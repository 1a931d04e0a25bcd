/**
 * Synchronous capabilities run inside the orchestrator by `sync_call` nodes. A capability receives the
 * instance context and returns values for the keys it produces; throwing fails the call (and may retry).
 */
export interface SyncCapabilityCall {
  readonly context: Readonly<Record<string, unknown>>;
  readonly outputKeys: readonly string[];
  readonly node: string;
}

export type SyncCapability = (call: SyncCapabilityCall) => Promise<Record<string, unknown>>;

export class SyncCapabilityError extends Error {
  constructor(
    message: string,
    readonly code = 'SYNC_CAPABILITY_FAILED',
  ) {
    super(message);
    this.name = 'SyncCapabilityError';
  }
}

/**
 * `core-process-response` checks that the keys a previous async reply merged into the context are present,
 * and passes them on: the seed's step that turns a capability's reply into workflow state.
 */
const coreProcessResponse: SyncCapability = ({ context, outputKeys }) => {
  const missing = outputKeys.filter((key) => context[key] === undefined || context[key] === null);
  if (missing.length > 0) {
    return Promise.reject(
      new SyncCapabilityError(`missing response keys: ${missing.join(', ')}`, 'MISSING_RESPONSE_KEYS'),
    );
  }
  return Promise.resolve(Object.fromEntries(outputKeys.map((key) => [key, context[key]])));
};

export const builtinSyncCapabilities: Readonly<Record<string, SyncCapability>> = {
  'core-process-response': coreProcessResponse,
};

export const BUILTIN_SYNC_CAPABILITY_IDS: ReadonlySet<string> = new Set(Object.keys(builtinSyncCapabilities));
