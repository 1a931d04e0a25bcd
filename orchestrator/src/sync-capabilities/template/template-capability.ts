import { z } from 'zod';
import { defineSyncCapability, SyncCapabilityError } from '../sync-capability';

/*
 * TEMPLATE: copy this folder to `sync-capabilities/<your-id>/`, rename, and add one line to registry.ts.
 * See docs/sync-capabilities.md. This example is not registered: only its test uses it.
 *
 * `template-reference` builds a customer-facing reference such as `IMP-2026-SHP-1` from a context key. It
 * is deterministic (the same context gives the same reference), which is what a sync capability must be:
 * after a crash the same step runs again, so a capability with side effects must make them idempotent
 * (e.g. pass an idempotency key derived from `node` and the context to the service it calls).
 */

/**
 * The node's `with`: a strictObject, so a misspelt field is an error with a did-you-mean in `wf validate`.
 * Messages are plain sentences starting `must`, like the definition's own.
 */
const parameters = z.strictObject({
  prefix: z
    .string({ error: 'must be text' })
    .regex(/^[A-Z]{2,8}$/, { error: 'must be 2 to 8 capital letters' })
    .meta({ description: 'The first part of the reference, e.g. IMP.' }),
  key: z
    .string({ error: 'must be a context key' })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a context key' })
    .meta({ description: 'The context key whose value ends the reference.' }),
  year: z
    .int({ error: 'must be a whole number' })
    .min(2000, { error: 'must be a year from 2000' })
    .optional()
    .meta({ description: 'Put between the prefix and the value.' }),
});

export const templateCapability = defineSyncCapability<z.output<typeof parameters>>({
  id: 'template-reference',
  parameters,
  // `create` runs once per container: build clients here from `services` (secrets, fetch), never per call.
  create:
    () =>
    ({ context, params }) => {
      const value = context[params.key];
      if (typeof value !== 'string' && typeof value !== 'number') {
        // A stable code: routes, alarms and `wf status` use it; the message names the key, not its value.
        return Promise.reject(
          new SyncCapabilityError(
            `context key '${params.key}' holds no text or number`,
            'REFERENCE_KEY_MISSING',
          ),
        );
      }
      const parts = [
        params.prefix,
        ...(params.year === undefined ? [] : [String(params.year)]),
        String(value),
      ];
      // What it returns is mapped by the node's output_keys or result.
      return Promise.resolve({ reference: parts.join('-') });
    },
});
