import { parseDuration } from '../../orchestrator/src/definition/duration';
import type { InstanceFilter } from '../../orchestrator/src/operations/instance-filter';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../orchestrator/src/runtime/instance-record';

/** The instances page's query string, read into the query layer's filter (as `wf list` reads its flags). */
export interface InstanceListQuery {
  readonly filter: InstanceFilter;
  readonly stuck: boolean;
  readonly next: string | undefined;
  /** The fields as the user typed them, to fill the form again. */
  readonly form: {
    readonly status: string;
    readonly workflow: string;
    readonly since: string;
    readonly until: string;
  };
}

export class InvalidQueryError extends Error {
  override name = 'InvalidQueryError';
}

/** Reads the page's query; an unreadable field is an InvalidQueryError naming it. */
export function parseInstanceListQuery(
  query: Record<string, string | undefined>,
  now: Date,
): InstanceListQuery {
  const status = (query.status ?? '').trim();
  const workflow = (query.workflow ?? '').trim();
  const since = (query.since ?? '').trim();
  const until = (query.until ?? '').trim();
  const filter = {
    statuses: status === '' ? undefined : parseStatuses(status),
    workflow_id: workflow === '' ? undefined : workflow,
    since: since === '' ? undefined : parseTime('since', since, now),
    until: until === '' ? undefined : parseTime('until', until, now),
  };
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
    throw new InvalidQueryError(`since ${since} is after until ${until}: no instance can match`);
  }
  return {
    filter,
    stuck: query.stuck === 'on' || query.stuck === 'true',
    next: query.next === undefined || query.next === '' ? undefined : query.next,
    form: { status, workflow, since, until },
  };
}

function parseStatuses(text: string): InstanceStatus[] {
  return text.split(',').map((part) => {
    const status = part.trim().toUpperCase();
    if (!(INSTANCE_STATUSES as readonly string[]).includes(status)) {
      throw new InvalidQueryError(`status ${part}: not one of ${INSTANCE_STATUSES.join(', ')}`);
    }
    return status as InstanceStatus;
  });
}

/**
 * A time as `wf list --since` reads one: a duration back from now (2h, 7d, PT30M), or an ISO-8601 time
 * with a date. `until 1d` is a day ago: with `since 7d`, what started during the six days before.
 */
function parseTime(field: 'since' | 'until', text: string, now: Date): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms).toISOString();
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at))
    throw new InvalidQueryError(`${field} ${text}: not a duration (2h, 7d) or an ISO-8601 time`);
  return new Date(at).toISOString();
}
