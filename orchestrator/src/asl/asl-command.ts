import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../definition/diagnostic';
import { readUserFile, UsageError, type CliIo } from '../cli/cli-io';
import { terminalSafe } from '../cli/terminal-safe';
import { childDefinitionsIn } from './child-definitions-in';
import { compileAslSource } from './compile-asl';

export const ASL_USAGE = 'usage: wf asl <file.yaml> [--out file.json] [--definitions dir]';

/**
 * `wf asl`: the Amazon States Language of a definition, as Step Functions mode deploys it (the Lambda ARNs
 * left as `${RequestFunctionArn}` / `${StepsFunctionArn}`, filled in at deployment). The definition's
 * errors, and anything ASL cannot express, are printed as `file:line:col` diagnostics naming the node,
 * with exit 1 and no output; warnings are printed and the machine still written. The children its
 * sub_workflow and map nodes start are looked up by workflow id under `--definitions` (default: the
 * file's own folder, subfolders too), as the deployment finds them: a child not there is an error.
 */
export async function aslCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { out: { type: 'string' }, definitions: { type: 'string' } },
    allowPositionals: true,
  });
  const [path] = positionals;
  if (path === undefined || positionals.length > 1) throw new UsageError(ASL_USAGE);
  const { display, text } = await readUserFile(io, path);
  const absolute = isAbsolute(path) ? path : resolve(io.cwd, path);
  const definitions =
    values.definitions === undefined
      ? dirname(absolute)
      : isAbsolute(values.definitions)
        ? values.definitions
        : resolve(io.cwd, values.definitions);
  const { machine, diagnostics } = compileAslSource(display, text, {
    children: childDefinitionsIn(definitions),
  });
  for (const d of diagnostics) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
  if (!machine) return 1;
  const json = JSON.stringify(machine, null, 2) + '\n';
  if (values.out === undefined) {
    io.out(json);
  } else {
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    await writeFile(out, json, 'utf8');
    io.err(`wrote ${values.out}\n`);
  }
  return 0;
}
