import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** What a page handler returns: html`` output, every interpolation escaped unless wrapped in raw(). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
header { background: #232f3e; color: #fff; padding: 0.6em 1em; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
main { padding: 1em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f4f4f4; }
.status { font-weight: 600; }
.status-RUNNING { color: #06c; } .status-WAITING { color: #b70; } .status-SUCCEEDED { color: #282; }
.status-FAILED { color: #b00; } .status-CANCELLED { color: #777; }
.counts span { margin-right: 1.2em; }
.filters { margin: 0.8em 0; display: flex; gap: 0.8em; flex-wrap: wrap; align-items: end; }
.error { background: #fdd; border: 1px solid #b00; padding: 0.5em; }
.notice { background: #eef; border: 1px solid #88c; padding: 0.5em; }
pre.json { background: #f7f7f7; padding: 0.5em; overflow: auto; }
.actions form { display: inline-block; margin-right: 1em; }
.muted { color: #888; }
td.timeline-bars, th.timeline-bars { width: 30%; }
.bar { height: 0.8em; min-width: 2px; background: #2a8a2a; border-radius: 2px; }
.bar-FAILED, .bar-TIMED_OUT { background: #b00; } .bar-CANCELLED { background: #888; }
.bar-REDRIVEN { background: #06c; }
details.json { margin-left: 0.2em; } details.json > ul { list-style: none; margin: 0; padding-left: 1.4em; }
.json-key { color: #555; } .json-string { color: #a31515; } .json-number, .json-boolean { color: #06c; }
.json-null { color: #888; }
#context, #output { margin-top: 0.8em; }
`;

/** The frame of every page. `live` pages re-fetch themselves (see LIVE_REFRESH_SCRIPT). */
export function pageLayout(title: string, body: Html, options: { head?: Html } = {}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · CCH console</title>
        <style>
          ${raw(STYLE)}
        </style>
        ${options.head ?? ''}
      </head>
      <body>
        <header>
          <a href="/">CCH workflow console</a> · <a href="/">Instances</a> ·
          <a href="/definitions" id="nav-definitions">Definitions</a> ·
          <a href="/dead-letters" id="nav-dead-letters">Dead letters</a>
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}
