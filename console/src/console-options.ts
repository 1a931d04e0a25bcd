import { parseArgs } from 'node:util';

/** What `pnpm console` was asked for. */
export interface ConsoleOptions {
  readonly local: boolean;
  readonly port: number;
  /** `--help`: print CONSOLE_HELP and start nothing. */
  readonly help: boolean;
}

export const CONSOLE_USAGE = 'usage: pnpm console [--local] [--port 8080]';

export const CONSOLE_HELP = `${CONSOLE_USAGE}

A web console on http://127.0.0.1:<port>: instances (filters, counts, paging), each instance's graph,
timeline and waits with Cancel and Redrive, definitions, dead letters. It acts with your own credentials.

  --local   the embedded stack of \`pnpm local\` (CCH_LOCAL_*_PORT), not CCH_ENV/CCH_OWNER's deployment
  --port    where it listens on 127.0.0.1 (default 8080; 0 picks a free port)

examples:
  pnpm console --local
  CCH_ENV=dev CCH_OWNER=alice pnpm console --port 9000
`;

/** Parses `pnpm console`'s arguments; throws with the usage on anything else. */
export function parseConsoleOptions(args: readonly string[]): ConsoleOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      local: { type: 'boolean', default: false },
      port: { type: 'string', default: '8080' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'\n${CONSOLE_USAGE}`);
  const port = Number(values.port);
  // 0 asks the system for a free port (tests).
  if (!/^\d+$/.test(values.port) || port > 65_535) {
    throw new Error(`--port ${values.port}: a port number from 0 to 65535\n${CONSOLE_USAGE}`);
  }
  return { local: values.local, port, help: values.help };
}
