import { parseDuration } from '../definition/duration';

/**
 * A definition's duration in whole seconds, as `TimeoutSeconds` and `IntervalSeconds` take it; undefined
 * when it is not a whole number of seconds (`1500ms`): rounding would run a different workflow.
 */
export function wholeSeconds(duration: string): number | undefined {
  const ms = parseDuration(duration);
  if (ms === undefined || ms % 1000 !== 0) return undefined;
  return ms / 1000;
}
