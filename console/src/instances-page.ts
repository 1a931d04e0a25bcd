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
  /** The raw query string values, to rebuild links (the next page). */
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
  const form = d.query?.form ?? { status: '', workflow: '', since: '' };
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
      <label>Since <input name="since" value="${form.since}" placeholder="2h, 7d or ISO time" /></label>
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
              ><a href="/?status=${c.status}" class="status status-${c.status}">${c.status}</a>
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
            <th>Current step / waits</th>
          </tr>
        </thead>
        <tbody>
          ${
            d.rows.length === 0
              ? html`<tr>
                  <td colspan="6" class="muted">no ${d.query?.stuck ? 'stuck ' : ''}instances</td>
                </tr>`
              : d.rows.map((r) => row(r, d.now))
          }
        </tbody>
      </table>
      ${d.next ? html`<p><a id="next-page" href="/?${nextQuery(d.rawQuery, d.next)}">next page →</a></p>` : ''}
      <p class="muted">updated ${d.now.toISOString()}</p>
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
    <td>${detail(r, now)}</td>
  </tr>`;
}

const time = (iso: string | null) => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-');

/** As `wf list`'s DETAIL column: why it is stuck, its error, or its waits with the time waited and left. */
function detail(r: InstanceRow, now: Date): string {
  if (r.stuck.length > 0) return r.stuck.map((s) => `${s.reason}: ${s.detail}`).join('; ');
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  return r.waits
    .map((w) => {
      const waited = `waiting ${formatAge(now.getTime() - Date.parse(w.since))}`;
      if (w.deadline === null) return `${w.node} (${waited})`;
      const left = Date.parse(w.deadline) - now.getTime();
      return `${w.node} (${waited}, ${left >= 0 ? `${formatAge(left)} left` : `${formatAge(-left)} overdue`})`;
    })
    .join(', ');
}

function nextQuery(rawQuery: Record<string, string | undefined>, next: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(rawQuery)) {
    if (key !== 'next' && value !== undefined) params.set(key, value);
  }
  params.set('next', next);
  return params.toString();
}
