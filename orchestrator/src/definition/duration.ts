const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const SHORT = /^(\d+)(ms|s|m|h|d)$/;
// ISO-8601 durations without years or months, whose length in milliseconds is not fixed.
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Longest wait a definition may declare: one year. */
export const MAX_DURATION_MS = 366 * UNIT_MS.d;

/**
 * Parses `30s`, `15m`, `2h`, `7d`, `500ms` or an ISO-8601 duration such as `PT1H30M` or `P2D`.
 * Returns milliseconds, or undefined when the text is not a duration of positive, bounded length.
 */
export function parseDuration(text: string): number | undefined {
  const short = SHORT.exec(text);
  if (short) {
    const ms = Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS];
    return bounded(ms);
  }
  const iso = ISO.exec(text);
  if (!iso || text === 'P' || text.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = iso;
  const ms =
    Number(weeks ?? 0) * 7 * UNIT_MS.d +
    Number(days ?? 0) * UNIT_MS.d +
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Math.round(Number(seconds ?? 0) * UNIT_MS.s);
  return bounded(ms);
}

function bounded(ms: number): number | undefined {
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}
