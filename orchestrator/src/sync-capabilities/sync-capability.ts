import type { z } from 'zod';
import type { ExpressionField } from '../definition/capability-parameters';
import type { SecretSource } from './secret-source';

/**
 * What a synchronous capability sees of one `sync_call` attempt. The context is the capability's own copy:
 * changing it changes nothing in the instance; only what the capability returns is merged (by the node's
 * `output_keys` or `result`).
 */
export interface SyncCapabilityCall<P = unknown> {
  readonly context: Readonly<Record<string, unknown>>;
  readonly outputKeys: readonly string[];
  readonly node: string;
  /**
   * The node's `with`, parsed by the capability's `parameters` schema (defaults and transforms applied);
   * `undefined` for a capability that takes none.
   */
  readonly params: P;
  /**
   * Evaluates a JSONata expression over the context, with the engine's limits (time, depth, sequence
   * length): `undefined` when it selects nothing. Capabilities whose parameters are expressions use this,
   * never their own evaluator, so a runaway expression is bounded the same way everywhere.
   */
  readonly evaluate: (expression: string) => Promise<unknown>;
}

/**
 * A sync capability as the engine calls it: one attempt, the values it produces, or a throw (a
 * SyncCapabilityError's `code` becomes the step's error code; the node's `retry` decides about another
 * attempt). `parameters` is the schema of the node's `with`: `wf validate` and the runtime check `with`
 * against it; a capability without one takes no `with`. Plain functions (tests) are capabilities too.
 */
export type SyncCapability = ((call: SyncCapabilityCall) => Promise<Record<string, unknown>>) & {
  readonly parameters?: z.ZodType;
  /** The module's `expressionFields`: what `wf validate`'s context-key analysis reads. */
  readonly expressionFields?: readonly ExpressionField[];
};

/** What the deployment gives every capability module when it is created (injected, so tests swap them). */
export interface SyncCapabilityServices {
  /** Secrets by id (Secrets Manager on AWS; an in-memory map in tests). */
  readonly secrets: SecretSource;
  /** The HTTP client (Node's fetch by default). */
  readonly fetch: typeof fetch;
}

/**
 * A capability module: what a team writes and lists in registry.ts (see docs/sync-capabilities.md and
 * template/). `create` runs once per orchestrator container, with the deployment's services; the function
 * it returns runs once per attempt and must be safe to run again for the same step (a crash after it ran
 * but before the step was checkpointed runs it again).
 */
export interface SyncCapabilityModule<P = undefined> {
  /** The `capability_id` nodes name: lower-case letters, digits and `-` (SYNC_CAPABILITY_PATTERN). */
  readonly id: string;
  /** The schema of the node's `with` (a zod strictObject, so misspelt fields are errors); none: no `with`. */
  readonly parameters?: z.ZodType<P>;
  /**
   * The fields of `with` that are JSONata expressions over the context (`expressionParameter`s): `wf
   * validate` warns about a context key they read that may be missing, with a did-you-mean, as for a
   * `when`. A field (`'url'`) or each text value of a map (`{ each: 'query' }`); typed by `P`.
   */
  readonly expressionFields?: readonly ExpressionField<P>[];
  readonly create: (
    services: SyncCapabilityServices,
  ) => (call: SyncCapabilityCall<P>) => Promise<Record<string, unknown>>;
}

/**
 * Declares a module with its parameter type inferred from its schema, and erased for the registry's list
 * (whose entries have different parameter types).
 */
export function defineSyncCapability<P = undefined>(
  module: SyncCapabilityModule<P>,
): SyncCapabilityModule<unknown> {
  return module as unknown as SyncCapabilityModule<unknown>;
}

/** A capability's failure with a stable code (`HTTP_STATUS_503`, `MISSING_RESPONSE_KEYS`...). */
export class SyncCapabilityError extends Error {
  constructor(
    message: string,
    readonly code = 'SYNC_CAPABILITY_FAILED',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncCapabilityError';
  }
}
