import { Annotation } from '@langchain/langgraph';

export type Context = Record<string, unknown>;

/**
 * What the instance is waiting on. Written durably before anything is sent (the outbox): a `request` to a
 * capability (answered by its reply, or by its timer), or a `retry` of a failed step (answered only by its
 * timer, at `deadline`).
 */
export interface OpenWait {
  /**
   * Absent in waits recorded before retries existed: those are requests. `retry` and `timer` (a wait
   * node) send nothing: they are a timer only, at `deadline`.
   */
  readonly kind?: 'request' | 'retry' | 'timer' | 'child';
  readonly request_id: string;
  readonly node: string;
  readonly capability_id: string;
  readonly since: string;
  readonly deadline: string | null;
  readonly input: Context;
  readonly expected_output_keys: readonly string[];
  /** Why the request's `input` expression gave no input: the step fails instead of sending. */
  readonly input_error?: WorkflowError;
  /**
   * A `child` wait (a sub_workflow): the instance it starts, with `input` as its start context. Its end
   * answers the wait as a reply would, under `request_id`.
   */
  readonly child?: ChildInstance;
}

/** The child instance a sub_workflow step starts: its id is fixed by the parent, its step and visit. */
export interface ChildInstance {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly definition_key?: string;
}

export type Resolution = 'REPLIED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';

export interface HistoryEntry {
  readonly node: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  readonly started_at: string;
  readonly ended_at: string;
  /** A sub_workflow step: the child instance it ran. */
  readonly child_instance_id?: string;
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

/**
 * Where a parallel branch stopped without completing (its step failed, or a sibling's failure stopped it
 * while it waited), recorded so a redrive can resume it there instead of at its first node: `node` is
 * the step to run again (or a parallel nested in the branch, whose own branches say where they stopped),
 * `context` the branch's context just before it. Keyed by the branch runner's node name.
 */
export interface StoppedBranch {
  readonly node: string;
  readonly context: Context;
}

/**
 * Where a running map stands. Its items are re-read from the context (which does not change while the map
 * runs) and its outputs from its children's records when it ends, so this stays the size of the window.
 */
export interface MapProgress {
  readonly visit: number;
  readonly total: number;
  /** How many items have been started: the next one to start is this index. */
  readonly started: number;
  /** The items running now: request id -> item index. */
  readonly running: Readonly<Record<string, number>>;
  readonly succeeded: number;
  readonly failed: number;
  readonly since: string;
}

/**
 * A branch that reached `end`, an end node outside `parallel` (a shared end): the parallel's gate routes
 * there once the other branches have stopped. Keyed by the branch runner's node name, so two branches
 * that both end in one superstep both stay recorded and the gate picks by branch order.
 */
export interface Termination {
  readonly parallel: string;
  readonly end: string;
  /** The branch's last error when it ended: what a FAILED end reports, whatever a sibling failed with. */
  readonly error?: WorkflowError | null;
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
  /**
   * How each request was resolved, as a step reports it. Not accumulated (the channel keeps nothing): the
   * runtime reads these from the step updates as they happen and keeps them outside the checkpoint, so a
   * checkpoint's size does not grow with the number of requests an instance ever made.
   */
  resolved: Annotation<Record<string, Resolution>, Record<string, Resolution>>({
    reducer: () => ({}),
    default: () => ({}),
  }),
  /** How many times each node has run; makes request ids stable yet distinct when a loop revisits a node. */
  visits: Annotation<Record<string, number>, Record<string, number>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({}),
  }),
  /**
   * The steps a node reports (one entry per execution). Not accumulated, for the same reason as
   * `resolved`: the runtime collects them from the step updates and stores the history as append-only
   * items, so the cost of a step does not grow with the length of the history.
   */
  history: Annotation<HistoryEntry[], HistoryEntry[]>({
    reducer: () => [],
    default: () => [],
  }),
  /** The attempt a node with a retry policy is on, while it is retrying; cleared when it routes on. */
  attempts: Annotation<Record<string, number>, Record<string, number | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  last_error: Annotation<WorkflowError | null>({ reducer: (_, b) => b, default: () => null }),
  /** Parallels one of whose branches failed, with the error; cleared when the parallel routes on. */
  branch_failures: Annotation<Record<string, WorkflowError>, Record<string, WorkflowError | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  /** Parallels whose remaining branches were stopped because a sibling failed; cleared likewise. */
  cancelled_parallels: Annotation<Record<string, true>, Record<string, true | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  /**
   * Branches that stopped without completing, by runner node name (see `StoppedBranch`). Written only when
   * a branch stops, kept while the failure propagates (so a FAILED checkpoint says where each unfinished
   * branch resumes), cleared when the branch completes or its parallel routes on.
   */
  stopped: Annotation<Record<string, StoppedBranch>, Record<string, StoppedBranch | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  /** Running maps, by node: bounded by their max_concurrency, whatever the number of items that ended. */
  maps: Annotation<Record<string, MapProgress>, Record<string, MapProgress | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
  outcome: Annotation<Outcome | null>({ reducer: (a, b) => a ?? b, default: () => null }),
  /**
   * Branches that reached a shared end (see `Termination`), by runner node name: written by the branch,
   * read by the runtime to stop its siblings and by the parallel's gate to route, cleared by the gate.
   */
  terminations: Annotation<Record<string, Termination>, Record<string, Termination | null>>({
    reducer: mergeWithDeletes,
    default: () => ({}),
  }),
});

export type WorkflowStateValue = typeof WorkflowState.State;
export type WorkflowStateUpdate = typeof WorkflowState.Update;

/**
 * What resumes a waiting node. `request_id` names which of a map's waits the value answers (the runtime
 * sets it on every resume; a single wait needs no telling).
 */
export type WaitResumeValue = { readonly request_id?: string } & (
  | { readonly kind: 'reply'; readonly status: 'SUCCESS'; readonly outputs: Context; readonly at: string }
  | {
      readonly kind: 'reply';
      readonly status: 'FAILURE';
      readonly error: { readonly code: string; readonly message: string };
      readonly at: string;
    }
  | { readonly kind: 'timeout'; readonly at: string }
  /** A sibling branch of `parallel` failed: stop waiting and end this branch. */
  | { readonly kind: 'cancelled'; readonly parallel: string; readonly at: string }
  /** The request can never be delivered (e.g. its capability has no queue): the step fails with `error`. */
  | { readonly kind: 'undeliverable'; readonly error: WorkflowError; readonly at: string }
);

/**
 * The value an interrupted async_request node exposes: the whole wait, so the runtime can send the request
 * and show the wait without reading branch subgraph state, and the parallels it runs inside (innermost
 * first), so a failing branch can stop its siblings. Replies are matched on `request_id`.
 */
export interface WaitInterrupt extends OpenWait {
  readonly parallels: readonly string[];
}

/** A map's interrupt: every item it is waiting on, each resumed on its own (by `request_id`). */
export interface WaitBundle {
  readonly bundle: readonly WaitInterrupt[];
}

/** A wait that sends no request: only its timer ends it (a retry's delay, a wait node). */
export function isTimerOnly(wait: Pick<OpenWait, 'kind'>): boolean {
  return wait.kind === 'retry' || wait.kind === 'timer';
}

/** The request id of a wait node's timer: `<instance>:<node>:<visit>:wait`. */
export const waitTimerId = (instanceId: string, node: string, visit: number): string =>
  `${instanceId}:${node}:${visit}:wait`;

/** The request id of a retry's delay before attempt `attempt`: `<instance>:<node>:<visit>:retry:<attempt>`. */
export const retryTimerId = (instanceId: string, node: string, visit: number, attempt: number): string =>
  `${instanceId}:${node}:${visit}:retry:${attempt}`;

/** Whether `requestId` has the form of a timer-only wait's id (`waitTimerId`, `retryTimerId`). */
export const isTimerOnlyRequestId = (requestId: string): boolean => /:(wait|retry:\d+)$/.test(requestId);
