import type { WaitView } from '../runtime/instance-record';

/** What a wait awaits, as the CLI's lines say it: ` on <capability>`, ` on child <id>`, ` (wait)`, ` (retry)`. */
export function awaitedBy(wait: WaitView): string {
  if (wait.capability_id) return ` on ${wait.capability_id}`;
  if (wait.kind === 'child' || wait.child_instance_id !== undefined) {
    return wait.child_instance_id === undefined ? ' (child)' : ` on child ${wait.child_instance_id}`;
  }
  if (wait.kind === 'timer') return ' (wait)';
  // A retry's delay, or a timer-only wait of a record written before waits had kinds.
  return ' (retry)';
}
