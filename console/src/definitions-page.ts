import { html, raw } from 'hono/html';
import type { CatalogEntry, DefinitionVersion } from '../../orchestrator/src/operations/definitions-catalog';
import { pageLayout, type Html } from './page-layout';

const GRAPH_SCRIPT = `
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', flowchart: { htmlLabels: false } });
mermaid.run({ querySelector: 'pre.mermaid' }).then(() => { document.body.dataset.graph = 'drawn'; });
`;

/**
 * Every definition in the bucket (from the query layer's definitionsCatalog): its versions in use by
 * instances, its diagnostics, its graph.
 */
export function definitionsPage(entries: readonly CatalogEntry[]): Html {
  const body = html`
    <h1>Definitions</h1>
    ${entries.length === 0 ? html`<p class="muted">no definitions in the bucket</p>` : ''}
    ${entries.map(
      (e) =>
        html`<section class="definition" data-key="${e.key}">
          <h2>${e.key}${e.title ? html` · ${e.title}` : ''}</h2>
          <p class="muted">
            workflow_id ${e.workflow_id ?? '?'} · current sha256 ${e.sha256}
            ${
              e.workflow_id
                ? html` · <a href="/?workflow=${encodeURIComponent(e.workflow_id)}">its instances</a>`
                : ''
            }
          </p>
          ${versionsTable(e)}
          ${
            e.diagnostics.length === 0
              ? html`<p class="muted">valid, no warnings</p>`
              : html`<ul class="diagnostics">
                  ${e.diagnostics.map(
                    (d) =>
                      html`<li class="${d.severity === 'error' ? 'status-FAILED' : 'status-WAITING'}">
                        ${d.severity} ${d.code} at ${d.line}:${d.column}: ${d.message}
                      </li>`,
                  )}
                </ul>`
          }
          ${
            e.graph
              ? html`<details open>
                  <summary>Graph</summary>
                  <pre class="mermaid">${e.graph}</pre>
                </details>`
              : ''
          }
        </section>`,
    )}
    <script src="/assets/mermaid.min.js"></script>
    <script>
      ${raw(GRAPH_SCRIPT)};
    </script>
  `;
  return pageLayout('Definitions', body);
}

/** The versions in use: each pinned sha256 with its instances (live of all), newest use first. */
function versionsTable(e: CatalogEntry): Html {
  return html`<table class="versions">
    <thead>
      <tr>
        <th>Version (sha256)</th>
        <th>Instances${e.instances_more ? html` (of the newest ${e.instances_read})` : ''}</th>
        <th>Live</th>
        <th>Last started</th>
        <th>Pinned snapshot</th>
      </tr>
    </thead>
    <tbody>
      ${e.versions.map(
        (v) =>
          html`<tr data-sha256="${v.sha256}">
            <td><code>${v.sha256}</code>${v.current ? html` <b>(current)</b>` : ''}</td>
            <td>${v.instances}</td>
            <td>${v.live}</td>
            <td>${v.last_started_at ?? '-'}</td>
            <td class="${snapshotClass(v)}">${snapshotText(v)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A version instances use must have its snapshot: without it, a live one cannot take its next step. */
function snapshotText(v: DefinitionVersion): string {
  if (v.pinned) return 'in the bucket';
  return v.instances > 0 ? 'missing' : 'not yet (no instance started on it)';
}

const snapshotClass = (v: DefinitionVersion) => (!v.pinned && v.instances > 0 ? 'status-FAILED' : '');
