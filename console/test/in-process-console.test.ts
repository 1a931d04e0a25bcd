import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { localClientConfig } from '../../orchestrator/src/naming/local-endpoints';
import { inProcessConsoleOptions, startInProcessConsole } from '../src/in-process-console';

/**
 * Issue 12: `pnpm start` and `pnpm local` print the console's address and keep it serving while they
 * run; a port already taken gives way to a free one, and the output says so.
 */
jest.setTimeout(60_000);

const REPO_ROOT = join(__dirname, '..', '..');

/** Holds a port on 127.0.0.1, as another `pnpm local` would. */
function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    );
  });
}

/** A user's shell: no stage, port or console settings, none of a parent pnpm's `npm_*` variables. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^p?npm_|^CCH_|^AWS_/i.test(key)),
  );
  return { ...env, CCH_LOCAL_QUIET: '1', ...extra };
}

/**
 * Runs a script of scripts/ with tsx. `line(pattern)` resolves with the first line of its stdout or stderr
 * that matches, and rejects with everything it printed if it exits first.
 */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const listener of listeners) listener(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return resolve(seen);
      listeners.add((l) => {
        if (pattern.test(l)) resolve(l);
      });
      void exited.then((code) => reject(new Error(`${script} exited ${code}:\n${lines.join('\n')}`)));
    });
  return { child, lines, exited, line };
}

const CONSOLE_LINE = /Web console: (http:\/\/127\.0\.0\.1:(\d+))(.*)$/;

let taken: { server: Server; port: number };
const children: ChildProcess[] = [];

beforeAll(async () => {
  taken = await occupyPort();
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => taken.server.close(resolve));
});

describe('the console options of pnpm start and pnpm local', () => {
  it('take --console-port over CCH_CONSOLE_PORT over 8080, and --no-console', () => {
    expect(inProcessConsoleOptions({}, {})).toEqual({ enabled: true, port: 8080 });
    expect(inProcessConsoleOptions({}, { CCH_CONSOLE_PORT: '9001' })).toEqual({ enabled: true, port: 9001 });
    expect(inProcessConsoleOptions({ 'console-port': '0' }, { CCH_CONSOLE_PORT: '9001' })).toEqual({
      enabled: true,
      port: 0,
    });
    expect(inProcessConsoleOptions({ 'no-console': true }, {})).toEqual({ enabled: false });
  });

  it('refuse a port that is not one, naming where it came from, and both flags at once', () => {
    expect(() => inProcessConsoleOptions({ 'console-port': 'x' }, {})).toThrow(
      '--console-port x: a port number from 0 to 65535',
    );
    expect(() => inProcessConsoleOptions({}, { CCH_CONSOLE_PORT: '70000' })).toThrow(
      'CCH_CONSOLE_PORT=70000: a port number from 0 to 65535',
    );
    expect(() => inProcessConsoleOptions({ 'console-port': '1', 'no-console': true }, {})).toThrow(
      /choose one/,
    );
  });
});

describe('startInProcessConsole', () => {
  it('serves on a free port when the one asked for is taken, and says so', async () => {
    const target = { stage: { env: 'local', owner: 'dev' }, clients: localClientConfig() };
    const started = await startInProcessConsole(target, { enabled: true, port: taken.port });
    try {
      const port = Number(new URL(started.url ?? 'http://x').port);
      expect(port).not.toBe(taken.port);
      expect(started.summary).toBe(
        `Web console: ${started.url} (port ${taken.port} is in use, so a free one was taken)`,
      );
      // Its own assets need no stack: the server answers.
      expect((await fetch(`${started.url}/assets/mermaid.min.js`)).status).toBe(200);
    } finally {
      await started.close();
    }
  });

  it('starts nothing with --no-console', async () => {
    const none = await startInProcessConsole({} as never, { enabled: false });
    expect(none).toMatchObject({ url: undefined, summary: 'Web console: off (--no-console)' });
  });
});

describe('pnpm local and pnpm start', () => {
  it('pnpm local prints the console address (its port taken: a free one) and serves its stack until stopped', async () => {
    const local = runScript(
      'local.ts',
      [],
      shellEnv({
        CCH_LOCAL_DYNAMODB_PORT: '0',
        CCH_LOCAL_SQS_PORT: '0',
        CCH_LOCAL_S3_PORT: '0',
        CCH_CONSOLE_PORT: String(taken.port),
      }),
    );
    const line = await local.line(CONSOLE_LINE);
    await local.line(/Ctrl-C stops\.$/);
    const url = CONSOLE_LINE.exec(line)?.[1] as string;
    expect(line).toBe(`# Web console: ${url} (port ${taken.port} is in use, so a free one was taken)`);
    // It reads the stack this command runs: the instances page names its table.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('cch-local-dev-workflow-state-table');
    local.child.kill('SIGTERM');
    expect(await local.exited).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('pnpm start prints the console address, serves while the workflows run, and still ends with exit 0', async () => {
    const start = runScript('start.ts', ['--console-port', '0'], shellEnv());
    const url = CONSOLE_LINE.exec(await start.line(CONSOLE_LINE))?.[1] as string;
    // Asked at once: the sample workflows run for seconds after this line.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('cch-local-dev-workflow-state-table');
    expect(await start.exited).toBe(0);
    expect(start.lines).toContain(
      '  (it serves while the workflows run and stops with them; `pnpm local` keeps one up)',
    );
    expect(start.lines.at(-1)).toMatch(/^All workflows SUCCEEDED in [\d.]+ s$/);
  });
});
