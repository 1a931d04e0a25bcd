import { isDeepStrictEqual } from 'node:util';
import type { WorkflowStateUpdate, WorkflowStateValue } from './workflow-state';

function changedEntries<T>(
  before: Readonly<Record<string, T>>,
  after: Readonly<Record<string, T>>,
  withDeletes: boolean,
): Record<string, T | null> {
  const delta: Record<string, T | null> = {};
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before) || !isDeepStrictEqual(before[key], value)) delta[key] = value;
  }
  if (withDeletes) for (const key of Object.keys(before)) if (!(key in after)) delta[key] = null;
  return delta;
}

/**
 * What a branch subgraph changed, as an update for the parent graph. The subgraph starts from a copy of
 * the parent's state; returning its whole final state would re-append history and, worse, let one
 * branch's stale copy of a context key overwrite a sibling's new value. Only changes flow back.
 */
export function stateDelta(before: WorkflowStateValue, after: WorkflowStateValue): WorkflowStateUpdate {
  const update: WorkflowStateUpdate = {
    context: changedEntries<unknown>(before.context, after.context, false),
    waits: changedEntries(before.waits, after.waits, true),
    resolved: changedEntries(before.resolved, after.resolved, false) as WorkflowStateValue['resolved'],
    visits: changedEntries(before.visits, after.visits, false) as WorkflowStateValue['visits'],
    history: after.history.slice(before.history.length),
    branch_failures: changedEntries(before.branch_failures, after.branch_failures, true),
    cancelled_parallels: changedEntries(before.cancelled_parallels, after.cancelled_parallels, true),
    attempts: changedEntries(before.attempts, after.attempts, true),
  };
  // Written only on a branch's failure path: left out otherwise, so a checkpoint gains no channel for it.
  const stopped = changedEntries(before.stopped ?? {}, after.stopped ?? {}, true);
  if (Object.keys(stopped).length > 0) update.stopped = stopped;
  // Likewise written only when a branch reaches a shared end.
  const terminations = changedEntries(before.terminations ?? {}, after.terminations ?? {}, true);
  if (Object.keys(terminations).length > 0) update.terminations = terminations;
  if (!isDeepStrictEqual(before.last_error, after.last_error)) update.last_error = after.last_error;
  return update;
}
