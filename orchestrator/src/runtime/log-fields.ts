/**
 * What the orchestrator's logs say about business data: by default nothing of its values. A context, a
 * request's input, a reply's outputs or an instance's output is logged as its keys and its size; only the
 * keys a workflow lists in `loggable_keys` are logged with their values. Errors are logged with their code
 * and node, and their message only when the engine wrote it (from names, keys and durations): a
 * capability's error message, a sync capability's or an expression's may quote any value.
 */

/** At most this many keys are listed (the count says how many there are). */
const MAX_LISTED_KEYS = 50;

export interface ValueSummary {
  readonly keys: readonly string[];
  readonly key_count: number;
  /** Characters of its JSON (not bytes: counting is what matters, and it costs one stringify). */
  readonly chars: number;
  /** The values of the allowed keys it has (`loggable_keys`). */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** `value` as a log line may carry it: keys, size, and the values of `loggable` keys only. */
export function summarize(
  value: Readonly<Record<string, unknown>> | undefined,
  loggable: readonly string[] = [],
): ValueSummary {
  const keys = Object.keys(value ?? {});
  let chars: number;
  try {
    chars = JSON.stringify(value ?? {}).length;
  } catch {
    chars = -1; // not serializable (too deep): the bounds checks report it, the log line does not fail
  }
  const shown = loggable.filter((key) => value !== undefined && key in value);
  return {
    keys: keys.slice(0, MAX_LISTED_KEYS),
    key_count: keys.length,
    chars,
    ...(shown.length > 0 ? { values: Object.fromEntries(shown.map((key) => [key, value?.[key]])) } : {}),
  };
}

/**
 * Codes of errors whose message the engine composed from definitions, keys, ids and durations only, never
 * from a value: their message is logged. Any other error's message is not (its length is).
 */
const ENGINE_WORDED_CODES: ReadonlySet<string> = new Set([
  'TIMEOUT',
  'MISSING_OUTPUT_KEYS',
  'MISSING_CONTEXT',
  'INVALID_DEFINITION',
  'WORKFLOW_ID_MISMATCH',
  'COMPILE_FAILED',
  'CAPABILITY_QUEUE_MISSING',
  'UNKNOWN_CAPABILITY',
  'BRANCH_FAILED',
  'FAILED',
  'CANCELLED',
  'EXPRESSION_TIMEOUT',
  'CONTEXT_LIMITS_EXCEEDED',
  'REPLY_LIMITS_EXCEEDED',
]);

export interface LoggedError {
  readonly code: string;
  readonly node?: string;
  readonly message?: string;
  readonly message_chars?: number;
}

/** An instance's or a step's error as a log line carries it (see ENGINE_WORDED_CODES). */
export function loggedError(
  error:
    | { readonly code: string; readonly message: string; readonly node?: string | undefined }
    | null
    | undefined,
): LoggedError | null {
  if (!error) return null;
  return {
    code: error.code,
    ...(error.node === undefined ? {} : { node: error.node }),
    ...(ENGINE_WORDED_CODES.has(error.code)
      ? { message: error.message }
      : { message_chars: error.message.length }),
  };
}
