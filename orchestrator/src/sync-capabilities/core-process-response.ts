import { defineSyncCapability, SyncCapabilityError } from './sync-capability';

/**
 * `core-process-response` checks that the keys a previous async reply merged into the context are present,
 * and passes them on: the seed's step that turns a capability's reply into workflow state. No `with`.
 */
export const coreProcessResponse = defineSyncCapability({
  id: 'core-process-response',
  create:
    () =>
    ({ context, outputKeys }) => {
      const missing = outputKeys.filter((key) => !Object.hasOwn(context, key) || context[key] === null);
      if (missing.length > 0) {
        return Promise.reject(
          new SyncCapabilityError(`missing response keys: ${missing.join(', ')}`, 'MISSING_RESPONSE_KEYS'),
        );
      }
      return Promise.resolve(Object.fromEntries(outputKeys.map((key) => [key, context[key]])));
    },
});
