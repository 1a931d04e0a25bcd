import { contextHash } from './context-hash';
import { isChildOf, type InstanceRecord } from './instance-record';
import type { StartWorkflow } from './messages';

/** What differs between an existing instance and a START for its id: empty when the START repeats it. */
export function startConflicts(existing: InstanceRecord, start: StartWorkflow): string[] {
  const conflicts: string[] = [];
  if (existing.workflow_id !== start.workflow_id) conflicts.push('workflow_id');
  const key = start.definition_key ?? `${start.workflow_id}.yaml`;
  if (existing.workflow_id === start.workflow_id && existing.definition.key !== key) {
    conflicts.push('definition_key');
  }
  // Records from before the hash existed cannot tell: only the workflow is compared for them.
  if (
    existing.start_context_sha256 !== undefined &&
    existing.start_context_sha256 !== contextHash(start.context)
  ) {
    conflicts.push('context');
  }
  // A child's START names the wait its end answers: an instance started by anyone else never answers it.
  if (start.parent !== undefined && !isChildOf(existing, start.parent)) conflicts.push('parent');
  return conflicts;
}
