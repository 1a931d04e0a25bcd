/*
 * DynamoDB's capacity rules (on-demand: one write request unit per WCU, one read request unit per RCU), as
 * pure functions of item sizes, so the cost model and the tests can apply them to hand-worked examples.
 *
 * - A write consumes one unit per started 1 KB of the item (at least 1); a write that replaces or updates an
 *   item is billed on the larger of the item before and after.
 * - A strongly consistent read consumes one unit per started 4 KB (an eventually consistent read half of
 *   that): per item for GetItem and BatchGetItem, on the total size of all items returned for Query and
 *   Scan. A GetItem that finds nothing still consumes one unit (strongly consistent); so does a Query that
 *   returns nothing (DynamoDB bills a minimum of one unit per read request).
 * Sizes are DynamoDB's item sizes (attribute names plus values), as item-size.ts computes them.
 */

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4 * 1024;

/** Write units of one put, or of an update given the item's size before and after. */
export function writeUnits(newItemBytes: number, oldItemBytes = 0): number {
  const units = (bytes: number) => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
  return Math.max(units(newItemBytes), oldItemBytes > 0 ? units(oldItemBytes) : 0);
}

/** Read units of a GetItem (or of one item of a BatchGetItem); `undefined`: no such item. */
export function itemReadUnits(itemBytes: number | undefined, consistent = true): number {
  const units = Math.max(1, Math.ceil((itemBytes ?? 0) / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Read units of a Query or Scan page: the total size of the items it returned, in 4 KB steps. */
export function queryReadUnits(itemBytes: readonly number[], consistent = true): number {
  const total = itemBytes.reduce((sum, bytes) => sum + bytes, 0);
  const units = Math.max(1, Math.ceil(total / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}
