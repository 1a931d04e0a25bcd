import { ASL_USAGE } from '../asl/asl-command';
import { recordingIo } from './cli-test-io';
import { runCommandLine } from './command-line';
import { COMMAND_SPECS, type CommandSpec } from './command-specs';
import { CANCEL_USAGE } from './cancel-command';
import { DESCRIBE_USAGE } from './describe-command';
import { DLQ_USAGE } from './dlq-command';
import { GRAPH_USAGE } from './graph-command';
import { LIST_USAGE } from './list-command';
import { runCli } from './main';
import { REDRIVE_USAGE } from './redrive-command';
import { RUN_USAGE } from './run-command';
import { START_USAGE } from './start-command';
import { STATUS_USAGE } from './status-command';
import { VALIDATE_USAGE } from './validate-command';

const USAGES: Record<string, string> = {
  validate: VALIDATE_USAGE,
  graph: GRAPH_USAGE,
  asl: ASL_USAGE,
  run: RUN_USAGE,
  status: STATUS_USAGE,
  start: START_USAGE,
  cancel: CANCEL_USAGE,
  redrive: REDRIVE_USAGE,
  list: LIST_USAGE,
  describe: DESCRIBE_USAGE,
  dlq: DLQ_USAGE,
};

const SPECS: Record<string, CommandSpec> = {
  status: {
    summary: "Prints an instance's status record.",
    arguments: ['<instance_id>'],
    options: [
      { flags: '--json', description: 'as JSON' },
      { flags: '--local', description: 'the local stack' },
    ],
    examples: ['wf status by-hand-1 --local'],
  },
  dlq: {
    summary: 'Dead letters.',
    arguments: ['<action>'],
    choices: ['list', 'redrive'],
    options: [{ flags: '--queue <name>', description: 'one queue' }],
    examples: ['wf dlq list'],
    ownHelp: true,
  },
};
const COMMANDS = {
  status: { usage: 'usage: wf status <instance_id> [--json] [--local]' },
  dlq: { usage: 'usage: wf dlq list|redrive [--queue Q]' },
  // Added by someone else, with no spec yet: passed through unchecked.
  start: { usage: 'usage: wf start <file.yaml|workflow_id> [--wait]' },
};

/** Runs the command line over stub commands that record what they were given. */
async function wf(...argv: string[]) {
  const io = recordingIo('/');
  const calls: { name: string; args: readonly string[] }[] = [];
  const code = await runCommandLine(
    argv,
    io,
    COMMANDS,
    (name, args) => {
      calls.push({ name, args });
      return Promise.resolve(0);
    },
    SPECS,
  );
  return { code, calls, out: io.stdout(), err: io.stderr() };
}

describe('the wf command line', () => {
  it('hands a well-formed command its arguments exactly as given', async () => {
    const result = await wf('status', 'by-hand-1', '--local', '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.calls).toEqual([{ name: 'status', args: ['by-hand-1', '--local', '--json'] }]);
  });

  it('refuses an unknown option with a suggestion and the usage, exit 2, running nothing', async () => {
    const result = await wf('status', 'by-hand-1', '--jsn');
    expect(result.code).toBe(2);
    expect(result.calls).toEqual([]);
    expect(result.err).toContain("error: unknown option '--jsn'");
    expect(result.err).toContain('(Did you mean --json?)');
    expect(result.err).toContain('usage: wf status <instance_id> [--json] [--local]');
    expect(result.err).toContain('wf status --help');
  });

  it('refuses a missing argument, too many arguments and a value outside the choices', async () => {
    const missing = await wf('status');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing required argument 'instance_id'");
    const extra = await wf('status', 'a', 'b');
    expect(extra.code).toBe(2);
    expect(extra.err).toContain('too many arguments');
    const choice = await wf('dlq', 'peek');
    expect(choice.code).toBe(2);
    expect(choice.err).toContain("'peek' is invalid");
    expect(choice.err).toContain('list, redrive');
    const value = await wf('dlq', 'list', '--queue');
    expect(value.code).toBe(2);
    expect(value.err).toContain("option '--queue <name>' argument missing");
    expect([...missing.calls, ...extra.calls, ...choice.calls, ...value.calls]).toEqual([]);
  });

  it('suggests the command meant by a near miss', async () => {
    const result = await wf('stauts', 'x');
    expect(result.code).toBe(2);
    expect(result.err).toContain("unknown command 'stauts'");
    expect(result.err).toContain('(Did you mean status?)');
  });

  it('prints per-command help with its usage line, options and examples, exit 0', async () => {
    for (const argv of [
      ['status', '--help'],
      ['status', '-h'],
      ['help', 'status'],
    ]) {
      const result = await wf(...argv);
      expect(result.code).toBe(0);
      expect(result.calls).toEqual([]);
      expect(result.out).toContain('usage: wf status <instance_id> [--json] [--local]');
      expect(result.out).not.toMatch(/^[A-Z][a-z]+:/m);
      expect(result.out).toContain("Prints an instance's status record.");
      expect(result.out).toMatch(/--local\s+the local stack/);
      expect(result.out).toContain('options:\n');
      expect(result.out).toContain('examples:\n  wf status by-hand-1 --local');
    }
  });

  it('lets a command with help of its own print it', async () => {
    const result = await wf('dlq', '--help');
    expect(result.calls).toEqual([{ name: 'dlq', args: ['--help'] }]);
  });

  it('passes a command it has no spec for through unchecked', async () => {
    const result = await wf('start', 'x.yaml', '--whatever', '--wait');
    expect(result.calls).toEqual([{ name: 'start', args: ['x.yaml', '--whatever', '--wait'] }]);
  });

  it('lists every command for wf --help (exit 0) and for wf alone (exit 2)', async () => {
    for (const [argv, code] of [
      [['--help'], 0],
      [['help'], 0],
      [[], 2],
    ] as const) {
      const result = await wf(...argv);
      expect(result.code).toBe(code);
      for (const [name, { usage }] of Object.entries(COMMANDS)) {
        expect(result.out).toContain(`\n  ${usage}\n`);
        if (SPECS[name]) expect(result.out).toContain(SPECS[name].summary);
      }
      expect(result.out).toContain("Run 'wf <command> --help'");
    }
  });
});

describe('COMMAND_SPECS', () => {
  const flagsIn = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));

  it.each(Object.keys(USAGES))(
    "declares exactly the options the usage line of '%s' shows, with examples",
    (name) => {
      const spec = COMMAND_SPECS[name];
      expect(spec).toBeDefined();
      const declared = new Set(spec?.options.map((o) => /--[a-z][a-z-]*/.exec(o.flags)?.[0]));
      expect([...declared].sort()).toEqual([...flagsIn(USAGES[name] as string)].sort());
      expect(spec?.examples.length).toBeGreaterThan(0);
      for (const example of spec?.examples ?? []) expect(example).toMatch(new RegExp(`\\bwf ${name}\\b`));
    },
  );

  it('has a spec for every command, and no other', () => {
    expect(Object.keys(COMMAND_SPECS).sort()).toEqual(Object.keys(USAGES).sort());
  });
});

describe('wf (runCli) on its real commands', () => {
  const run = async (...argv: string[]) => {
    const io = recordingIo(__dirname);
    const code = await runCli(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  };

  it('every command wf --help lists has --help with examples, exit 0, titles in lower case', async () => {
    const overview = await run('--help');
    const names = [...overview.out.matchAll(/^ {2}usage: wf (\S+)/gm)].map((m) => m[1] as string);
    expect(names.sort()).toEqual(Object.keys(USAGES).sort());
    for (const name of names) {
      const help = await run(name, '--help');
      expect({ name, code: help.code }).toEqual({ name, code: 0 });
      // Commander's help and the commands' own write their titles alike: `usage: wf run ...`, `examples:`.
      expect({ name, starts: help.out.startsWith(`usage: wf ${name} `) }).toEqual({ name, starts: true });
      expect(help.out).toContain('\nexamples:\n');
      expect({ name, titles: help.out.match(/^[A-Z][a-z]+:/gm) }).toEqual({ name, titles: null });
    }
  });

  it('refuses a mistyped option of a real command before it runs, with a suggestion', async () => {
    const result = await run('validate', 'workflow-definitions/fanout_a_b_c_v1.yaml', '--jsn');
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain("unknown option '--jsn'");
    expect(result.err).toContain('(Did you mean --json?)');
    expect(result.err).toContain(VALIDATE_USAGE);
  });
});
