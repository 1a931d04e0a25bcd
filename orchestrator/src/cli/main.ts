import { aslCommand, ASL_USAGE } from '../asl/asl-command';
import { cancelCommand, CANCEL_USAGE } from './cancel-command';
import { UsageError, type CliIo } from './cli-io';
import { runCommandLine } from './command-line';
import { describeCommand, DESCRIBE_USAGE } from './describe-command';
import { dlqCommand, DLQ_USAGE } from './dlq-command';
import { graphCommand, GRAPH_USAGE } from './graph-command';
import { listCommand, LIST_USAGE } from './list-command';
import { redriveCommand, REDRIVE_USAGE } from './redrive-command';
import { runCommand, RUN_USAGE } from './run-command';
import { startCommand, START_USAGE, type StartServices } from './start-command';
import { statusCommand, STATUS_USAGE } from './status-command';
import type { EmbeddedRunner } from './embedded-runner';
import { validateCommand, VALIDATE_USAGE } from './validate-command';
import { terminalSafeIo, terminalSafeLines } from './terminal-safe';
import { connectionRefusedHint } from './connection-refused-hint';

type Command = (args: readonly string[], io: CliIo, services: CliServices) => Promise<number>;

/** What the commands can use beyond the engine; the embedded stack lives in scripts/ and is injected. */
export interface CliServices {
  readonly embedded?: EmbeddedRunner;
  /** `wf start` on the embedded stack: request queues for new capability domains. */
  readonly start?: StartServices;
  /** `wf run --memory`: deliveries before it stops (default `MEMORY_RUN_MAX_DELIVERIES`). */
  readonly memoryRunMaxDeliveries?: number;
}

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  validate: { run: validateCommand, usage: VALIDATE_USAGE },
  graph: { run: graphCommand, usage: GRAPH_USAGE },
  asl: { run: aslCommand, usage: ASL_USAGE },
  run: {
    run: (args, io, services) => runCommand(args, io, services.embedded, services.memoryRunMaxDeliveries),
    usage: RUN_USAGE,
  },
  status: { run: (args, io) => statusCommand(args, io), usage: STATUS_USAGE },
  start: { run: (args, io, services) => startCommand(args, io, services.start), usage: START_USAGE },
  cancel: { run: (args, io) => cancelCommand(args, io), usage: CANCEL_USAGE },
  redrive: { run: (args, io) => redriveCommand(args, io), usage: REDRIVE_USAGE },
  list: { run: (args, io) => listCommand(args, io), usage: LIST_USAGE },
  describe: { run: (args, io) => describeCommand(args, io), usage: DESCRIBE_USAGE },
  dlq: { run: (args, io) => dlqCommand(args, io), usage: DLQ_USAGE },
};

/**
 * Runs `wf <command> ...`; returns the exit code. Usage mistakes exit 2, as with most Unix tools. The
 * command line parser (command-line.ts) checks the command and its declared arguments and options and
 * answers `--help`; a command runs only on arguments that passed.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  services: CliServices = {},
): Promise<number> {
  const safe = terminalSafeIo(io);
  return runCommandLine(argv, safe, COMMANDS, (name, args) => runOne(name, args, safe, services));
}

/** One command on its arguments; its usage mistakes exit 2, its other errors 1. */
async function runOne(
  name: string,
  args: readonly string[],
  io: CliIo,
  services: CliServices,
): Promise<number> {
  const command = COMMANDS[name] as (typeof COMMANDS)[string];
  try {
    return await command.run(args, io, services);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`wf ${name}: ${terminalSafeLines((error as Error).message)}\n${command.usage}\n`);
      return 2;
    }
    // An error's message may quote what a file, a reply or a server said: shown inert.
    io.err(`wf ${name}: ${terminalSafeLines(error instanceof Error ? error.message : String(error))}\n`);
    const hint = connectionRefusedHint(error);
    if (hint) io.err(`${hint}\n`);
    return 1;
  }
}
