/*
 * Scanning a JSON object text into entries without building its value: one pass over the text, each leaf
 * kept as the exact text the payload has for it. What the scan does not check (the inside of a leaf) is only
 * ever written back as it was read. Used for a channel value's top-level keys (value-deltas) and for the
 * versions of a checkpoint body, a few levels down (body-entries).
 */

/** Keys of the entries, each with the JSON text of its value. */
export type ScannedEntries = Map<string, string>;

/**
 * The entries of the JSON object `text`: each member, or, down to `depth` levels, each member of a non-empty
 * object member, keyed by `pathOf(path of its object, its key)` (the top level's path is `''`). An empty
 * object, and any object at `depth`, is one entry. `undefined` when `text` is not a JSON object.
 */
export function scanEntries(
  text: string,
  depth: number,
  pathOf: (prefix: string, key: string) => string,
): ScannedEntries | undefined {
  const start = skipWhitespace(text, 0);
  if (text.charCodeAt(start) !== OPEN_BRACE) return undefined;
  const entries: ScannedEntries = new Map();
  const end = scanMembers(text, start, '', depth, entries, pathOf);
  return end >= 0 && skipWhitespace(text, end) === text.length ? entries : undefined;
}

/** Adds the members of the object opening at `start`; the index after its closing brace, or -1. */
function scanMembers(
  text: string,
  start: number,
  prefix: string,
  depth: number,
  entries: ScannedEntries,
  pathOf: (prefix: string, key: string) => string,
): number {
  let i = skipWhitespace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return i + 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return -1;
    const literal = text.slice(i, keyEnd);
    let key: string;
    try {
      key = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
    } catch {
      return -1;
    }
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return -1;
    i = skipWhitespace(text, i + 1);
    const path = pathOf(prefix, key);
    let end: number;
    const nested =
      depth > 1 &&
      text.charCodeAt(i) === OPEN_BRACE &&
      text.charCodeAt(skipWhitespace(text, i + 1)) !== CLOSE_BRACE;
    if (nested) {
      end = scanMembers(text, i, path, depth - 1, entries, pathOf);
    } else {
      end = valueEnd(text, i);
      if (end >= 0) entries.set(path, text.slice(i, end));
    }
    if (end < 0) return -1;
    i = skipWhitespace(text, end);
    const next = text.charCodeAt(i);
    if (next === COMMA) i = skipWhitespace(text, i + 1);
    else if (next === CLOSE_BRACE) return i + 1;
    else return -1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i += 1;
  return i;
}

/** Index after the closing quote of the string literal opening at `start`; -1 if it never closes. */
function stringEnd(text: string, start: number): number {
  for (let from = start + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslash = quote - 1;
    while (backslash > start && text.charCodeAt(backslash) === BACKSLASH) backslash -= 1;
    if ((quote - 1 - backslash) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index after the JSON value starting at `start`; -1 if it is cut short. */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = start; i < text.length;) {
      const code = text.charCodeAt(i);
      if (code === QUOTE) {
        i = stringEnd(text, i);
        if (i < 0) return -1;
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
      i += 1;
    }
    return -1;
  }
  let i = start;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isWhitespace(code)) break;
    i += 1;
  }
  return i === start ? -1 : i;
}
