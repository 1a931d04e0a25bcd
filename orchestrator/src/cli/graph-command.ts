import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../definition/diagnostic';
import { toMermaid } from '../definition/mermaid-graph';
import { validateDefinition } from '../definition/validate-definition';
import { readUserFile, UsageError, type CliIo } from './cli-io';
import { terminalSafe } from './terminal-safe';

export const GRAPH_USAGE = 'usage: wf graph <file>';

/** `wf graph`: the Mermaid flowchart of a valid definition; the errors of an invalid one. */
export async function graphCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args: [...args], allowPositionals: true });
  const [path] = positionals;
  if (path === undefined || positionals.length > 1) throw new UsageError(GRAPH_USAGE);
  const { display, text } = await readUserFile(io, path);
  const { definition, diagnostics } = validateDefinition(display, text);
  if (!definition) {
    for (const d of diagnostics) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
    return 1;
  }
  io.out(toMermaid(definition));
  return 0;
}
