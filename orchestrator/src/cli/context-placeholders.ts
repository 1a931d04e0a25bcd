/**
 * What `wf run` without `--context` starts an instance with: each `initial_context` key holds the text
 * `sample-<key>`, so any workflow runs without ceremony. Text, so an expression that compares it with a
 * number fails; `wf run` recognises a placeholder by calling `contextPlaceholder` (the one place the format
 * is written) and says how to give a real value.
 */
export function contextPlaceholder(key: string): string {
  return `sample-${key}`;
}

export function placeholderContext(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, contextPlaceholder(key)]));
}
