import { WRITES_IDX_MAP, compareWritesSortKeys, writesSortKey } from '@langchain/langgraph-checkpoint';

/*
 * LangGraph's rules for pending writes, independent of storage.
 *
 * A write is identified by (task id, idx). Regular writes take their position in the `putWrites` call as
 * idx; writes to the special channels (error, scheduled, interrupt, resume) take the fixed negative idx of
 * WRITES_IDX_MAP, so they never collide with regular writes and a later special write can replace an
 * earlier one. A call made only of special writes replaces what is stored (upsert); any other call only
 * adds the writes whose (task id, idx) is not stored yet (insert-if-absent), which makes a retried task
 * harmless. Readers get the writes of a checkpoint sorted by (task path, task id, idx), the order live
 * execution applies them in.
 */

export function writeIndex(channel: string, position: number): number {
  return Object.prototype.hasOwnProperty.call(WRITES_IDX_MAP, channel)
    ? (WRITES_IDX_MAP[channel] ?? position)
    : position;
}

export function isUpsert(channels: readonly string[]): boolean {
  return channels.every((channel) => Object.prototype.hasOwnProperty.call(WRITES_IDX_MAP, channel));
}

export interface MergedWrites<W> {
  /** The task's writes after the call, sorted by idx. */
  readonly writes: W[];
  /** Incoming writes that are not part of the result (already stored, or replaced within the call). */
  readonly ignored: W[];
  /** Whether the call changes what is stored. */
  readonly changed: boolean;
}

/** Applies one `putWrites` call to the writes already stored for the task. */
export function mergeTaskWrites<W extends { readonly idx: number }>(
  stored: readonly W[],
  incoming: readonly W[],
  upsert: boolean,
): MergedWrites<W> {
  const byIdx = new Map<number, W>(stored.map((write) => [write.idx, write]));
  for (const write of incoming) {
    if (upsert || !byIdx.has(write.idx)) byIdx.set(write.idx, write);
  }
  const ignored = incoming.filter((write) => byIdx.get(write.idx) !== write);
  return {
    writes: [...byIdx.values()].sort((a, b) => a.idx - b.idx),
    ignored,
    changed: ignored.length < incoming.length,
  };
}

/** Sorts writes of one checkpoint in LangGraph's order: task path, then task id, then idx. */
export function sortPendingWrites<
  W extends { readonly taskPath: string; readonly taskId: string; readonly idx: number },
>(writes: readonly W[]): W[] {
  return [...writes].sort((a, b) =>
    compareWritesSortKeys(
      writesSortKey(a.taskPath, a.taskId, a.idx),
      writesSortKey(b.taskPath, b.taskId, b.idx),
    ),
  );
}
