/** SQS takes at most ten entries in one batch call. */
export const SQS_BATCH_ENTRIES = 10;
/**
 * Bytes of all entries of one batch call. SQS allows 1 MiB since 2025 (256 KiB before); batches are cut at
 * 256 KiB so they fit either, and every message at or under the claim-check threshold still fits alone.
 */
export const SQS_BATCH_BYTES = 256 * 1024;

/**
 * Cuts entries into SendMessageBatch calls, in order: at most ten entries and `maxBytes` per call, except
 * that an entry larger than `maxBytes` goes alone (SQS judges it; a batch never fails for its neighbours).
 */
export function sqsBatches<T>(
  entries: readonly T[],
  bytesOf: (entry: T) => number,
  maxBytes = SQS_BATCH_BYTES,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = bytesOf(entry);
    if (current.length > 0 && (current.length === SQS_BATCH_ENTRIES || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
