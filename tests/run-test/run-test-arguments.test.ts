import { join } from 'node:path';
import { UsageError } from '../../orchestrator/src/cli/cli-io';
import { parseRunTestArguments } from '../../scripts/run-test';
import { processOutput } from '../support/process-output';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..', '..');

describe('run-test arguments', () => {
  it('takes a file, --local, --context and a --timeout in seconds', () => {
    expect(parseRunTestArguments(['a.yaml', '--local', '--timeout', '2.5', '--context', '{}'])).toEqual({
      help: false,
      file: 'a.yaml',
      local: true,
      context: '{}',
      timeoutMs: 2500,
    });
    expect(parseRunTestArguments(['a.yaml'])).toMatchObject({ timeoutMs: 120_000, local: false });
  });

  it.each([['abc'], ['0'], ['-5'], [''], ['Infinity']])(
    'refuses --timeout %j up front, as wf start does',
    (timeout) => {
      expect(() => parseRunTestArguments(['a.yaml', `--timeout=${timeout}`])).toThrow(UsageError);
      expect(() => parseRunTestArguments(['a.yaml', `--timeout=${timeout}`])).toThrow(
        /is not a positive number of seconds/,
      );
    },
  );

  it.each([[[]], [['a.yaml', 'b.yaml']], [['a.yaml', '--bogus']]])('refuses %j as a usage error', (args) => {
    expect(() => parseRunTestArguments(args)).toThrow(UsageError);
  });

  it('--help and -h ask for the help', () => {
    expect(parseRunTestArguments(['--help'])).toEqual({ help: true });
    expect(parseRunTestArguments(['-h'])).toEqual({ help: true });
  });

  it('the script prints its usage on --help (exit 0) and refuses --timeout abc with exit 2', async () => {
    const script = join('scripts', 'run-test.ts');
    const help = await processOutput(process.execPath, ['--import', 'tsx', script, '--help'], {
      cwd: repoRoot,
    });
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('usage: run-test <file.yaml>');
    const bad = await processOutput(
      process.execPath,
      ['--import', 'tsx', script, 'fanout_a_b_c_v1.yaml', '--timeout', 'abc'],
      { cwd: repoRoot },
    );
    expect(bad).toMatchObject({ code: 2, out: '' });
    expect(bad.err).toBe(
      'run-test: --timeout abc is not a positive number of seconds\n' +
        'usage: run-test <file.yaml> [--local] [--context JSON|@file] [--timeout seconds]\n',
    );
  });
});
