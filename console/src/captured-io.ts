import type { CliIo } from '../../orchestrator/src/cli/cli-io';

/** A CliIo that keeps what a `wf` command printed, so the console can show it as a notice. */
export function capturedIo(): CliIo & { readonly stdout: () => string; readonly stderr: () => string } {
  let out = '';
  let err = '';
  return {
    cwd: process.cwd(),
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
