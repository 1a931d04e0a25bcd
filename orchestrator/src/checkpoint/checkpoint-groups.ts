import type { Item } from './item-size';
import {
  checkpointRecordFrom,
  parseSortKey,
  sortKeyOf,
  taskWritesRecordFrom,
  type CheckpointRecord,
  type TaskWritesRecord,
} from './storage-layout';

/** A committed checkpoint with the pending writes stored against it. */
export interface CheckpointGroup {
  readonly checkpoint: CheckpointRecord;
  readonly tasks: readonly TaskWritesRecord[];
}

/**
 * Reassembles checkpoints from items in key order (ascending or descending) of one partition: a
 * checkpoint's item and its task items are adjacent (storage-layout), so a group ends where the
 * (namespace, checkpoint id) of the keys changes. Task items without a checkpoint item (a checkpoint that
 * was never committed) are dropped, as are chunk items.
 */
export async function* groupCheckpointItems(
  items: AsyncIterable<Item> | Iterable<Item>,
  ttlAttribute: string | undefined,
): AsyncGenerator<CheckpointGroup> {
  let currentKey: string | undefined;
  let checkpoint: CheckpointRecord | undefined;
  let tasks: TaskWritesRecord[] = [];
  for await (const item of items) {
    const parsed = parseSortKey(sortKeyOf(item));
    if (parsed.kind === 'chunk') continue;
    const key = `${item.PK?.S ?? ''}\u0000${parsed.ns}\u0000${parsed.checkpointId}`;
    if (key !== currentKey) {
      if (checkpoint !== undefined) yield { checkpoint, tasks };
      currentKey = key;
      checkpoint = undefined;
      tasks = [];
    }
    if (parsed.kind === 'checkpoint') checkpoint = checkpointRecordFrom(item, ttlAttribute);
    else tasks.push(taskWritesRecordFrom(item, ttlAttribute));
  }
  if (checkpoint !== undefined) yield { checkpoint, tasks };
}
