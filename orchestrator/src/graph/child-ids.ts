import { createHash } from 'node:crypto';

/** The longest instance id (see `instanceIdSchema`). */
const INSTANCE_ID_MAX_LENGTH = 128;

/**
 * A child's instance id: `<parent>.<node>.<visit>` (and `.<item>` for a map's), readable and the same on
 * every re-run of the step (a START sent again finds the child it started); a hash of it when that would
 * be too long for an id.
 */
export function childInstanceId(parent: string, ...path: readonly (string | number)[]): string {
  return childIdWithin(INSTANCE_ID_MAX_LENGTH, parent, path);
}

/**
 * `childInstanceId` for ids of at most `max` characters (Step Functions names its executions with at most
 * 80): the same id whenever the plain one fits.
 */
export function childIdWithin(max: number, parent: string, path: readonly (string | number)[]): string {
  const plain = [parent, ...path].join('.');
  if (plain.length <= max) return plain;
  const digest = createHash('sha256').update(plain, 'utf8').digest('hex').slice(0, 32);
  return `${parent.slice(0, max - digest.length - 7)}.child.${digest}`;
}
