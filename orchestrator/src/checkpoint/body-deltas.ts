import type { DeltaLimits } from './value-deltas';

/*
 * When the checkpoint body is stored as a delta (storage-layout, body-entries), and over what.
 *
 * A body's chain is: the whole body (compressed), then at most one *rebased* delta over it (every change
 * since the whole body, in one delta), then one delta per step, each over its parent's body. A new body is
 * - appended: a delta over the parent's body, while the chain stays within its bounds (`maxLinks` deltas,
 *   their bytes within `maxChainFraction` of the whole body);
 * - rebased: otherwise, a delta over the whole body that takes in the whole chain, when that delta needs at
 *   most half the chain's byte budget (leaving the other half to the steps after it);
 * - whole: otherwise, or when the writer does not know the parent's body.
 *
 * Why not value-deltas' size-tiered merging: a per-step delta sits inline in its checkpoint item, which every
 * read of that checkpoint fetches (LangGraph reads the checkpoint it resumes from, and the engine reads it
 * again after a step), so it stays one step's change; only a rebased delta holds more, and once it is 1 KB
 * or more it goes to an item of its own, like a large whole body. Why rebase rather than store the whole
 * body each time the chain is full: a step's change is mostly the same few versions again plus the
 * versions of the node it ran, so the changes since the whole body grow far slower than the body; at 500
 * distinct nodes (whole body 5.5 KB compressed, 230-byte deltas) this halves what the snapshots cost per
 * step.
 *
 * A read of a body whose parent's body this process does not know fetches its chain: at most `maxLinks`
 * small checkpoint items, a rebased delta and the whole body. One whose parent's body it knows (it wrote or
 * read the parent: the usual case) fetches nothing beyond the checkpoint item.
 */

/** A link of a body chain, by its stored size. */
export interface BodyLink {
  readonly bytes: number;
}

type BodyLimits = Pick<DeltaLimits, 'maxLinks' | 'maxChainFraction' | 'minBodyBytes'>;

/**
 * Whether a new body is stored as a delta of `deltaBytes` over its parent's, whose chain has the deltas
 * `links` (newest first) over a whole body of `wholeBytes`.
 */
export function appendsToChain(
  links: readonly BodyLink[],
  wholeBytes: number,
  deltaBytes: number,
  limits: BodyLimits,
): boolean {
  if (wholeBytes < limits.minBodyBytes) return false;
  if (links.length + 1 > limits.maxLinks) return false;
  const chainBytes = links.reduce((sum, link) => sum + link.bytes, deltaBytes);
  return chainBytes <= limits.maxChainFraction * wholeBytes;
}

/** Whether a new body is stored as a delta of `rebasedBytes` over the whole body at the end of its chain. */
export function rebasesOnWhole(wholeBytes: number, rebasedBytes: number, limits: BodyLimits): boolean {
  if (wholeBytes < limits.minBodyBytes) return false;
  return rebasedBytes <= (limits.maxChainFraction / 2) * wholeBytes;
}
