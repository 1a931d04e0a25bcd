import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { processOutput, type ProcessOutput } from './support/process-output';

jest.setTimeout(120_000);
const repoRoot = join(__dirname, '..');

/** The pnpm the repository pins (`packageManager`), run the way the README says: through npx. */
function pinnedPnpm(): string {
  const { packageManager } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    packageManager: string;
  };
  return packageManager;
}

/**
 * The environment of a user's shell: without the `npm_*`/`pnpm_*` variables a parent pnpm or npm (as
 * `pnpm test` is) exports to its scripts, which npx would otherwise read back as config and warn about.
 */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^p?npm_/i.test(key)));
}

function run(command: string, args: string[]): Promise<ProcessOutput> {
  return processOutput(command, args, { cwd: repoRoot, env: shellEnv() });
}

describe('pnpm configuration', () => {
  it('keeps pnpm-only settings out of .npmrc, which npm reads too', () => {
    // npm warns "Unknown project config" on every npm/npx command for a key it does not know.
    const npmrc = join(repoRoot, '.npmrc');
    if (existsSync(npmrc)) expect(readFileSync(npmrc, 'utf8')).not.toMatch(/^\s*reporter\s*=/m);
    const workspace = parse(readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(workspace.reporter).toBe('silent');
  });

  it('`pnpm wf run --json` prints one JSON object and nothing else, with no npm warning', async () => {
    const result = await run('npx', [
      '-y',
      pinnedPnpm(),
      'wf',
      'run',
      'workflow-definitions/fanout_a_b_c_v1.yaml',
      '--memory',
      '--json',
    ]);
    expect(result.err).not.toMatch(/npm warn/i);
    expect(result.code).toBe(0);
    // No "> cch-workflow-engine@0.1.0 wf" banner before it: the whole of stdout parses.
    const record = JSON.parse(result.out) as { status: string; workflow_id: string };
    expect(record).toMatchObject({ status: 'SUCCEEDED', workflow_id: 'fanout_a_b_c_v1' });
  });

  it('`pnpm start` names the endpoints it took (free ports, new each run) and runs every example to SUCCEEDED', async () => {
    const result = await run('npx', ['-y', pinnedPnpm(), 'start']);
    expect(result.err).not.toMatch(/npm warn/i);
    expect(result.code).toBe(0);
    const endpoints =
      /DynamoDB (http:\/\/127\.0\.0\.1:(\d+)), SQS (http:\/\/127\.0\.0\.1:(\d+)), S3 (http:\/\/127\.0\.0\.1:(\d+))/.exec(
        result.out,
      );
    expect(endpoints).not.toBeNull();
    const ports = [endpoints?.[2], endpoints?.[4], endpoints?.[6]].map(Number);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port).toBeGreaterThan(0);
    expect(result.out).toMatch(/All workflows SUCCEEDED/);
  });

  it('`wf run ... | head -1`: a reader that stops reading ends the command quietly, exit 0, no stack trace', async () => {
    const result = await new Promise<{ code: number | null; first: string; err: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
            'scripts/wf.ts',
            'run',
            'workflow-definitions/language-v2/order_fulfilment_v2.yaml',
            '--memory',
            '--context',
            '@sample-data/contexts/order-fulfilment-v2.json',
          ],
          { cwd: repoRoot, env: shellEnv() },
        );
        let first = '';
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
        // As `head -1` does: read the first line, then close the pipe while the command still writes.
        child.stdout.once('data', (chunk: Buffer) => {
          first = chunk.toString('utf8').split('\n')[0] ?? '';
          child.stdout.destroy();
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, first, err }));
      },
    );
    expect(result.first).toContain('workflow starting');
    expect(result.err).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(result.code).toBe(0);
  });
});
