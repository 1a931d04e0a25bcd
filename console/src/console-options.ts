import { parseArgs } from 'node:util';

/** What `pnpm console` was asked for. */
export interface ConsoleOptions {
  readonly local: boolean;
  readonly port: number;
}

export const CONSOLE_USAGE = 'usage: pnpm console [--local] [--port 8080]';

/** Parses `pnpm console`'s arguments; throws with the usage on anything else. */
export function parseConsoleOptions(args: readonly string[]): ConsoleOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      local: { type: 'boolean', default: false },
      port: { type: 'string', default: '8080' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'\n${CONSOLE_USAGE}`);
  const port = Number(values.port);
  // 0 asks the system for a free port (tests).
  if (!/^\d+$/.test(values.port) || port > 65_535) {
    throw new Error(`--port ${values.port}: a port number from 0 to 65535\n${CONSOLE_USAGE}`);
  }
  return { local: values.local, port };
}
