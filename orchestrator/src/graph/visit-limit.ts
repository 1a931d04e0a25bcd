import type { WorkflowError } from './workflow-state';

/** MAX_VISITS_EXCEEDED when `visit` is past `limit` (Step Functions mode's steps Lambda shares it). */
export function visitLimitError(name: string, visit: number, limit: number): WorkflowError | undefined {
  if (visit <= limit) return undefined;
  return {
    code: 'MAX_VISITS_EXCEEDED',
    message: `node ${name} has run ${visit - 1} times, all its max_visits allows (a loop that never exits?)`,
    node: name,
  };
}
