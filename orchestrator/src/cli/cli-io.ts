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

/**
 * The text of an option that takes JSON inline or as `@file` (`--context`). A leading UTF-8 byte order mark
 * of the file is dropped: editors on Windows write one, JSON.parse refuses it, and the YAML files the CLI
 * reads (definitions, mocks) accept it already.
 */
export async function jsonOptionText(io: CliIo, option: string): Promise<string> {
  if (!option.startsWith('@')) return option;
  const { text } = await readUserFile(io, option.slice(1));
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** Reads a file named on the command line; returns the path as the user wrote it, for messages. */
export async function readUserFile(io: CliIo, path: string): Promise<{ display: string; text: string }> {
  const absolute = isAbsolute(path) ? path : resolve(io.cwd, path);
  const text = await readFile(absolute, 'utf8');
  const display = isAbsolute(path) ? path : relative(io.cwd, absolute) || path;
  return { display, text };
}
