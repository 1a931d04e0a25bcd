/**
 * When a wait node's `until` ends, by the one rule both modes use (the engine's wait node and the steps
 * Lambda of Step Functions mode).
 */

/** A wait node's `until` further away than this is refused, as a `duration` over a year is. */
export const LONGEST_WAIT_MS = 366 * 24 * 3600 * 1000;

/** The time an `until` expression gave: ISO-8601 text with a time zone, or epoch milliseconds. */
export function timeOf(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  const shown = value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 80);
  throw new Error(
    `until gave ${shown}: not a time (ISO-8601 text with a time zone, such as 2026-12-01T09:00:00Z, or epoch milliseconds)`,
  );
}
