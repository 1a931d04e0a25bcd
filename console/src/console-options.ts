import { parseArgs } from 'node:util';

/** What `pnpm console` was asked for. */
export interface ConsoleOptions {
  readonly local: boolean;
  readonly port: number;
  /** `--help`: print CONSOLE_HELP and start nothing. */
  readonly help: boolean;
}

/** Where the console listens unless told otherwise (`pnpm console`, and inside `pnpm start`/`pnpm local`). */
export const DEFAULT_CONSOLE_PORT = 8080;

/** The setting that moves the default port (a flag given wins over it). */
export const CONSOLE_PORT_SETTING = 'CCH_CONSOLE_PORT';

export const CONSOLE_USAGE = 'usage: pnpm console [--local] [--port 8080]';

export const CONSOLE_HELP = `${CONSOLE_USAGE}

A web console on http://127.0.0.1:<port>: instances (filters, counts, paging), each instance's graph,
timeline and waits with Cancel and Redrive, definitions, dead letters. It acts with your own credentials.

  --local   the embedded stack of \`pnpm local\` (CCH_LOCAL_*_PORT), not CCH_ENV/CCH_OWNER's deployment
  --port    where it listens on 127.0.0.1 (default ${CONSOLE_PORT_SETTING}, else ${DEFAULT_CONSOLE_PORT}; 0 picks a free port)

\`pnpm start\` and \`pnpm local\` serve one themselves (--console-port, --no-console).

examples:
  pnpm console --local
  CCH_ENV=dev CCH_OWNER=alice pnpm console --port 9000
`;

/** Parses `pnpm console`'s arguments; throws with the usage on anything else. */
export function parseConsoleOptions(args: readonly string[], env: NodeJS.ProcessEnv = {}): ConsoleOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      local: { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'\n${CONSOLE_USAGE}`);
  let port: number;
  try {
    port = consolePort(values.port, '--port', env);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${CONSOLE_USAGE}`);
  }
  return { local: values.local, port, help: values.help };
}

/**
 * The port asked for: `flag`'s value when given, else CCH_CONSOLE_PORT when set and not empty, else
 * DEFAULT_CONSOLE_PORT. A value that is not a port is refused, naming where it came from (a typo must not
 * quietly serve somewhere else). 0 asks the system for a free port.
 */
export function consolePort(value: string | undefined, flag: string, env: NodeJS.ProcessEnv): number {
  const fromEnv = env[CONSOLE_PORT_SETTING];
  const [text, source] =
    value !== undefined
      ? [value, `${flag} ${value}`]
      : fromEnv !== undefined && fromEnv.trim() !== ''
        ? [fromEnv.trim(), `${CONSOLE_PORT_SETTING}=${fromEnv}`]
        : [String(DEFAULT_CONSOLE_PORT), 'default'];
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new Error(`${source}: a port number from 0 to 65535`);
  }
  return port;
}
