import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import {
  openDeadLetters,
  openDefinitionFiles,
  openInstanceQueries,
  type OperatorTarget,
} from '../../orchestrator/src/cli/operator-target';
import { definitionsCatalog } from '../../orchestrator/src/operations/definitions-catalog';
import { describeInstance } from '../../orchestrator/src/operations/describe-instance';
import { listInstances } from '../../orchestrator/src/operations/list-instances';
import { InvalidPageTokenError } from '../../orchestrator/src/operations/page-token';
import {
  deadLetteredInstances,
  DEFAULT_STUCK_AFTER_MS,
  findStuckInstances,
} from '../../orchestrator/src/operations/stuck-instances';
import { redriveDeadLetters, type ChosenDeadLetter } from './dead-letter-redrive';
import { deadLettersPage } from './dead-letters-page';
import { definitionsPage } from './definitions-page';
import { runInstanceAction, type InstanceAction } from './instance-actions';
import { InvalidQueryError, parseInstanceListQuery } from './instance-list-query';
import { instancePage } from './instance-page';
import { instancesPage } from './instances-page';
import { localHostOnly } from './local-host-only';
import { DEFAULT_REFRESH_MS } from './live-refresh-script';
import { pageLayout } from './page-layout';
import { statusCounts } from './status-counts';

/** Rows per page of the instances table. */
export const CONSOLE_PAGE_SIZE = 50;

/** How many dead-lettered messages the dead letters page shows, across every DLQ. */
const DEAD_LETTER_PAGE_SIZE = 100;

/** How many dead-lettered messages the stuck filter looks at, as `wf list --stuck`. */
const DEAD_LETTER_SAMPLE = 1000;

export interface ConsoleDependencies {
  readonly target: OperatorTarget;
  readonly now?: () => Date;
  /** Rows per page of the instances table (default CONSOLE_PAGE_SIZE). */
  readonly pageSize?: number;
  /** How often live pages refresh themselves (default DEFAULT_REFRESH_MS). */
  readonly refreshMs?: number;
}

/** Mermaid's browser bundle from node_modules: the page loads nothing from the internet. */
const MERMAID_BUNDLE = require.resolve('mermaid/dist/mermaid.min.js');

/**
 * The console's routes over the operator query layer (orchestrator/src/operations), reading the same
 * stores as the `wf` commands. Every page is rendered with hono's html`` (escapes what it interpolates).
 */
export function consoleApp(deps: ConsoleDependencies): Hono {
  const now = deps.now ?? (() => new Date());
  const refreshMs = deps.refreshMs ?? DEFAULT_REFRESH_MS;
  const app = new Hono();
  // The server listens on 127.0.0.1, but any page the operator visits could reach it through the browser:
  // it answers only under its own name (localHostOnly, against DNS rebinding), and state changes are
  // accepted only from its own origin (csrf).
  app.use('*', localHostOnly());
  app.use('*', csrf());

  let mermaidBundle: string | undefined;
  app.get('/assets/mermaid.min.js', (c) => {
    mermaidBundle ??= readFileSync(MERMAID_BUNDLE, 'utf8');
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'max-age=3600');
    return c.body(mermaidBundle);
  });

  app.get('/', async (c) => {
    const at = now();
    const rawQuery = c.req.query();
    const queries = openInstanceQueries(deps.target);
    type Listing = Pick<Parameters<typeof instancesPage>[0], 'query' | 'rows' | 'next' | 'counts' | 'error'>;
    const render = (listing: Listing, status?: 400) =>
      c.html(instancesPage({ ...listing, rawQuery, table: queries.table, now: at, refreshMs }), status);
    try {
      let query;
      try {
        query = parseInstanceListQuery(rawQuery, at);
      } catch (error) {
        if (!(error instanceof InvalidQueryError)) throw error;
        const counts = await statusCounts(queries.port, {});
        return render({ query, rows: [], next: null, counts, error: error.message }, 400);
      }
      const page = { limit: deps.pageSize ?? CONSOLE_PAGE_SIZE, next: query.next };
      try {
        const [listing, counts] = await Promise.all([
          query.stuck
            ? findStuckInstances(queries.port, query.filter, {
                now: at,
                stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
                ...page,
                // Judged on the first page only (see findStuckInstances).
                deadLettered: query.next ? [] : await readDeadLetters(deps.target),
              })
            : listInstances(queries.port, query.filter, page),
          statusCounts(queries.port, { ...query.filter, statuses: undefined }),
        ]);
        return render({ query, rows: listing.instances, next: listing.next, counts, error: undefined });
      } catch (error) {
        if (!(error instanceof InvalidPageTokenError)) throw error;
        return render({ query, rows: [], next: null, counts: [], error: error.message }, 400);
      }
    } finally {
      queries.close();
    }
  });

  app.get('/instances/:id', async (c) => {
    const id = c.req.param('id');
    const at = now();
    const queries = openInstanceQueries(deps.target);
    try {
      const description = await describeInstance(queries.port, id, at);
      if (!description) {
        return c.html(pageLayout('Not found', html`<p>no instance ${id} in ${queries.table}</p>`), 404);
      }
      const sent = c.req.query('notice');
      const notice = sent === undefined ? undefined : { ok: c.req.query('ok') === '1', text: sent };
      return c.html(instancePage(description, at, notice, refreshMs));
    } finally {
      queries.close();
    }
  });

  for (const action of ['cancel', 'redrive'] as const satisfies readonly InstanceAction[]) {
    app.post(`/instances/:id/${action}`, async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
      const notice = await runInstanceAction(action, id, reason, deps.target);
      const params = new URLSearchParams({ notice: notice.text, ok: notice.ok ? '1' : '0' });
      // Post/redirect/get: reloading the page does not send the command again.
      return c.redirect(`/instances/${encodeURIComponent(id)}?${params.toString()}`, 303);
    });
  }

  app.get('/definitions', async (c) => {
    const definitions = openDefinitionFiles(deps.target);
    const queries = openInstanceQueries(deps.target);
    try {
      return c.html(definitionsPage(await definitionsCatalog(definitions.files, queries.port)));
    } finally {
      definitions.close();
      queries.close();
    }
  });

  app.get('/dead-letters', async (c) => {
    const deadLetters = openDeadLetters(deps.target);
    try {
      const messages = await deadLetters.list(undefined, { limit: DEAD_LETTER_PAGE_SIZE });
      const sent = c.req.query('notice');
      const notice = sent === undefined ? undefined : { ok: c.req.query('ok') === '1', text: sent };
      return c.html(deadLettersPage(messages, notice));
    } finally {
      deadLetters.close();
    }
  });

  app.post('/dead-letters/redrive', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const values = [form.message ?? []].flat().filter((v): v is string => typeof v === 'string');
    const chosen = values.flatMap(parseChosen);
    const notice = await redriveDeadLetters(chosen, deps.target);
    const params = new URLSearchParams({ notice: notice.text, ok: notice.ok ? '1' : '0' });
    return c.redirect(`/dead-letters?${params.toString()}`, 303);
  });

  // A stack that cannot be reached (`pnpm local` not running, expired credentials) is a page that says so,
  // not a bare 500; the message is escaped like everything else. A refusal (csrf's 403) stays one.
  app.onError((error, c) =>
    error instanceof HTTPException
      ? error.getResponse()
      : c.html(
          pageLayout(
            'Error',
            html`<p class="error" id="server-error">
              ${error instanceof Error ? error.message : String(error)}
            </p>`,
          ),
          500,
        ),
  );

  return app;
}

/** A checkbox value of the dead letters page (see chosenValue); anything else chooses nothing. */
function parseChosen(value: string): ChosenDeadLetter[] {
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string'
      ? [{ queue: parsed[0], messageId: parsed[1] }]
      : [];
  } catch {
    return [];
  }
}

/** The DLQs' messages for the stuck filter; unreadable DLQs leave the rest of the search running. */
async function readDeadLetters(target: OperatorTarget) {
  const deadLetters = openDeadLetters(target);
  try {
    return deadLetteredInstances(await deadLetters.list(undefined, { limit: DEAD_LETTER_SAMPLE }));
  } catch {
    return [];
  } finally {
    deadLetters.close();
  }
}
