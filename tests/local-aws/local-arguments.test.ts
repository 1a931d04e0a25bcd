import { join } from 'node:path';
import { processOutput } from '../support/process-output';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..', '..');
const local = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  processOutput(process.execPath, ['--import', 'tsx', join('scripts', 'local.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
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

  it('a CCH_MOCK_SCENARIOS it cannot use is refused with why (exit 2), before any server starts', async () => {
    const missing = await local([], { CCH_MOCK_SCENARIOS: 'no-such-mocks.yaml' });
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toMatch(/^local: CCH_MOCK_SCENARIOS: cannot read no-such-mocks\.yaml: /);
    const malformed = await local([], { CCH_MOCK_SCENARIOS: '{"pay#x": {"status": "MAYBE"}}' });
    expect(malformed).toMatchObject({ code: 2, out: '' });
    expect(malformed.err).toMatch(
      /^local: CCH_MOCK_SCENARIOS \(inline\): invalid mocks file:\ninline:1:22: pay#x\.status: must be SUCCESS or FAILURE\n/,
    );
  });
});
