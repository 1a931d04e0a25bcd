import { html, raw } from 'hono/html';
import type { InstanceDescription } from '../../orchestrator/src/operations/describe-instance';
import { childState } from '../../orchestrator/src/operations/child-state';
import { formatAge } from '../../orchestrator/src/operations/format-age';
import { byStart } from '../../orchestrator/src/operations/timeline-order';
import { isTerminal } from '../../orchestrator/src/runtime/instance-record';
import { jsonTree } from './json-tree';
import { LIVE_REFRESH_SCRIPT } from './live-refresh-script';
import { pageLayout, type Html } from './page-layout';

/** Draws every `pre.mermaid` not drawn yet; run on load and after each refresh swaps `#live`. */
const GRAPH_SCRIPT = `
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', flowchart: { htmlLabels: false } });
window.afterLiveRefresh = () => mermaid.run({ querySelector: 'pre.mermaid' });
window.graphDrawn = window.afterLiveRefresh().then(() => { document.body.dataset.graph = 'drawn'; });
`;

/** What the page says after a button was pressed (the redirect's query). */
export interface ActionNotice {
  readonly ok: boolean;
  readonly text: string;
}

/**
 * One instance, from `describeInstance` (what `wf describe --json` prints): the graph of its pinned
 * definition coloured by node state, the open waits, the last error, the timeline, context and output,
 * and the actions its status allows.
 */
export function instancePage(
  d: InstanceDescription,
  now: Date,
  notice: ActionNotice | undefined,
  refreshMs: number,
): Html {
  const live = !isTerminal(d.status);
  const time = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
  const body = html`
    <p><a href="/">← instances</a></p>
    <h1>${d.instance_id}</h1>
    ${notice ? html`<p class="${notice.ok ? 'notice' : 'error'}" id="notice">${notice.text}</p>` : ''}
    <div id="live" data-live="${live ? 'true' : 'false'}" data-refresh-ms="${refreshMs}">
      <p>
        <b>${d.workflow_id}</b> ·
        <span class="status status-${d.status}" id="instance-status">${d.status}</span> · started
        ${time(d.started_at)} · updated ${time(d.updated_at)}
      </p>
      ${
        d.step_functions
          ? html`<p class="muted" id="step-functions">
              Step Functions mode: execution ${d.step_functions.execution_arn}
              (${d.step_functions.execution_status})
            </p>`
          : html`<p class="muted">definition ${d.definition.key} (pinned sha256 ${d.definition.sha256})</p>`
      }
      ${
        d.parent
          ? html`<p id="parent">
              child of
              <a href="/instances/${encodeURIComponent(d.parent.instance_id)}">${d.parent.instance_id}</a>
              (its step ${d.parent.node})
            </p>`
          : ''
      }
      ${
        d.children.length > 0
          ? html`<ul id="children">
              ${d.children.map(
                (c) =>
                  html`<li>
                    step ${c.node}: child
                    <a href="/instances/${encodeURIComponent(c.instance_id)}">${c.instance_id}</a>
                    ${childState(c)}
                  </li>`,
              )}
            </ul>`
          : ''
      }
      <div class="actions">
        ${
          live
            ? actionForm(
                d.instance_id,
                'cancel',
                'Cancel',
                'Cancel this instance? Its capabilities are told; it ends CANCELLED.',
              )
            : ''
        }
        ${
          d.status === 'FAILED'
            ? actionForm(
                d.instance_id,
                'redrive',
                'Redrive',
                'Redrive this instance from the step that failed?',
              )
            : ''
        }
      </div>
      ${
        d.error
          ? html`<h2>Error</h2>
              <p class="error" id="last-error">
                ${d.error.code}: ${d.error.message}${d.error.node ? ` (at ${d.error.node})` : ''}
              </p>`
          : d.last_failed_step
            ? html`<h2>Last failed step</h2>
                <p class="notice" id="last-failed-step">
                  ${d.last_failed_step.node} ${d.last_failed_step.status} at
                  ${time(d.last_failed_step.ended_at)}; the instance went on (a failure route, a retry or a
                  redrive)
                </p>`
            : ''
      }
      <h2>Graph</h2>
      ${
        d.graph
          ? html`<pre class="mermaid" id="graph">${d.graph}</pre>`
          : html`<p class="error">graph unavailable: ${d.graph_error ?? 'unknown'}</p>`
      }
      <p class="muted">green done · red failed · amber waiting · grey dashed cancelled · faded not reached</p>
      <h2>Open waits</h2>
      ${
        d.waits.length === 0
          ? html`<p class="muted">none</p>`
          : html`<table id="waits">
              <thead>
                <tr>
                  <th>Node</th>
                  <th>Capability</th>
                  <th>Since</th>
                  <th>Deadline</th>
                  <th>Time left</th>
                  <th>Request</th>
                </tr>
              </thead>
              <tbody>
                ${d.waits.map(
                  (w) =>
                    html`<tr>
                      <td>${w.node}</td>
                      <td>${w.capability_id}</td>
                      <td>${time(w.since)} (${formatAge(now.getTime() - Date.parse(w.since))} ago)</td>
                      <td>${w.deadline ? time(w.deadline) : 'none'}</td>
                      <td class="${w.overdue ? 'status-FAILED' : ''}">
                        ${
                          w.time_left_ms === null
                            ? '-'
                            : w.overdue
                              ? `overdue by ${formatAge(-w.time_left_ms)}`
                              : formatAge(w.time_left_ms)
                        }
                      </td>
                      <td class="muted">${w.request_id}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Timeline (${d.history.length} steps)</h2>
      ${timeline(d, now)}
      <details id="context" data-keep="section:context">
        <summary>Context</summary>
        ${jsonTree(d.context, 'context')}
        <details data-keep="section:context-json">
          <summary>as JSON</summary>
          <pre class="json">${JSON.stringify(d.context, null, 2)}</pre>
        </details>
      </details>
      <details id="output" data-keep="section:output">
        <summary>Output</summary>
        ${
          d.output === null
            ? html`<p class="muted">${isTerminal(d.status) ? 'none' : 'none yet'}</p>`
            : jsonTree(d.output, 'output')
        }
      </details>
      <p class="muted" id="updated-at">
        updated ${now.toISOString()}${live ? ', refreshing while it runs' : ''}
      </p>
    </div>
    <script src="/assets/mermaid.min.js"></script>
    <script>
      ${raw(GRAPH_SCRIPT)};
    </script>
    <script>
      ${raw(LIVE_REFRESH_SCRIPT)};
    </script>
  `;
  return pageLayout(d.instance_id, body);
}

/** A button that posts `action` for the instance, with an optional reason, after a confirmation. */
function actionForm(instanceId: string, action: 'cancel' | 'redrive', label: string, question: string) {
  return html`<form
    method="post"
    action="/instances/${encodeURIComponent(instanceId)}/${action}"
    onsubmit="return confirm('${question}')"
  >
    <input name="reason" placeholder="reason (optional)" />
    <button type="submit" id="${action}">${label}</button>
  </form>`;
}

/**
 * The history as a timeline, in the order the steps started (the history itself is in the order they
 * ended): each step at its start relative to the instance's, with its duration, and a
 * bar placed and sized on the instance's whole span (to now while it is live), so long steps and gaps
 * between them stand out.
 */
function timeline(d: InstanceDescription, now: Date): Html {
  const ends = d.history.map((h) => h.offset_ms + h.duration_ms);
  const live = isTerminal(d.status) ? 0 : now.getTime() - Date.parse(d.started_at);
  const span = Math.max(1, live, ...ends);
  const percent = (ms: number) => `${((100 * ms) / span).toFixed(2)}%`;
  return html`<table id="timeline">
    <thead>
      <tr>
        <th>Start</th>
        <th>Node</th>
        <th>Status</th>
        <th>Duration</th>
        <th class="timeline-bars">over ${formatDuration(span)}</th>
        <th>Ended</th>
      </tr>
    </thead>
    <tbody>
      ${byStart(d.history).map(
        (h) =>
          html`<tr>
            <td>+${(h.offset_ms / 1000).toFixed(3)} s</td>
            <td>${h.node}</td>
            <td class="status status-${h.status}">${h.status}</td>
            <td>${formatDuration(h.duration_ms)}</td>
            <td class="timeline-bars">
              <div
                class="bar bar-${h.status}"
                style="margin-left:${percent(h.offset_ms)};width:${percent(h.duration_ms)}"
              ></div>
            </td>
            <td>${h.ended_at.replace(/\.\d{3}Z$/, 'Z')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Milliseconds under a second (most steps), seconds to the millisecond under a minute, else as ages (1m5s). */
const formatDuration = (ms: number) =>
  ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(3)} s` : formatAge(ms);
