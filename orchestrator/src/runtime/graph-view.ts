import type { CompiledWorkflow } from '../graph/compile-workflow';
import { RESUME_TARGET_KEY, type ResumeTarget } from '../graph/resume-target';
import type {
  Termination,
  WaitBundle,
  WaitInterrupt,
  WorkflowError,
  WorkflowStateValue,
} from '../graph/workflow-state';

/** An open wait, with the interrupt that a reply resumes. */
export interface PendingWait {
  readonly interruptId: string;
  readonly wait: WaitInterrupt;
}

/** What the runtime reads of an instance's graph state to reconcile its record and route a message. */
export interface GraphView {
  readonly values: WorkflowStateValue;
  /** Open waits by request id. */
  readonly pending: ReadonlyMap<string, PendingWait>;
  /** The interrupts of unfinished top-level tasks, as LangGraph stored them (waits at every depth). */
  readonly interrupts: ResumeTarget['pending'];
  /** Parallels (at any depth) one of whose branches failed and whose siblings must stop. */
  readonly failures: Readonly<Record<string, WorkflowError>>;
  /**
   * Parallels (at any depth) one of whose branches reached a shared end, with that end: their siblings
   * must stop too. Absent in views read before shared ends existed.
   */
  readonly terminations?: Readonly<Record<string, string>>;
}

export type GraphSnapshot = Awaited<ReturnType<CompiledWorkflow['getState']>>;

type ThreadConfig = Parameters<CompiledWorkflow['getState']>[0] & {
  readonly configurable: { readonly thread_id: string };
};

/**
 * The state (with pending writes applied) and the open waits: interrupts of unfinished tasks.
 *
 * @param touched the checkpoint namespaces written since the last commit: only a branch this invocation
 *   ran can hold a failure not yet acted on (every commit follows the stopping of the siblings of each
 *   failure found), so committed branch states are not read.
 * @param current the top-level snapshot, when the caller has read it already.
 */
export async function readGraphView(
  graph: CompiledWorkflow,
  config: ThreadConfig,
  touched: ReadonlySet<string>,
  current?: GraphSnapshot,
): Promise<GraphView> {
  const snapshot = current ?? (await graph.getState(config));
  const pending = new Map<string, PendingWait>();
  const interrupts: GraphView['interrupts'][number][] = [];
  for (const task of snapshot.tasks) {
    if (task.result !== undefined) continue;
    for (const interrupt of task.interrupts) {
      interrupts.push(interrupt);
      // One wait, or a map's bundle of waits that share the interrupt (each resumed by its request id).
      const value = interrupt.value as Partial<WaitInterrupt & WaitBundle> | undefined;
      const waits = value?.bundle ?? (value?.request_id ? [value as WaitInterrupt] : []);
      for (const wait of waits) {
        if (interrupt.id) pending.set(wait.request_id, { interruptId: interrupt.id, wait });
      }
    }
  }
  const values = snapshot.values as WorkflowStateValue;
  // Branches report their steps and failures to the parent only when they end; until then they are in
  // their own subgraph states, at any depth of nesting. Read them all, so the record shows each step as
  // it happens and a failure deep inside stops its siblings at every level at once.
  const failures: Record<string, WorkflowError> = {};
  const terminations: Record<string, string> = {};
  const collect = (state: { values: unknown; tasks: readonly { result?: unknown }[] }) => {
    const found = [state.values, ...state.tasks.map((t) => t.result)] as (
      | {
          branch_failures?: Record<string, WorkflowError | null>;
          terminations?: Record<string, Termination | null>;
        }
      | undefined
    )[];
    for (const part of found) {
      for (const [parallel, error] of Object.entries(part?.branch_failures ?? {})) {
        if (error) failures[parallel] = error;
      }
      for (const termination of Object.values(part?.terminations ?? {})) {
        if (termination) terminations[termination.parallel] ??= termination.end;
      }
    }
  };
  const threadId = config.configurable.thread_id;
  const visit = async (
    state: { values: unknown; tasks: readonly { id: string; name: string; result?: unknown }[] },
    ns: string,
  ): Promise<void> => {
    collect(state);
    for (const task of state.tasks) {
      const reader = graph.branchReaders.get(task.name);
      if (!reader || task.result !== undefined) continue;
      const taskNs = `${ns === '' ? '' : `${ns}|`}${task.name}:${task.id}`;
      if (![...touched].some((written) => written === taskNs || written.startsWith(`${taskNs}|`))) continue;
      await visit(
        await reader.getState({ configurable: { thread_id: threadId, checkpoint_ns: taskNs } }),
        taskNs,
      );
    }
  };
  await visit(snapshot, '');
  return { values, pending, interrupts, failures, terminations };
}

/**
 * An open wait in a branch of a parallel one of whose branches failed or reached a shared end: the next
 * sibling to stop, with the end when that is why (`end` undefined: a sibling failed).
 */
export function siblingToCancel(view: GraphView) {
  const terminations = view.terminations ?? {};
  const failed = [...Object.keys(view.failures), ...Object.keys(terminations)];
  if (failed.length === 0) return undefined;
  for (const entry of view.pending.values()) {
    const parallel = entry.wait.parallels.find((p) => failed.includes(p));
    if (parallel) return { ...entry, parallel, end: terminations[parallel] };
  }
  return undefined;
}

/**
 * `config` for a resume that answers `waits` only: branch runners that hold none of them nor an unfinished
 * task re-raise their interrupts instead of re-running (see `ResumeTarget`).
 */
export function targeted<C extends { configurable: Record<string, unknown> }>(
  config: C,
  waits: readonly WaitInterrupt[],
  view: GraphView,
): C {
  const target: ResumeTarget = { nodes: waits.map((w) => w.node), pending: view.interrupts };
  return { ...config, configurable: { ...config.configurable, [RESUME_TARGET_KEY]: target } };
}
