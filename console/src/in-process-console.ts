import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { consolePort } from './console-options';
import { startConsoleServer, type ConsoleServer } from './console-server';

/** The flags `pnpm start` and `pnpm local` take for the console they serve (node:util parseArgs options). */
export const IN_PROCESS_CONSOLE_FLAGS = {
  'console-port': { type: 'string' },
  'no-console': { type: 'boolean', default: false },
} as const;

/** What the flags ask for: no console, or one on `port`. */
export type InProcessConsoleOptions =
  { readonly enabled: false } | { readonly enabled: true; readonly port: number };

/** Reads the flags (values of IN_PROCESS_CONSOLE_FLAGS) and CCH_CONSOLE_PORT; throws on a malformed port. */
export function inProcessConsoleOptions(
  values: { readonly 'console-port'?: string | undefined; readonly 'no-console'?: boolean | undefined },
  env: NodeJS.ProcessEnv,
): InProcessConsoleOptions {
  if (values['no-console']) {
    if (values['console-port'] !== undefined) throw new Error('--console-port and --no-console: choose one');
    return { enabled: false };
  }
  return { enabled: true, port: consolePort(values['console-port'], '--console-port', env) };
}

/** The console a command started for itself, or why there is none. */
export interface InProcessConsole {
  /** Undefined when none serves (--no-console, or no port could be bound). */
  readonly url: string | undefined;
  /** One sentence for the command's output: where it serves, and what went differently than asked. */
  readonly summary: string;
  close(): Promise<void>;
}

/**
 * Starts the console beside a stack in the same process, reading `target` (the stack the command runs).
 * A console is a convenience there, never a reason for `pnpm start` or `pnpm local` to fail: a port that
 * is taken (another `pnpm local`, a second `pnpm start`) gives way to a free one, and a console that
 * cannot listen at all is reported in `summary` while the stack goes on.
 */
export async function startInProcessConsole(
  target: OperatorTarget,
  options: InProcessConsoleOptions,
): Promise<InProcessConsole> {
  if (!options.enabled) {
    return { url: undefined, summary: 'Web console: off (--no-console)', close: () => Promise.resolve() };
  }
  const served = (server: ConsoleServer, note: string): InProcessConsole => ({
    url: server.url,
    summary: `Web console: ${server.url}${note}`,
    close: () => server.close(),
  });
  let refusal: string;
  try {
    return served(await startConsoleServer(target, options.port), '');
  } catch (error) {
    refusal = bindRefusal(error);
  }
  let tried = `port ${options.port}`;
  if (options.port !== 0) {
    try {
      const server = await startConsoleServer(target, 0);
      return served(server, ` (${tried} ${refusal}, so a free one was taken)`);
    } catch (error) {
      refusal = bindRefusal(error);
      tried = 'a free port';
    }
  }
  return {
    url: undefined,
    summary: `Web console: not started (${tried} ${refusal}); the stack runs without it`,
    close: () => Promise.resolve(),
  };
}

/** Why a port could not be bound, for people. */
function bindRefusal(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'is in use';
  if (code === 'EACCES') return 'is not allowed to this user';
  return `could not be bound: ${error instanceof Error ? error.message : String(error)}`;
}
