import type { CliIo } from './cli-io';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** The same, but for the line break and the tab, which lay out what the CLI itself prints. */
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Each character `pattern` matches written as its `\uXXXX` escape. */
const escaped = (text: string, pattern: RegExp) =>
  text.replace(pattern, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Control characters (C0, DEL, C1) of text that came from outside (a reply's error, a context value, a name
 * in a YAML file, an instance id) made visible and inert before a human-readable command output prints it:
 * ESC becomes `\u001b`, BEL `\u0007`, so a value cannot clear the screen, retitle the terminal or forge
 * lines of its own. The `\uXXXX` form keeps JSON text valid JSON. `--json` output needs none of this (JSON
 * escapes C0 itself); the CLI's own line breaks are never passed through here.
 */
export function terminalSafe(text: string): string {
  return escaped(text, CONTROL);
}

/** terminalSafe for text whose line breaks are meant (a multi-line message): each line made safe. */
export function terminalSafeLines(text: string): string {
  return text.split('\n').map(terminalSafe).join('\n');
}

/**
 * The io every command writes through: whatever a command prints (tables, Mermaid, step lines, messages,
 * JSON) reaches the terminal with control characters inert, except the line breaks and tabs of the
 * layout, so a command that forgets `terminalSafe` on a value from outside still cannot drive the
 * terminal. JSON stays valid JSON (it escapes C0 itself; DEL and C1 become `\uXXXX`, the same characters).
 */
export function terminalSafeIo(io: CliIo): CliIo {
  const safe = (text: string) => escaped(text, CONTROL_BUT_LAYOUT);
  return { cwd: io.cwd, out: (text) => io.out(safe(text)), err: (text) => io.err(safe(text)) };
}
