import { html, raw } from 'hono/html';
import { formatAge } from '../../orchestrator/src/operations/format-age';
import type { InstanceRow } from '../../orchestrator/src/operations/instance-row';
import { INSTANCE_STATUSES } from '../../orchestrator/src/runtime/instance-record';
import type { InstanceListQuery } from './instance-list-query';
import { LIVE_REFRESH_SCRIPT } from './live-refresh-script';
import { pageLayout, type Html } from './page-layout';
import type { StatusCount } from './status-counts';

export interface InstancesPageData {
  readonly query: InstanceListQuery | undefined;
  /** The raw query string values, to rebuild links (the next page, a status count). */
  readonly rawQuery: Record<string, string | undefined>;
  readonly rows: readonly InstanceRow[];
  readonly next: string | null;
  readonly counts: readonly StatusCount[];
  readonly table: string;
  readonly error: string | undefined;
  readonly now: Date;
  readonly refreshMs: number;
}

/** The instances page: counts per status, the filter form, one page of rows, a link to the next. */
export function instancesPage(d: InstancesPageData): Html {
  const form = d.query?.form ?? { status: '', workflow: '', since: '', until: '' };
  const body = html`
    <h1>Instances <span class="muted">(${d.table})</span></h1>
    <form class="filters" method="get" action="/">
      <label
        >Status
        <select name="status" id="status-filter">
          <option value="">any</option>
          ${INSTANCE_STATUSES.map(
            (s) =>
              html`<option value="${s}" ${form.status.toUpperCase() === s ? 'selected' : ''}>${s}</option>`,
          )}
        </select></label
      >
      <label>Workflow <input name="workflow" value="${form.workflow}" placeholder="workflow_id" /></label>
      <label>Started since <input name="since" value="${form.since}" placeholder="7d or ISO time" /></label>
      <label>until <input name="until" value="${form.until}" placeholder="2h ago, or ISO time" /></label>
      <label><input type="checkbox" name="stuck" ${d.query?.stuck ? 'checked' : ''} /> stuck only</label>
      <button type="submit">Filter</button>
      <a href="/">clear</a>
    </form>
    <div id="live" data-live="true" data-refresh-ms="${d.refreshMs}">
      ${d.error ? html`<p class="error" id="query-error">${d.error}</p>` : ''}
      <p class="counts" id="counts">
        ${d.counts.map(
          (c) =>
            html`<span
              ><a href="/?${withStatus(d.rawQuery, c.status)}" class="status status-${c.status}"
                >${c.status}</a
              >
              <b data-count="${c.status}">${c.count}${c.more ? '+' : ''}</b></span
            >`,
        )}
      </p>
      <table id="instances">
        <thead>
          <tr>
            <th>Instance</th>
            <th>Workflow</th>
            <th>Status</th>
            <th>Started</th>
            <th>Updated</th>
            <th>Current step</th>
            <th>Time waiting</th>
            <th>Error / why stuck</th>
          </tr>
        </thead>
        <tbody>
          ${
            d.rows.length === 0
              ? html`<tr>
                  <td colspan="8" class="muted">no ${d.query?.stuck ? 'stuck ' : ''}instances</td>
                </tr>`
              : d.rows.map((r) => row(r, d.now))
          }
        </tbody>
      </table>
      ${d.next ? html`<p><a id="next-page" href="/?${nextQuery(d.rawQuery, d.next)}">next page →</a></p>` : ''}
      <p class="muted" id="updated-at">updated ${d.now.toISOString()}</p>
    </div>
    <script>
      ${raw(LIVE_REFRESH_SCRIPT)};
    </script>
  `;
  return pageLayout('Instances', body);
}

function row(r: InstanceRow, now: Date): Html {
  return html`<tr data-instance="${r.instance_id}">
    <td><a href="/instances/${encodeURIComponent(r.instance_id)}">${r.instance_id}</a></td>
    <td>${r.workflow_id ?? '-'}</td>
    <td class="status status-${r.status ?? 'NONE'}">${r.status ?? '(never started)'}</td>
    <td>${time(r.started_at)}</td>
    <td>${time(r.updated_at)}</td>
    <td class="current-step">${currentStep(r)}</td>
    <td class="time-waiting">${timeWaiting(r, now)}</td>
    <td class="detail">${detail(r)}</td>
  </tr>`;
}

const time = (iso: string | null) => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-');

/**
 * Where the instance stands: the nodes it waits on; for a RUNNING one, the step after the last it
 * completed (the record does not say which step is in flight); where an ended one ended.
 */
function currentStep(r: InstanceRow): string {
  switch (r.status) {
    case 'WAITING':
      return r.waits.map((w) => w.node).join(', ');
    case 'RUNNING':
      return r.last_step ? `after ${r.last_step.node}` : 'its first step';
    case 'FAILED':
      return `failed at ${r.error?.node ?? r.last_step?.node ?? '?'}`;
    case 'SUCCEEDED':
    case 'CANCELLED':
      return r.last_step ? `ended at ${r.last_step.node}` : '-';
    default:
      return '-';
  }
}

/** How long its oldest open wait has waited, and the time left to the nearest deadline (or overdue). */
function timeWaiting(r: InstanceRow, now: Date): string {
  if (r.waits.length === 0) return '-';
  const since = Math.min(...r.waits.map((w) => Date.parse(w.since)));
  const waited = formatAge(now.getTime() - since);
  const deadlines = r.waits.flatMap((w) => (w.deadline === null ? [] : [Date.parse(w.deadline)]));
  if (deadlines.length === 0) return `${waited} (no deadline)`;
  const left = Math.min(...deadlines) - now.getTime();
  return `${waited} (${left >= 0 ? `${formatAge(left)} left` : `${formatAge(-left)} overdue`})`;
}

/** As `wf list`'s DETAIL column, but for the waits (columns of their own here): why stuck, or its error. */
function detail(r: InstanceRow): string {
  if (r.stuck.length > 0) return r.stuck.map((s) => `${s.reason}: ${s.detail}`).join('; ');
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  return '';
}

/** The page's query with another value for `key` (undefined: without it), always from the first page. */
function withQuery(rawQuery: Record<string, string | undefined>, key: string, value: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rawQuery)) {
    if (k !== 'next' && k !== key && v !== undefined && v !== '') params.set(k, v);
  }
  params.set(key, value);
  return params.toString();
}

/** A status count's link: the same filters (not stuck, which the counts do not apply), that status. */
function withStatus(rawQuery: Record<string, string | undefined>, status: string): string {
  const { stuck: _stuck, ...others } = rawQuery;
  return withQuery(others, 'status', status);
}

/** The next page: the same query with the token (a token is bound to the filters that printed it). */
function nextQuery(rawQuery: Record<string, string | undefined>, next: string): string {
  return withQuery(rawQuery, 'next', next);
}
