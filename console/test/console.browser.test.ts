import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Dialog, Page } from 'playwright-core';
import { sendCommand } from '../../orchestrator/src/cli/command-sender';
import { openInstanceStore, type OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { saveAll, statusRecord } from '../../orchestrator/test/support/instance-index-fixtures';
import { startTestStack, type TestStack } from '../../tests/e2e/local-stack-support';
import { startConsoleServer, type ConsoleServer } from '../src/console-server';
import { launchChromium } from './headless-chromium';

/**
 * Issue 12: the console in a real headless Chromium against the embedded stack, with the orchestrator and
 * the capability mock polling in this process, and instances in every status: run there by the
 * orchestrator (a fan-out held waiting on two of its three branches by withheld replies, waits, a success,
 * a failure, a cancel), and one RUNNING, planted through the instance store: a step runs for milliseconds,
 * too short to hold still for a page, so it is an instance whose worker died three days ago mid-step, which
 * is also what `stuck` finds.
 */
jest.setTimeout(120_000);

/** Screenshots of each page (gitignored). */
const SCREENSHOTS = join(__dirname, '..', 'test-output');

const waitDefinition = (id: string, capability: string) => `workflow_name: console ${id}
workflow_id: ${id}
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: '${capability}'
    request_output_keys: [answer]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [answer] }
`;

const XSS = '<script>alert(1)</script>';
/** A definition title that would run a script if it were inserted as markup. */
const MARKUP_TITLE = '<img src=x onerror=alert(2)>';

/** When the planted RUNNING instance started and last moved (outside `since=1d`, stuck for days). */
const STALLED_AT = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();

let t: TestStack;
let target: OperatorTarget;
let server: ConsoleServer;
let browser: Browser;
let page: Page;
/** Every dialog a page opened that the test did not expect (an alert would be an injected script). */
const unexpectedDialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Chromium first: without it, fail at once with how to install it, before starting anything.
  browser = await launchChromium();
  t = await startTestStack({
    scenarios: {
      'duty#valuation': { reply: false },
      'licence#check': { reply: false },
      'conwait#op': { reply: false },
      'conok#op': { outputs: { answer: 42 } },
      // Down for the first request, back for the redrive's.
      'confail#op': [
        { status: 'FAILURE', error: { code: 'CON_DOWN', message: 'the capability is down' } },
        { outputs: { answer: 'back up' } },
      ],
    },
  });
  await t.stack.addCapabilityDomains(['conwait', 'conok', 'confail']);
  target = { stage: t.stack.resources.stage, clients: t.stack.aws.clientConfig };
  await t.upload('fanout_a_b_c_v1');
  await t.upload('console_wait_v1', waitDefinition('console_wait_v1', 'conwait#op'));
  await t.upload('console_ok_v1', waitDefinition('console_ok_v1', 'conok#op'));
  await t.upload('console_fail_v1', waitDefinition('console_fail_v1', 'confail#op'));

  await t.start('fanout_a_b_c_v1', 'fan-waiting');
  await t.start('console_wait_v1', 'wait-xss', { note: XSS });
  await t.start('console_wait_v1', 'wait-to-cancel');
  await t.start('console_wait_v1', 'was-cancelled');
  await t.start('console_ok_v1', 'ok-1');
  await t.start('console_fail_v1', 'fail-1');
  await t.waitFor(
    'fan-waiting',
    (r) => r.waits.length === 2 && r.history.some((h) => h.node === 'Task_B1' && h.status === 'SUCCEEDED'),
  );
  for (const id of ['wait-xss', 'wait-to-cancel', 'was-cancelled']) {
    await t.waitFor(id, (r) => r.status === 'WAITING');
  }
  await sendCommand(target, { type: 'CANCEL_WORKFLOW', instance_id: 'was-cancelled' });
  await t.waitFor('was-cancelled', (r) => r.status === 'CANCELLED');
  const ok = await t.waitFor('ok-1', (r) => r.status === 'SUCCEEDED');
  await t.waitFor('fail-1', (r) => r.status === 'FAILED');
  // Committed through the store as the runtime commits one (index entries included), on the definition
  // ok-1 pinned, with no lease and no message behind it: nothing moves it on.
  const instances = openInstanceStore(target);
  try {
    await saveAll(instances.store, [
      statusRecord('running-stalled', {
        workflow_id: 'console_ok_v1',
        definition: ok.definition,
        created_at: STALLED_AT,
        context: { note: 'its worker died' },
      }),
    ]);
  } finally {
    instances.close();
  }

  // Live pages refresh every second here (3 s by default): the tests that wait for one go faster.
  server = await startConsoleServer(target, 0, { refreshMs: 1000 });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('dialog', recordUnexpected);
});

function recordUnexpected(dialog: Dialog): void {
  unexpectedDialogs.push(`${dialog.type()}: ${dialog.message()}`);
  void dialog.dismiss();
}

/** Runs `action` accepting every dialog it opens (a button's confirmation); returns their messages. */
async function confirming(action: () => Promise<unknown>): Promise<string[]> {
  const messages: string[] = [];
  const accept = (dialog: Dialog) => {
    messages.push(dialog.message());
    void dialog.accept();
  };
  page.off('dialog', recordUnexpected);
  page.on('dialog', accept);
  try {
    await action();
  } finally {
    page.off('dialog', accept);
    page.on('dialog', recordUnexpected);
  }
  return messages;
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.stop();
});

const ALL = [
  'fail-1',
  'fan-waiting',
  'ok-1',
  'running-stalled',
  'wait-to-cancel',
  'wait-xss',
  'was-cancelled',
];

const rowIds = (p: Page) =>
  p
    .locator('#instances tbody tr[data-instance]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-instance')));

describe('instances page', () => {
  it('lists every planted instance with the counts per status, and filters by status', async () => {
    await page.goto(server.url);
    const counts = Object.fromEntries(
      await page
        .locator('[data-count]')
        .evaluateAll((cells) => cells.map((c) => [c.getAttribute('data-count'), c.textContent])),
    ) as Record<string, string>;
    expect(counts).toEqual({ RUNNING: '1', WAITING: '3', SUCCEEDED: '1', FAILED: '1', CANCELLED: '1' });
    expect((await rowIds(page)).sort()).toEqual(ALL.slice().sort());
    // Workflow, status, started, updated, current step, time waiting (the deadline is 15m after the wait).
    const cells = (id: string) =>
      page
        .locator(`tr[data-instance="${id}"] td`)
        .evaluateAll((tds) => tds.map((td) => td.textContent?.trim()));
    expect(await cells('fan-waiting')).toEqual([
      'fan-waiting',
      'fanout_a_b_c_v1',
      'WAITING',
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      expect.stringMatching(/Z$/),
      expect.stringMatching(/^Task_B[23], Task_B[23]$/),
      expect.stringMatching(/^\d+s \(1[45]m\d+s left\)$/),
      '',
    ]);
    expect((await cells('running-stalled')).slice(2, 8)).toEqual([
      'RUNNING',
      STALLED_AT.replace(/\.\d{3}Z$/, 'Z'),
      STALLED_AT.replace(/\.\d{3}Z$/, 'Z'),
      'its first step',
      '-',
      '',
    ]);
    expect((await cells('ok-1')).slice(5, 7)).toEqual(['ended at Done', '-']);
    expect((await cells('fail-1')).slice(5, 8)).toEqual([
      'failed at Ask',
      '-',
      'CON_DOWN: the capability is down',
    ]);
    await page.screenshot({ path: join(SCREENSHOTS, 'instances.png'), fullPage: true });

    await page.selectOption('#status-filter', 'FAILED');
    await Promise.all([page.waitForURL(/status=FAILED/), page.click('button[type=submit]')]);
    expect(await rowIds(page)).toEqual(['fail-1']);
    await expect(page.locator('tr[data-instance="fail-1"]').innerText()).resolves.toContain(
      'CON_DOWN: the capability is down',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'instances-failed.png'), fullPage: true });
  });

  it('pages through the instances with the next link, each instance once', async () => {
    const small = await startConsoleServer(target, 0, { pageSize: 4 });
    try {
      await page.goto(small.url);
      const first = await rowIds(page);
      expect(first).toHaveLength(4);
      await Promise.all([page.waitForURL(/next=/), page.click('#next-page')]);
      const second = await rowIds(page);
      expect(second).toHaveLength(3);
      expect(await page.locator('#next-page').count()).toBe(0);
      expect(new Set([...first, ...second]).size).toBe(ALL.length);
    } finally {
      await small.close();
    }
  });
});

/** The counts per status the page shows, as numbers. */
async function countsOf(p: Page): Promise<Record<string, number>> {
  const cells = await p
    .locator('[data-count]')
    .evaluateAll((all) => all.map((c) => [c.getAttribute('data-count'), Number(c.textContent)]));
  return Object.fromEntries(cells) as Record<string, number>;
}

describe('instances page filters', () => {
  it('by workflow (typed into the form): its rows, and the counts of that workflow only', async () => {
    await page.goto(server.url);
    await page.fill('input[name=workflow]', 'console_wait_v1');
    await Promise.all([page.waitForURL(/workflow=console_wait_v1/), page.click('button[type=submit]')]);
    expect((await rowIds(page)).sort()).toEqual(['wait-to-cancel', 'wait-xss', 'was-cancelled']);
    expect(await countsOf(page)).toEqual({ RUNNING: 0, WAITING: 2, SUCCEEDED: 0, FAILED: 0, CANCELLED: 1 });
    // The form keeps what was asked.
    expect(await page.inputValue('input[name=workflow]')).toBe('console_wait_v1');
  });

  it('by start time: since 1d leaves out what started three days ago', async () => {
    await page.goto(`${server.url}/?since=1d`);
    expect((await rowIds(page)).sort()).toEqual(ALL.filter((id) => id !== 'running-stalled').sort());
    expect((await countsOf(page)).RUNNING).toBe(0);
    await page.goto(`${server.url}/?since=yesterday`);
    expect(await page.locator('#query-error').innerText()).toMatch(/^since yesterday: not a duration/);
  });

  it('by a range of start times: since 4d until 1d is the instance started three days ago', async () => {
    await page.goto(server.url);
    await page.fill('input[name=since]', '4d');
    await page.fill('input[name=until]', '1d');
    await Promise.all([page.waitForURL(/until=1d/), page.click('button[type=submit]')]);
    expect(await rowIds(page)).toEqual(['running-stalled']);
    expect(await countsOf(page)).toEqual({ RUNNING: 1, WAITING: 0, SUCCEEDED: 0, FAILED: 0, CANCELLED: 0 });
    // A count links to its status under the same range.
    expect(await page.locator('a.status-RUNNING').getAttribute('href')).toBe(
      '/?since=4d&until=1d&status=RUNNING',
    );
    await page.goto(`${server.url}/?since=1d&until=4d`);
    expect(await page.locator('#query-error').innerText()).toBe(
      'since 1d is after until 4d: no instance can match',
    );
  });

  it('stuck: only the RUNNING instance nothing has moved for days, with why', async () => {
    await page.goto(server.url);
    await page.check('input[name=stuck]');
    await Promise.all([page.waitForURL(/stuck=on/), page.click('button[type=submit]')]);
    expect(await rowIds(page)).toEqual(['running-stalled']);
    await expect(page.locator('tr[data-instance="running-stalled"]').innerText()).resolves.toMatch(
      /console_ok_v1\s+RUNNING.*NO_PROGRESS: RUNNING with no activity for 3d/s,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'instances-stuck.png'), fullPage: true });
  });
});

describe('instance page', () => {
  it('draws the graph of a waiting fan-out with each node coloured by what happened to it', async () => {
    await page.goto(`${server.url}/instances/fan-waiting`);
    await page.waitForSelector('body[data-graph="drawn"] #graph svg');
    const classes = Object.fromEntries(
      await page.locator('#graph svg g.node').evaluateAll((nodes) =>
        nodes.map((n) => {
          const name = /flowchart-n_(.+)-\d+$/.exec(n.id)?.[1] ?? n.id;
          const state = ['done', 'failed', 'waiting', 'cancelled', 'notReached'].find((c) =>
            n.classList.contains(c),
          );
          return [name, state];
        }),
      ),
    ) as Record<string, string | undefined>;
    expect(classes).toEqual({
      Task_A: 'done',
      Fan_Out: 'done',
      Task_B1: 'done',
      Task_B2: 'waiting',
      Task_B3: 'waiting',
      Task_C: 'notReached',
      Done: 'notReached',
      Failed: 'notReached',
      Timed_Out: 'notReached',
    });
    // The colour is the one the class defines (amber for a wait), not just a class name.
    const fill = await page
      .locator('#graph svg g.node.waiting')
      .first()
      .evaluate((n) => getComputedStyle(n.querySelector('rect, polygon, path') ?? n).fill);
    expect(fill).toBe('rgb(255, 232, 168)');
    expect(await page.locator('#waits tbody tr').count()).toBe(2);
    await expect(page.locator('#timeline').innerText()).resolves.toMatch(
      /Task_A\s+SUCCEEDED\s+(\d+ ms|\d+\.\d{3} s)\s/,
    );
    // A bar per step, placed on the instance's span.
    const bars = await page
      .locator('#timeline .bar')
      .evaluateAll((all) => all.map((b) => (b as HTMLElement).getBoundingClientRect().width));
    expect(bars.length).toBe(await page.locator('#timeline tbody tr').count());
    expect(bars.every((width) => width >= 2)).toBe(true);
    expect(await page.locator('#cancel').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'instance-fanout.png'), fullPage: true });
  });

  it('updates the graph by itself when a reply arrives', async () => {
    await page.goto(`${server.url}/instances/fan-waiting`);
    await page.waitForSelector('body[data-graph="drawn"] #graph svg');
    const nodeOf = (node: string) => page.locator(`#graph svg g.node[id*="flowchart-n_${node}-"]`);
    const stateOf = (node: string) => nodeOf(node).getAttribute('class');
    const fillOf = (node: string) =>
      nodeOf(node).evaluate((n) => getComputedStyle(n.querySelector('rect, polygon, path') ?? n).fill);
    expect(await stateOf('Task_B2')).toContain('waiting');
    // Set in this document: still there afterwards proves the page was not reloaded.
    await page.evaluate(() => {
      document.body.dataset.sameDocument = 'yes';
    });
    // The capability's reply, with the request id the instance sent (the orchestrator refuses any other).
    const wait = (await t.record('fan-waiting'))?.waits.find((w) => w.node === 'Task_B2');
    await t.reply({
      type: 'ASYNC_RESP',
      instance_id: 'fan-waiting',
      request_id: wait?.request_id,
      status: 'SUCCESS',
      outputs: { b2_result: 'valued' },
    });
    await t.waitFor('fan-waiting', (r) => r.waits.length === 1);
    // The next refresh (every second here) redraws the graph.
    await page.waitForFunction(
      () =>
        document
          .querySelector('#graph svg g.node[id*="flowchart-n_Task_B2-"]')
          ?.classList.contains('done') === true,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.locator('body').getAttribute('data-same-document')).toBe('yes');
    // The refreshes left the folds as they were: the context, never opened, is still folded.
    expect(await page.locator('#context').getAttribute('open')).toBeNull();
    expect(await fillOf('Task_B2')).toBe('rgb(212, 247, 212)'); // green: done
    expect(await stateOf('Task_B3')).toContain('waiting');
    expect(await fillOf('Task_B3')).toBe('rgb(255, 232, 168)'); // amber: still waiting
    expect(await stateOf('Task_C')).toContain('notReached');
    expect(await page.locator('#waits tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'instance-fanout-after-reply.png'), fullPage: true });
  });

  it('shows a context value holding <script> as text: visible, never run', async () => {
    await page.goto(`${server.url}/instances/wait-xss`);
    await page.click('#context > summary');
    // In the tree, the value as JSON writes it; in the raw JSON below it too.
    const value = page.locator('#context [data-path="context.note"]');
    expect(await value.isVisible()).toBe(true);
    expect(await value.innerText()).toBe(JSON.stringify(XSS));
    expect(await page.locator('#context pre').textContent()).toContain(`"note": "${XSS}"`);
    // No element came out of the value: the only scripts are the page's own three.
    expect(await page.locator('#live script').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(unexpectedDialogs).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'instance-xss-context.png'), fullPage: true });
    // The page refreshes itself (the instance is live): the fold the reader opened stays open.
    const before = await page.locator('#updated-at').textContent();
    await page.waitForFunction(
      (text) => document.getElementById('updated-at')?.textContent !== text,
      before,
      { timeout: 10_000 },
    );
    expect(await page.locator('#context').getAttribute('open')).toBe('');
    expect(await value.isVisible()).toBe(true);
  });

  it('Cancel, once confirmed, sends CANCEL_WORKFLOW: the instance ends CANCELLED and the page shows it', async () => {
    await page.goto(`${server.url}/instances/wait-to-cancel`);
    await page.fill('#live input[name=reason]', 'withdrawn <b>by</b> the test');
    const confirmations = await confirming(() =>
      Promise.all([page.waitForURL(/notice=/), page.click('#cancel')]),
    );
    expect(confirmations).toEqual([expect.stringContaining('Cancel this instance?')]);
    expect(await page.locator('#notice').innerText()).toBe('cancel of wait-to-cancel sent');
    const record = await t.waitFor('wait-to-cancel', (r) => r.status === 'CANCELLED');
    expect(record.error?.message).toBe('withdrawn <b>by</b> the test');
    // The page refreshes itself while the instance is live, and stops once it has ended.
    await page.waitForFunction(
      () => document.getElementById('instance-status')?.textContent === 'CANCELLED',
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.locator('#live').getAttribute('data-live')).toBe('false');
    expect(await page.locator('#cancel').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'instance-cancelled.png'), fullPage: true });
  });

  it('Redrive, once confirmed, sends REDRIVE_WORKFLOW: the failed step runs again and the instance succeeds', async () => {
    await page.goto(`${server.url}/instances/fail-1`);
    expect(await page.locator('#last-error').innerText()).toBe('CON_DOWN: the capability is down (at Ask)');
    expect(await page.locator('#cancel').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'instance-failed.png'), fullPage: true });
    await page.fill('#live input[name=reason]', 'capability fixed');
    const confirmations = await confirming(() =>
      Promise.all([page.waitForURL(/notice=/), page.click('#redrive')]),
    );
    expect(confirmations).toEqual([expect.stringContaining('Redrive this instance')]);
    expect(await page.locator('#notice').innerText()).toMatch(
      /^redrive \S+ of fail-1 sent \(from step Ask\)$/,
    );
    const record = await t.waitFor('fail-1', (r) => r.status === 'SUCCEEDED');
    expect(record.history.find((h) => h.status === 'REDRIVEN')).toMatchObject({
      redrive: { reason: 'capability fixed' },
    });
    await page.reload();
    expect(await page.locator('#instance-status').innerText()).toBe('SUCCEEDED');
    await expect(page.locator('#timeline').innerText()).resolves.toMatch(/REDRIVEN/);
    // Its error is gone with the redrive; the step that failed is still shown as the last one that did.
    expect(await page.locator('#last-error').count()).toBe(0);
    expect(await page.locator('#last-failed-step').innerText()).toMatch(
      /^Ask FAILED at \S+Z; the instance went on/,
    );
  });
});

describe('definitions page', () => {
  it('shows each definition with its pinned versions, its graph, and its diagnostics', async () => {
    await t.upload(
      'console_broken_v1',
      'workflow_name: broken\nworkflow_id: console_broken_v1\nentry_point: Nowhere\nnodes:\n  Done: { type: end }\n',
    );
    // Titles are user data too: the workflow's and a node's, shown as text in the heading and the graph.
    await t.upload(
      'console_title_v1',
      waitDefinition('console_title_v1', 'conok#op')
        .replace(/^workflow_name: .*$/m, `workflow_name: '${MARKUP_TITLE}'`)
        .replace('    type: async_request', `    title: '${MARKUP_TITLE}'\n    type: async_request`),
    );
    await page.goto(server.url);
    await Promise.all([page.waitForURL(/definitions/), page.click('#nav-definitions')]);
    await page.waitForSelector('body[data-graph="drawn"]');
    const titled = page.locator('section[data-key="console_title_v1.yaml"]');
    expect(await titled.locator('h2').innerText()).toBe(`console_title_v1.yaml · ${MARKUP_TITLE}`);
    expect(await titled.locator('svg').innerHTML()).toContain('alert(2)');
    expect(await titled.locator('img').count()).toBe(0);
    const fanout = page.locator('section[data-key="fanout_a_b_c_v1.yaml"]');
    const pinned = (await t.record('fan-waiting'))?.definition.sha256 ?? 'missing';
    // Version, instances, live, last started, snapshot: fan-waiting still waits on Task_B3.
    expect(await fanout.locator('table.versions tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(new RegExp(`^${pinned} \\(current\\)\\s+1\\s+1\\s+\\S+Z\\s+in the bucket$`)),
    ]);
    expect(await fanout.locator('svg g.node').count()).toBeGreaterThanOrEqual(9);
    // Three instances of console_wait_v1: was-cancelled ended, wait-to-cancel too once its test ran.
    const records = await Promise.all(
      ['wait-xss', 'wait-to-cancel', 'was-cancelled'].map((id) => t.record(id)),
    );
    const live = records.filter((r) => r && !t.ended(r)).length;
    const waits = page.locator('section[data-key="console_wait_v1.yaml"] table.versions tbody tr');
    expect(await waits.allInnerTexts()).toEqual([
      expect.stringMatching(new RegExp(`\\(current\\)\\s+3\\s+${live}\\s`)),
    ]);
    const broken = page.locator('section[data-key="console_broken_v1.yaml"]');
    expect(await broken.locator('ul.diagnostics li').first().innerText()).toMatch(
      /^error \S+ at \d+:\d+: .*Nowhere/,
    );
    expect(await broken.locator('svg').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'definitions.png'), fullPage: true });
    expect(unexpectedDialogs).toEqual([]);
  });
});

describe('dead letters page', () => {
  it('lists a dead-lettered START with its reason, and redrives the chosen message once confirmed', async () => {
    // A START for a workflow with no definition yet is dead-lettered at once, with its reason.
    await t.start('console_late_v1', 'late-1');
    const dlq = t.stack.resources.commandQueue.dlqUrl;
    for (let i = 0; (await t.approximateMessages(dlq)) === 0; i++) {
      if (i > 100) throw new Error('the START never reached the command DLQ');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.goto(server.url);
    await Promise.all([page.waitForURL(/dead-letters/), page.click('#nav-dead-letters')]);
    const row = page.locator('#dead-letters tbody tr[data-message]');
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toMatch(
      /command\s+START_WORKFLOW\s+late-1\s+console_late_v1\s+.*unknown workflow/s,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'dead-letters.png'), fullPage: true });

    // The cause fixed (the definition uploaded), the message goes back to the command queue.
    await t.upload('console_late_v1', waitDefinition('console_late_v1', 'conok#op'));
    await row.locator('input[type=checkbox]').check();
    const confirmations = await confirming(() =>
      Promise.all([page.waitForURL(/notice=/), page.click('#redrive-chosen')]),
    );
    expect(confirmations).toEqual([expect.stringContaining('Send the chosen messages back')]);
    expect(await page.locator('#notice').getAttribute('class')).toBe('notice');
    await t.waitFor('late-1', (r) => r.status === 'SUCCEEDED');
    await page.reload();
    expect(await page.locator('#dead-letters tbody tr[data-message]').count()).toBe(0);
    expect(await t.approximateMessages(dlq)).toBe(0);
  });
});
