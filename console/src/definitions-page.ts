import { html, raw } from 'hono/html';
import type { CatalogEntry } from './definition-catalog';
import { pageLayout, type Html } from './page-layout';

const GRAPH_SCRIPT = `
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', flowchart: { htmlLabels: false } });
mermaid.run({ querySelector: 'pre.mermaid' }).then(() => { document.body.dataset.graph = 'drawn'; });
`;

/** Every definition in the bucket: its versions pinned by instances, its diagnostics, its graph. */
export function definitionsPage(entries: readonly CatalogEntry[]): Html {
  const body = html`
    <h1>Definitions</h1>
    ${entries.length === 0 ? html`<p class="muted">no definitions in the bucket</p>` : ''}
    ${entries.map(
      (e) =>
        html`<section class="definition" data-key="${e.key}">
          <h2>${e.key}${e.title ? html` · ${e.title}` : ''}</h2>
          <p class="muted">workflow_id ${e.workflow_id ?? '?'} · current sha256 ${e.sha256}</p>
          <div>
            Pinned versions (instances started on them):
            ${
              e.pinned.length === 0
                ? html`<span class="muted">none</span>`
                : html`<ul class="pinned">
                    ${e.pinned.map(
                      (sha) => html`<li>${sha}${sha === e.sha256 ? html` <b>(current)</b>` : ''}</li>`,
                    )}
                  </ul>`
            }
          </div>
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
