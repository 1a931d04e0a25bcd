import type { RetryPolicy } from '../definition/workflow-schema';
import type { Retrier } from './asl-types';
import { LAMBDA_TRANSIENT_ERRORS } from './asl-names';
import type { ScopeStates } from './compile-scope';
import { wholeSeconds } from './whole-seconds';

/** Lambda's transient faults: retried on every Lambda task (three more tries, 1 s, 2 s, 4 s). */
export const TRANSIENT_RETRIER: Retrier = {
  ErrorEquals: LAMBDA_TRANSIENT_ERRORS,
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
};

/**
 * A node's retry policy as retriers: first the errors the engine never retries (matched first, with no
 * attempts), then every other task failure with the policy's interval and backoff. `max_attempts`
 * counts the first attempt; ASL's `MaxAttempts` counts only the retries. Both delays are
 * `interval * backoff_rate^(attempt - 1)` (engine defaults: 1 s, x2).
 */
export function policyRetriers(
  states: ScopeStates,
  node: string,
  retry: RetryPolicy | undefined,
  neverRetried: readonly string[],
): Retrier[] {
  if (!retry || retry.max_attempts <= 1) return [];
  let interval = 1;
  if (retry.interval !== undefined) {
    const seconds = wholeSeconds(retry.interval);
    if (seconds === undefined) {
      states.problem({
        code: 'asl-duration-not-whole-seconds',
        node,
        path: ['nodes', node, 'retry', 'interval'],
        message: `node ${node}: retry interval ${retry.interval} is not a whole number of seconds, and Step Functions retries after whole seconds only`,
      });
    } else {
      interval = seconds;
    }
  }
  return [
    { ErrorEquals: neverRetried, MaxAttempts: 0 },
    {
      ErrorEquals: ['States.TaskFailed'],
      IntervalSeconds: interval,
      MaxAttempts: retry.max_attempts - 1,
      BackoffRate: retry.backoff_rate ?? 2,
    },
  ];
}
