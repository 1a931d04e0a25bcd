import type { WorkflowError } from './workflow-state';

/** The retry a run over the limit was to be: its attempt (2 or more) and the policy's max_attempts. */
export interface RetryAttempt {
  readonly attempt: number;
  readonly maxAttempts: number;
}

/**
 * MAX_VISITS_EXCEEDED when `visit` is past `limit` (Step Functions mode's steps Lambda shares it). When
 * the run refused is a retry of the node (`retry`), its own attempts used the visits, not a loop, and
 * the message says so.
 */
export function visitLimitError(
  name: string,
  visit: number,
  limit: number,
  retry?: RetryAttempt,
): WorkflowError | undefined {
  if (visit <= limit) return undefined;
  const why =
    retry === undefined
      ? ' (a loop that never exits?)'
      : `: its retries ran out of visits at attempt ${retry.attempt} of ${retry.maxAttempts} (give it a max_visits of at least its retry.max_attempts)`;
  return {
    code: 'MAX_VISITS_EXCEEDED',
    message: `node ${name} has run ${visit - 1} times, all its max_visits allows${why}`,
    node: name,
  };
}
