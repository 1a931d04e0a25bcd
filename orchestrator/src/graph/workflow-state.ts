import { Annotation } from '@langchain/langgraph';

export type Context = Record<string, unknown>;

/** A request the instance is waiting on. Written durably before the request is sent (the outbox). */
export interface OpenWait {
  readonly request_id: string;
  readonly node: string;
  readonly capability_id: string;
  readonly since: string;
  readonly deadline: string | null;
  readonly input: Context;
  readonly expected_output_keys: readonly string[];
}

export type Resolution = 'REPLIED' | 'FAILED' | 'TIMED_OUT';

export interface HistoryEntry {
  readonly node: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  readonly started_at: string;
  readonly ended_at: string;
}

export interface WorkflowError {
  readonly code: string;
  readonly message: string;
  readonly node?: string;
}

export interface Outcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly node: string;
  readonly output?: Context;
  readonly error?: WorkflowError;
}

/** Shallow merge where `null` deletes a key: lets parallel branches add and remove their own entries. */
function mergeWithDeletes<T>(
  current: Record<string, T>,
  update: Record<string, T | null>,
): Record<string, T> {
  const next: Record<string, T> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Every channel is merged, never overwritten wholesale, so writes from concurrent branches in the same
 * superstep all survive (no lost update).
 */
export const WorkflowState = Annotation.Root({
  context: Annotation<Context, Context>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  waits: Annotation<Record<string, OpenWait>, Record<string, OpenWait | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  resolved: Annotation<Record<string, Resolution>, Record<string, Resolution>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({}),
  }),
  /** How many times each node has run; makes request ids stable yet distinct when a loop revisits a node. */
  visits: Annotation<Record<string, number>, Record<string, number>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({}),
  }),
  history: Annotation<HistoryEntry[], HistoryEntry[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  last_error: Annotation<WorkflowError | null>({ reducer: (_, b) => b, default: () => null }),
  outcome: Annotation<Outcome | null>({ reducer: (a, b) => a ?? b, default: () => null }),
});

export type WorkflowStateValue = typeof WorkflowState.State;
export type WorkflowStateUpdate = typeof WorkflowState.Update;

/** What resumes a waiting async_request node. */
export type WaitResumeValue =
  | { readonly kind: 'reply'; readonly status: 'SUCCESS'; readonly outputs: Context; readonly at: string }
  | {
      readonly kind: 'reply';
      readonly status: 'FAILURE';
      readonly error: { readonly code: string; readonly message: string };
      readonly at: string;
    }
  | { readonly kind: 'timeout'; readonly at: string };

/** The value an interrupted async_request node exposes; the runtime matches replies on `request_id`. */
export interface WaitInterrupt {
  readonly request_id: string;
  readonly node: string;
}
