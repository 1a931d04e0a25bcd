import { Argument, Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io';
import { COMMAND_SPECS, type CommandSpec } from './command-specs';

/** Runs one command with the arguments after its name; returns its exit code. */
export type Invoke = (name: string, args: readonly string[]) => Promise<number>;

/** Exit code of a usage mistake (unknown command or option, missing argument), as with most Unix tools. */
export const USAGE_EXIT_CODE = 2;

const HELP_FLAGS = new Set(['--help', '-h']);

/**
 * The `wf` command line: commander checks the command name and the arguments and options each command
 * declares (COMMAND_SPECS), prints `--help` with examples, and says what is wrong with a mistake (with a
 * suggestion for a near miss and the command's usage); only arguments that pass reach `invoke`, which runs
 * the command on them exactly as given (each command still parses them itself).
 *
 * `wf`, `wf --help` and `wf help` list the commands; `wf help <command>` is `wf <command> --help`. A command
 * with no spec gets its arguments unchecked, and a command whose spec says `ownHelp` gets `--help` itself.
 */
export async function runCommandLine(
  argv: readonly string[],
  io: CliIo,
  commands: Readonly<Record<string, { readonly usage: string }>>,
  invoke: Invoke,
  specs: Readonly<Record<string, CommandSpec>> = COMMAND_SPECS,
): Promise<number> {
  let [name, ...args] = argv;
  if (name === 'help' && args.length > 0 && args[0] !== undefined && Object.hasOwn(commands, args[0])) {
    [name, ...args] = [args[0], '--help'];
  }
  // Listing the commands for `wf` alone is a hint, not success: it exits 2, as before.
  if (name === undefined || name === 'help' || HELP_FLAGS.has(name)) {
    io.out(overview(commands, specs));
    return name === undefined ? USAGE_EXIT_CODE : 0;
  }
  const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
  if (Object.hasOwn(commands, name) && (!spec || (spec.ownHelp && args.some((a) => HELP_FLAGS.has(a))))) {
    return invoke(name, args);
  }

  let chosen: string | undefined;
  const wf = program(commands, specs, io, (command) => {
    chosen = command;
  });
  try {
    await wf.parseAsync([name, ...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : USAGE_EXIT_CODE;
  }
  return chosen === undefined ? USAGE_EXIT_CODE : invoke(chosen, args);
}

/** The commander program for `commands`; `choose` is told which command the arguments selected. */
function program(
  commands: Readonly<Record<string, { readonly usage: string }>>,
  specs: Readonly<Record<string, CommandSpec>>,
  io: CliIo,
  choose: (command: string) => void,
): Command {
  const wf = new Command('wf')
    .description('The workflow engine command.')
    .usage('<command> [arguments] [options]')
    .helpCommand(false)
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(wf --help lists the commands)')
    // Section titles in lower case (commander writes `Usage:`, `Options:`), as every usage line of ours and
    // the commands with help of their own write them (`usage: wf list ...`, `examples:`). Inherited by the
    // commands below.
    .configureHelp({ styleTitle: (title) => title.toLowerCase() })
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
  for (const [name, { usage }] of Object.entries(commands)) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    const command = wf
      .command(name)
      .usage(usageAfterName(usage, name))
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
      .action(() => choose(name));
    if (!spec) {
      // Unchecked: the command parses (and explains) its own arguments.
      command
        .description(`its own help: wf ${name} --help`)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .argument('[arguments...]');
      continue;
    }
    command
      .description(spec.summary)
      .showSuggestionAfterError(true)
      .showHelpAfterError(`${usage}\n(wf ${name} --help shows the options and examples)`);
    spec.arguments.forEach((syntax, i) => {
      const argument = new Argument(syntax);
      if (i === 0 && spec.choices) argument.choices([...spec.choices]);
      command.addArgument(argument);
    });
    for (const option of spec.options) command.option(option.flags, option.description);
    if (spec.examples.length > 0) {
      command.addHelpText('after', ['', 'examples:', ...spec.examples.map((e) => `  ${e}`)].join('\n'));
    }
  }
  return wf;
}

/** `wf --help`: each command's usage line and summary, then where to find more. */
function overview(
  commands: Readonly<Record<string, { readonly usage: string }>>,
  specs: Readonly<Record<string, CommandSpec>>,
): string {
  const lines = ['wf: the workflow engine command', ''];
  for (const [name, { usage }] of Object.entries(commands)) {
    lines.push(`  ${usage.split('\n')[0] as string}`);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec) lines.push(`      ${spec.summary}`);
  }
  lines.push('', "Run 'wf <command> --help' for a command's options and examples.", '');
  return lines.join('\n');
}

/** `usage: wf status <instance_id> [--json]` -> `<instance_id> [--json]`, for commander's `usage: wf status ...`. */
function usageAfterName(usage: string, name: string): string {
  const prefix = new RegExp(`^usage:\\s*wf\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*`);
  return usage.replace(prefix, '');
}
