import { html } from 'hono/html';
import type { Html } from './page-layout';

/** Levels open when the page loads; deeper objects and arrays start folded. */
const OPEN_LEVELS = 2;

/**
 * A JSON value as a tree of `<details>` (no script, no framework): each object and array folds, each
 * leaf is shown as JSON would write it. Every key and value goes through html``, so a value holding markup
 * is shown as text. `path` names each fold (`data-keep`), so the page's self-refresh can keep it open or
 * folded as the reader left it.
 */
export function jsonTree(value: unknown, path: string): Html {
  return node(value, path, 0);
}

function node(value: unknown, path: string, depth: number): Html {
  if (value === null || typeof value !== 'object') {
    return html`<span class="json-${value === null ? 'null' : typeof value}" data-path="${path}"
      >${JSON.stringify(value) ?? 'undefined'}</span
    >`;
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return html`<span class="json-empty" data-path="${path}">${open}${close}</span>`;
  const noun = Array.isArray(value) ? 'item' : 'key';
  const size = `${entries.length} ${noun}${entries.length === 1 ? '' : 's'}`;
  return html`<details
    class="json"
    data-keep="${path}"
    data-path="${path}"
    ${depth < OPEN_LEVELS ? 'open' : ''}
  >
    <summary>${open} <span class="muted">${size}</span></summary>
    <ul>
      ${entries.map(
        ([key, child]) =>
          html`<li>
            <span class="json-key">${Array.isArray(value) ? key : JSON.stringify(key)}</span>:
            ${node(child, `${path}.${key}`, depth + 1)}
          </li>`,
      )}
    </ul>
    ${close}
  </details>`;
}
