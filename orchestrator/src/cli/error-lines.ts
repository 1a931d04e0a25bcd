/**
 * An instance's error as lines to print: `<head>CODE: message<tail>` when the message is one line; else
 * its first line there and each further line indented below it (an INVALID_DEFINITION lists one problem a
 * line). Callers make each line terminal-safe: a line break of the message stays a line break instead of
 * an escape, and nothing else in it can forge a line.
 */
export function errorLines(head: string, error: { code: string; message: string }, tail = ''): string[] {
  const [first = '', ...rest] = error.message.split('\n');
  const lines = [`${head}${error.code}: ${first}`, ...rest.map((line) => `  ${line}`)];
  lines[lines.length - 1] += tail;
  return lines;
}
