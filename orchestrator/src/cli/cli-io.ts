import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** Output streams and working directory of a command, injected so commands are testable in-process. */
export interface CliIo {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

export function processIo(): CliIo {
  // `wf ... | head`: a reader that stops reading is no error of the command's. Exit quietly, as Unix tools
  // do on SIGPIPE, instead of a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return {
    // pnpm runs workspace scripts from the root; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

/**
 * A CliIo that keeps what a command prints: for in-process command tests, and for the console, which runs
 * `wf` commands and shows what they said.
 */
export function recordingIo(cwd: string): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    cwd,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reads a file named on the command line; returns the path as the user wrote it, for messages. */
export async function readUserFile(io: CliIo, path: string): Promise<{ display: string; text: string }> {
  const absolute = isAbsolute(path) ? path : resolve(io.cwd, path);
  const text = await readFile(absolute, 'utf8');
  const display = isAbsolute(path) ? path : relative(io.cwd, absolute) || path;
  return { display, text };
}
