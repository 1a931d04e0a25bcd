import { parseArgs } from 'node:util';
import type { Diagnostic } from '../definition/diagnostic';
import { formatDiagnostic, sortDiagnostics } from '../definition/diagnostic';
import { validateDefinition } from '../definition/validate-definition';
import { readUserFile, UsageError, type CliIo } from './cli-io';
import { fileNameWarning } from './file-name-warning';
import { terminalSafe } from './terminal-safe';
import { UnreadableFileError } from './unreadable-file';

export const VALIDATE_USAGE = 'usage: wf validate <files...> [--json]';

/** `wf validate`: compiler-style diagnostics for every file; exit 1 when any file has an error. */
export async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError(VALIDATE_USAGE);

  const files: { file: string; valid: boolean; diagnostics: readonly Diagnostic[] }[] = [];
  for (const path of positionals) {
    let diagnostics: readonly Diagnostic[];
    let display = path;
    try {
      const read = await readUserFile(io, path);
      display = read.display;
      const result = validateDefinition(display, read.text);
      const misnamed =
        result.definition && fileNameWarning(display, read.text, result.definition.workflow_id);
      diagnostics = misnamed ? sortDiagnostics([...result.diagnostics, misnamed]) : result.diagnostics;
    } catch (error) {
      const reason = !(error instanceof UnreadableFileError)
        ? String(error)
        : error.code === 'EISDIR'
          ? `it is a directory (to check the definitions in it: wf validate ${globIn(path)})`
          : error.code === 'ENOENT'
            ? 'no such file'
            : error.message;
      diagnostics = [
        {
          severity: 'error',
          code: 'unreadable',
          message: `cannot read the file: ${reason}`,
          file: path,
          line: 1,
          column: 1,
          path: '',
        },
      ];
    }
    files.push({ file: display, valid: !diagnostics.some((d) => d.severity === 'error'), diagnostics });
  }

  const all = files.flatMap((f) => f.diagnostics);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  if (values.json) {
    io.out(JSON.stringify({ valid: errors === 0, errors, warnings, files }, null, 2) + '\n');
  } else {
    for (const d of all) io.out(terminalSafe(formatDiagnostic(d)) + '\n');
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    io.err(
      `${plural(files.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}

/** `dir/` or `dir` -> `dir/*.yaml`: what a user who named a directory most likely meant. */
function globIn(directory: string): string {
  const base = directory.replace(/[/\\]+$/, '');
  return `${base === '' && !directory.startsWith('/') ? '.' : base}/*.yaml`;
}
