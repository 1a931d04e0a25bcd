import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './provision-local';

/** The local log stream run-test follows, beside the repository's other local state. */
export const DEFAULT_LOG_FILE = join(REPO_ROOT, '.local-aws', 'orchestrator.log');

/** The local log stream: JSON lines appended to one file, which run-test and the tests follow. */
export interface LogSink {
  readonly file: string;
  /** Appends one line (a trailing newline is added when missing). */
  write(line: string): void;
}

/**
 * A log sink on `file`. Each line is one synchronous append (O_APPEND), so several processes can share
 * the file, and a process killed with SIGKILL leaves only whole lines behind: nothing is buffered.
 * With `echo`, every line is printed on stdout too (`pnpm local`).
 */
export function fileLogSink(file: string, echo = false): LogSink {
  mkdirSync(dirname(file), { recursive: true });
  return {
    file,
    write(line) {
      const text = line.endsWith('\n') ? line : line + '\n';
      appendFileSync(file, text);
      if (echo) process.stdout.write(text);
    },
  };
}
