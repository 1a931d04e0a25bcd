import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { PROTO_KEY_PROBLEM } from '../definition/workflow-schema';
import { asUnreadableFile, UnreadableFileError } from './unreadable-file';

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
 * reads (definitions, mocks) accept it already. A file that cannot be read is a usage mistake that names
 * the option: `--context @dir: dir is a directory`.
 */
export async function jsonOptionText(io: CliIo, option: string, flag = '--context'): Promise<string> {
  if (!option.startsWith('@')) return option;
  const path = option.slice(1);
  if (path === '') throw new UsageError(`${flag} @: a file name must follow the @`);
  const { text } = await readOptionFile(io, `${flag} ${option}`, path);
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/**
 * The START context of `--context` (JSON inline or `@file`): a JSON object, else a UsageError saying what
 * it is instead. A `__proto__` key is refused by name, as the orchestrator refuses it in a START (a
 * JavaScript object cannot keep it as data, so it would vanish from the context).
 */
export async function contextOption(io: CliIo, option: string): Promise<Record<string, unknown>> {
  const raw = await jsonOptionText(io, option);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`--context is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--context must be a JSON object');
  }
  if (Object.hasOwn(parsed, '__proto__')) {
    throw new UsageError(`--context: the key '__proto__' is not allowed: ${PROTO_KEY_PROBLEM}`);
  }
  return parsed as Record<string, unknown>;
}

/** readUserFile for the file of an option (`said`: `--mocks x.yaml`): a file it cannot read is a UsageError. */
export async function readOptionFile(
  io: CliIo,
  said: string,
  path: string,
): Promise<{ display: string; text: string }> {
  try {
    return await readUserFile(io, path);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new UsageError(`${said}: ${error.message}`);
    throw error;
  }
}

/**
 * Reads a file named on the command line; returns the path as the user wrote it, for messages. A directory,
 * a missing file or one without permission is an UnreadableFileError that says so.
 */
export async function readUserFile(io: CliIo, path: string): Promise<{ display: string; text: string }> {
  const absolute = isAbsolute(path) ? path : resolve(io.cwd, path);
  const display = isAbsolute(path) ? path : relative(io.cwd, absolute) || path;
  try {
    return { display, text: await readFile(absolute, 'utf8') };
  } catch (error) {
    throw asUnreadableFile(path, error);
  }
}
