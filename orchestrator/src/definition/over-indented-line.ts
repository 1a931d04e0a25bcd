/**
 * The commonest YAML slip in a definition: a field indented deeper than the one above it
 * (`on_response: Done` then `      timeout: 1h`). YAML reads the deeper line as more of the value above
 * ("Done timeout: 1h") and reports a nested map where that value starts, a line too early and in words
 * about maps that do not say what to fix. Given the offset of such an error, this finds that case: the
 * value is the rest of a `key: value` line and the next line with content is indented deeper than the
 * key. Returns where that line starts and what to say, or undefined when the text is not that case.
 */
export function overIndentedLine(
  text: string,
  offset: number,
): { readonly offset: number; readonly message: string } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) return undefined;
  const own = /^( *)([A-Za-z0-9_'"-]+) *: +\S/.exec(text.slice(lineStart, lineEnd));
  if (!own || lineStart + (own[0].length - 1) !== offset) return undefined;
  const keyIndent = own[1]?.length ?? 0;
  const key = (own[2] ?? '').replace(/^['"]|['"]$/g, '');
  let next = lineEnd + 1;
  while (next < text.length) {
    const end = text.indexOf('\n', next);
    const line = text.slice(next, end === -1 ? text.length : end);
    // Blank lines between change nothing (a comment does: YAML then reports a bad indentation instead).
    if (line.trim() !== '') {
      const indent = line.length - line.trimStart().length;
      if (indent <= keyIndent || !/^[A-Za-z0-9_'"-]+ *:( |$)/.test(line.trimStart())) return undefined;
      const field = /^[A-Za-z0-9_'"-]+/.exec(line.trimStart())?.[0] ?? '';
      return {
        offset: next + indent,
        message: `'${field}' is indented deeper than '${key}' on the line above, so YAML reads it as part of the value of '${key}': indent it as '${key}' is`,
      };
    }
    if (end === -1) break;
    next = end + 1;
  }
  return undefined;
}
