import type { InstanceDescription } from './describe-instance';

/**
 * History entries in the order their steps started, for a timeline: the history is in the order steps
 * ended, so a long step that started first (a parallel's slow branch) comes after the quick ones. Entries
 * that started together keep their history order.
 */
export function byStart<T extends Pick<InstanceDescription['history'][number], 'offset_ms'>>(
  history: readonly T[],
): T[] {
  return [...history].sort((a, b) => a.offset_ms - b.offset_ms);
}
