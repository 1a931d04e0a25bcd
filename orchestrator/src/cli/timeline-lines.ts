import type { InstanceDescription } from '../operations/describe-instance';
import { byStart } from '../operations/timeline-order';
import { terminalSafe } from './terminal-safe';

/**
 * The timeline of `wf describe`: one line per history entry, in the order the steps started, its offset from the start, node, status and
 * duration in aligned columns. The lines are terminal-safe, and each column is measured on the text as it
 * is printed: a control character in a node name shows as `\u001b`, six characters for one, so widths
 * measured before escaping would push that row's later columns out of line.
 */
export function timelineLines(history: InstanceDescription['history']): string[] {
  const rows = byStart(history).map((h) => ({
    offset: `+${(h.offset_ms / 1000).toFixed(3)}s`,
    node: terminalSafe(h.node),
    status: terminalSafe(h.status),
    duration: `${h.duration_ms} ms`,
  }));
  const width = (column: 'offset' | 'node' | 'status', least: number) =>
    Math.max(least, ...rows.map((r) => r[column].length));
  const offsetWidth = width('offset', 11);
  const nodeWidth = width('node', 0);
  const statusWidth = width('status', 9);
  return rows.map(
    (r) =>
      `  ${r.offset.padStart(offsetWidth)}  ${r.node.padEnd(nodeWidth)}  ${r.status.padEnd(statusWidth)}  ${r.duration}`,
  );
}
