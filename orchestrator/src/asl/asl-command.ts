import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../definition/diagnostic';
import { readUserFile, UsageError, type CliIo } from '../cli/cli-io';
import { compileAslSource } from './compile-asl';

export const ASL_USAGE = 'usage: wf asl <file.yaml> [--out file.json]';

/**
 * `wf asl`: the Amazon States Language of a definition, as Step Functions mode deploys it (the Lambda ARNs
 * left as `${RequestFunctionArn}` / `${StepsFunctionArn}`, filled in at deployment). The definition's
 * errors, and anything ASL cannot express, are printed as `file:line:col` diagnostics naming the node,
 * with exit 1 and no output; warnings are printed and the machine still written.
 */
export async function aslCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { out: { type: 'string' } },
    allowPositionals: true,
  });
  const [path] = positionals;
  if (path === undefined || positionals.length > 1) throw new UsageError(ASL_USAGE);
  const { display, text } = await readUserFile(io, path);
  const { machine, diagnostics } = compileAslSource(display, text);
  for (const d of diagnostics) io.err(formatDiagnostic(d) + '\n');
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
