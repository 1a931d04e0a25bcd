import { join } from 'node:path';
import { processOutput } from '../support/process-output';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..', '..');
const local = (args: readonly string[]) =>
  processOutput(process.execPath, ['--import', 'tsx', join('scripts', 'local.ts'), ...args], {
    cwd: repoRoot,
  });

describe('pnpm local arguments', () => {
  it('--help prints the usage and options and starts nothing (exit 0)', async () => {
    const help = await local(['--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toMatch(/^usage: pnpm local \[--no-workers\] \[--console-port N \| --no-console\]\n/);
    expect(help.out).toContain('--no-workers');
    expect(help.out).not.toContain('export AWS_ENDPOINT_URL');
  });

  it('an unknown option or an argument is refused with the usage (exit 2), before any server starts', async () => {
    for (const args of [['--bogus'], ['extra']]) {
      const refused = await local(args);
      expect(refused).toMatchObject({ code: 2, out: '' });
      expect(refused.err).toMatch(/^local: .*\nusage: pnpm local /);
    }
  });
});
