import type { Context, WorkflowError } from '../graph/workflow-state';

/**
 * An error as Step Functions carries it: what a Catch writes at its ResultPath, and what a Fail state
 * ends an execution with. Every error the project's own Lambdas raise has `Error` = the engine's error
 * code and `Cause` = the engine's whole `WorkflowError` as JSON, so the code survives as the execution's
 * error and nothing (message, node) is lost on the way (see `workflowErrorOf`).
 */
export interface RaisedError {
  readonly Error: string;
  readonly Cause: string;
}

/**
 * The data every state of a generated state machine passes on (JSONPath mode, so the whole state input
 * is this object): the instance context, and the last error a failure route recorded. `last_error`
 * behaves as the engine's channel of the same name: set by every failure or timeout route, never
 * cleared, read by `end` nodes with `status: FAILED`.
 */
export interface MachineState {
  readonly context: Context;
  readonly last_error: RaisedError | null;
  /**
   * How many times each sub_workflow and map node has run (absent: none yet): the visit in a child's
   * name, and the engine's max_visits rule for those nodes. Counted by the steps Lambda; a Parallel's
   * merge keeps each node's highest count, since a branch only ever adds to what it started with.
   */
  readonly visits?: Readonly<Record<string, number>>;
  /**
   * How many times each other node on a loop has run, counted by the machine's own states (see
   * asl/visit-counting.ts): `{ n }` per node, set to 0 when the execution starts.
   */
  readonly counts?: Readonly<Record<string, { readonly n: number }>>;
}

/** The state's own fields and nothing a step left beside them (`branches`, `reply`, `child`, ...). */
export function ownFields(state: MachineState): MachineState {
  return {
    context: state.context,
    last_error: state.last_error,
    ...(state.visits === undefined ? {} : { visits: state.visits }),
    ...(state.counts === undefined ? {} : { counts: state.counts }),
  };
}

/** The execution input START gives a generated state machine. */
export function initialMachineState(context: Context): MachineState {
  return { context, last_error: null };
}

/**
 * The error name a code gets when Step Functions or the export reserves its spelling: `States.*` (a
 * capability's FAILURE `States.Timeout` would take an `on_timeout` Catch) and `CCH.*` (a shared end's
 * `CCH.Terminate.<end>` would end the instance there). The code itself is kept in the cause, which is
 * what `workflowErrorOf` reads, so history, outputs and `last_error` still show it.
 */
export const RESERVED_CODE_ERROR = 'RESERVED_ERROR_CODE';

const RESERVED_ERROR_PREFIXES = ['States.', 'CCH.'] as const;

/** `error` as a Step Functions error (see RaisedError). */
export function raisedErrorOf(error: WorkflowError): RaisedError {
  const reserved = RESERVED_ERROR_PREFIXES.some((prefix) => error.code.startsWith(prefix));
  return { Error: reserved ? RESERVED_CODE_ERROR : error.code, Cause: JSON.stringify(error) };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asWorkflowError(value: unknown): WorkflowError | undefined {
  if (!isRecord(value) || typeof value.code !== 'string' || typeof value.message !== 'string') {
    return undefined;
  }
  return {
    code: value.code,
    message: value.message,
    ...(typeof value.node === 'string' ? { node: value.node } : {}),
  };
}

/**
 * The engine's error from a Step Functions error. Its Cause is, in order of preference: our own
 * `WorkflowError` JSON (task-token failures, Fail states); a Lambda error payload
 * (`{ errorType, errorMessage }`, how Step Functions reports a function that threw) whose message is that
 * JSON; anything else, kept as the message under the error's own name (`States.Runtime`, ...).
 */
export function workflowErrorOf(raised: {
  readonly Error?: string;
  readonly Cause?: unknown;
}): WorkflowError {
  const code = raised.Error ?? 'FAILED';
  const cause = typeof raised.Cause === 'string' ? raised.Cause : JSON.stringify(raised.Cause ?? '');
  const parsed = parseJson(cause);
  const own = asWorkflowError(parsed);
  if (own) return own;
  if (isRecord(parsed) && typeof parsed.errorMessage === 'string') {
    return (
      asWorkflowError(parseJson(parsed.errorMessage)) ?? {
        code: typeof parsed.errorType === 'string' ? parsed.errorType : code,
        message: parsed.errorMessage,
      }
    );
  }
  return { code, message: cause };
}
