import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { WaitBundle, WaitInterrupt } from './workflow-state';

/**
 * The configurable key naming the waits a resume is for (see `ResumeTarget`).
 */
export const RESUME_TARGET_KEY = 'cch_resume_target';

/**
 * Which waits a resume answers (the nodes awaiting them), and every interrupt pending when it was sent.
 * LangGraph re-runs every interrupted task of a superstep on each resume; a branch runner that holds none
 * of the answered waits nor a task that never finished re-raises the interrupts it raised before instead
 * of re-running its subgraph, so a reply costs its own branch's work whatever the number of branches still
 * waiting. The re-raised
 * interrupts are the same objects (same ids, same values), so the state after is the one a full re-run
 * would have produced.
 */
export interface ResumeTarget {
  readonly nodes: readonly string[];
  readonly pending: readonly { readonly id?: string; readonly value?: unknown }[];
}

/** The interrupts a branch runner re-raises instead of running, if this resume is not for it. */
export function parkedInterrupts(
  config: LangGraphRunnableConfig,
  inside: (node: string) => boolean,
): { id?: string; value?: unknown }[] | undefined {
  const target = config.configurable?.[RESUME_TARGET_KEY] as ResumeTarget | undefined;
  if (!target || target.nodes.some(inside)) return undefined;
  const mine = target.pending.filter((i) => nodesOf(i.value).some(inside));
  return mine.length > 0 ? mine : undefined;
}

/**
 * The nodes an interrupt waits in: a wait's node, or a map's bundle's (each of its items' waits names the
 * map; a map interrupts only while items run, so a bundle is never empty). A runner that left a bundle out
 * would lose the map's waits: its items' ends would find nothing to resume.
 */
function nodesOf(value: unknown): string[] {
  const interrupt = value as Partial<WaitInterrupt & WaitBundle> | undefined;
  if (typeof interrupt?.node === 'string') return [interrupt.node];
  return (interrupt?.bundle ?? []).flatMap((w) => (typeof w.node === 'string' ? [w.node] : []));
}
