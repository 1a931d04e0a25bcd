import { parseArgs } from 'node:util';
import { parseDuration } from '../definition/duration';
import { formatAge } from '../operations/format-age';
import type { InstanceFilter } from '../operations/instance-filter';
import type { InstanceRow } from '../operations/instance-row';
import { DEFAULT_PAGE_SIZE, listInstances, MAX_PAGE_SIZE } from '../operations/list-instances';
import type { DeadLetteredInstance } from '../operations/operations-ports';
import { InvalidPageTokenError } from '../operations/page-token';
import {
  deadLetteredInstances,
  DEFAULT_STUCK_AFTER_MS,
  findStuckInstances,
} from '../operations/stuck-instances';
import { INSTANCE_STATUSES, type InstanceStatus } from '../runtime/instance-record';
import { UsageError, type CliIo } from './cli-io';
import { openDeadLetters, openInstanceQueries, operatorTarget, type OperatorTarget } from './operator-target';
import { terminalSafe } from './terminal-safe';

export const LIST_USAGE =
  'usage: wf list [--status S[,S]] [--workflow W] [--since 2h|ISO-time] [--changed-since 2h|ISO-time] [--stuck [--stuck-after 15m]] [--limit N] [--next TOKEN] [--json] [--local]';

const LIST_HELP = `${LIST_USAGE}

Lists instances, newest start first (with --changed-since: newest status change first), from the
instance indexes (no table scan), one page at a time.

  --status S[,S]     RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED (any of them)
  --workflow W       instances of one workflow_id
  --since T          started within a duration (30s, 15m, 2h, 7d, PT1H) or at/after an ISO-8601 time
  --changed-since T  took their current status within a duration or at/after a time (the row's
                     changed_at and CHANGED column): ended (SUCCEEDED, FAILED, CANCELLED) since then, or
                     went live (RUNNING, WAITING: started, or redriven) since then. A live instance that
                     moves from one wait to the next keeps its status, so it is not listed for that; a
                     running instance's steps show in UPDATED, which is not indexed (every step writes it)
  --stuck            only instances that cannot move on their own: a wait past its deadline, RUNNING
                     with no activity (record or lease) for --stuck-after (default 15m), a message in a DLQ
  --limit N          rows per page (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE})
  --next TOKEN       the next page: the token the previous page printed, with the same filters
  --json             { "instances": [...], "next": "TOKEN" | null } (README: wf list --json)
                     each row's "engine" is langgraph or stepfunctions (the ENGINE column, shown
                     when the page holds a Step Functions mode instance)
  --local            the embedded stack (pnpm local, ports from CCH_LOCAL_*_PORT); default: the
                     deployment named by CCH_ENV/CCH_OWNER, or the embedded stack when they are unset

examples:
  wf list --status FAILED --since 24h
  wf list --changed-since 2h                      # what ended, started or was redriven in the last 2 hours
  wf list --changed-since 1h --status FAILED --workflow import_vn_memphis_v1
  wf list --workflow fanout_a_b_c_v1 --status WAITING,RUNNING --limit 20
  wf list --stuck --json
`;

/** What `wf list` uses besides its arguments; tests inject a target and a clock. */
export interface ListDependencies {
  readonly target?: (local: boolean) => OperatorTarget;
  readonly now?: () => Date;
  /** Messages for instances found in the DLQs; default: every DLQ of the target, as `wf dlq list` reads them. */
  readonly deadLettered?: (target: OperatorTarget) => Promise<readonly DeadLetteredInstance[]>;
}

/** `wf list`: a page of instances as a table, or as JSON with `--json`. */
export async function listCommand(
  args: readonly string[],
  io: CliIo,
  deps: ListDependencies = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      status: { type: 'string' },
      workflow: { type: 'string' },
      since: { type: 'string' },
      'changed-since': { type: 'string' },
      stuck: { type: 'boolean', default: false },
      'stuck-after': { type: 'string' },
      limit: { type: 'string' },
      next: { type: 'string' },
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(LIST_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const now = (deps.now ?? (() => new Date()))();
  const filter: InstanceFilter = {
    statuses: values.status === undefined ? undefined : parseStatuses(values.status),
    workflow_id: values.workflow,
    since: values.since === undefined ? undefined : parseSince('--since', values.since, now),
    changed_since:
      values['changed-since'] === undefined
        ? undefined
        : parseSince('--changed-since', values['changed-since'], now),
  };
  const limit = values.limit === undefined ? DEFAULT_PAGE_SIZE : parseLimit(values.limit);
  if (values['stuck-after'] !== undefined && !values.stuck) {
    throw new UsageError('--stuck-after goes with --stuck');
  }
  const stuckAfterMs =
    values['stuck-after'] === undefined
      ? DEFAULT_STUCK_AFTER_MS
      : parseDurationOption('--stuck-after', values['stuck-after']);
  const target = (deps.target ?? ((local) => operatorTarget(local, process.env)))(values.local);
  const queries = openInstanceQueries(target);
  try {
    const page = values.stuck
      ? await findStuckInstances(queries.port, filter, {
          now,
          stuckAfterMs,
          limit,
          next: values.next,
          // Judged on the first page only (see findStuckInstances).
          deadLettered: values.next ? [] : await deadLettersOrNone(deps, target, io),
        })
      : await listInstances(queries.port, filter, { limit, next: values.next });
    if (values.json) {
      io.out(JSON.stringify(page) + '\n');
      return 0;
    }
    if (page.instances.length === 0) {
      const filtered = Object.values(filter).some((value) => value !== undefined);
      const what = `${values.stuck ? 'stuck ' : ''}instances${filtered ? ' matching the filters' : ''}`;
      io.out(`no ${what} in ${queries.table}${page.next ? ' on this page' : ''}\n`);
    } else io.out(formatTable(page.instances, now, filter.changed_since !== undefined));
    if (page.next) io.out(terminalSafe(`next page: --next ${page.next}`) + '\n');
    return 0;
  } catch (error) {
    if (error instanceof InvalidPageTokenError) throw new UsageError(error.message);
    throw error;
  } finally {
    queries.close();
  }
}

function parseStatuses(text: string): InstanceStatus[] {
  return text.split(',').map((part) => {
    const status = part.trim().toUpperCase();
    if (!(INSTANCE_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status ${part}: not one of ${INSTANCE_STATUSES.join(', ')}`);
    }
    return status as InstanceStatus;
  });
}

/** A duration back from now, or an ISO-8601 time (with a date). */
function parseSince(flag: string, text: string, now: Date): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms).toISOString();
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at))
    throw new UsageError(`${flag} ${text}: not a duration (2h, 7d, PT30M) or an ISO-8601 time`);
  return new Date(at).toISOString();
}

function parseDurationOption(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} ${text}: not a duration (30s, 15m, 2h, PT1H)`);
  return ms;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new UsageError(`--limit ${text}: a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/**
 * Columns sized to their contents; times to the second, UTC; CHANGED when listing by change time; ENGINE
 * (langgraph or stepfunctions) only when the page holds a Step Functions mode instance, so an engine-only
 * listing reads as it always did.
 */
function formatTable(rows: readonly InstanceRow[], now: Date, changed: boolean): string {
  const time = (iso: string | null) => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-');
  const modes = rows.some((r) => r.engine === 'stepfunctions');
  // Cells hold values from outside (ids, a reply's error, a DLQ reason): shown inert, before they are measured.
  const lines = [
    [
      'INSTANCE',
      'WORKFLOW',
      'STATUS',
      ...(modes ? ['ENGINE'] : []),
      'STARTED',
      ...(changed ? ['CHANGED'] : []),
      'UPDATED',
      'DETAIL',
    ],
    ...rows.map((r) =>
      [
        r.instance_id,
        r.workflow_id ?? '-',
        r.status ?? '-',
        ...(modes ? [r.engine ?? '-'] : []),
        time(r.started_at),
        ...(changed ? [time(r.changed_at)] : []),
        time(r.updated_at),
        detail(r, now),
      ].map(terminalSafe),
    ),
  ];
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return (
    lines
      .map((l) =>
        l
          .map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function detail(row: InstanceRow, now: Date): string {
  if (row.stuck.length > 0) return row.stuck.map((s) => `${s.reason}: ${s.detail}`).join('; ');
  if (row.error) return `${row.error.code}: ${row.error.message}`;
  if (row.waits.length > 0) {
    return (
      'waits on ' +
      row.waits
        .map((w) => {
          if (w.deadline === null) return w.node;
          const left = Date.parse(w.deadline) - now.getTime();
          return `${w.node} (${left >= 0 ? `${formatAge(left)} left` : `${formatAge(-left)} overdue`})`;
        })
        .join(', ')
    );
  }
  return '';
}

/** How many dead-lettered messages `--stuck` looks at, across every DLQ. */
const DEAD_LETTER_SAMPLE = 1000;

/** The DLQs' messages; when they cannot be read, the rest of `--stuck` still runs, and says so. */
async function deadLettersOrNone(
  deps: ListDependencies,
  target: OperatorTarget,
  io: CliIo,
): Promise<readonly DeadLetteredInstance[]> {
  try {
    return await (deps.deadLettered ?? readDeadLetters)(target);
  } catch (error) {
    io.err(
      terminalSafe(
        `wf list: dead-lettered messages left out, the DLQs could not be read: ${error instanceof Error ? error.message : String(error)}`,
      ) + '\n',
    );
    return [];
  }
}

async function readDeadLetters(target: OperatorTarget): Promise<DeadLetteredInstance[]> {
  const deadLetters = openDeadLetters(target);
  try {
    return deadLetteredInstances(await deadLetters.list(undefined, { limit: DEAD_LETTER_SAMPLE }));
  } finally {
    deadLetters.close();
  }
}
