import { isTerminal } from '../runtime/instance-record';
import type { InstanceDescription } from './describe-instance';

/**
 * A child's line as an operator reads it: the step's state, and an awaited child's own. A child that ended
 * while its parent still awaits it points at its end's message (in flight, or dead-lettered).
 */
export function childState(child: InstanceDescription['children'][number]): string {
  if (child.instance_status === undefined) return child.status;
  if (child.instance_status === null) return `${child.status} (the child has not started yet)`;
  return isTerminal(child.instance_status)
    ? `${child.status} (the child ended ${child.instance_status}; its end has not reached this instance)`
    : `${child.status} (the child is ${child.instance_status})`;
}
