import { Scalar } from 'yaml';

/**
 * The source offset of character `index` of a scalar's value, for errors found inside the value (a JSONata
 * expression that does not compile, a key it reads). Accounts for the opening quote, escapes (`\"`, `\x41`,
 * `''`...), the folding of line breaks in flow scalars, and the indentation and folding of block scalars
 * (`|`, `>`). `value` is the scalar's string value; when the source does not read back to it, the answer
 * falls back to the scalar's start (a block scalar's first line of content).
 */
export function scalarSourceOffset(text: string, scalar: Scalar, value: string, index: number): number {
  const [start, end] = scalar.range ?? [0, 0];
  if (scalar.type === Scalar.BLOCK_LITERAL || scalar.type === Scalar.BLOCK_FOLDED) {
    const offsets = blockScalarOffsets(text, start, end, value);
    if (!offsets) return firstContentOffset(text, start, end);
    return offsets[Math.min(Math.max(0, index), value.length)] ?? start;
  }
  const quoted = scalar.type === Scalar.QUOTE_DOUBLE || scalar.type === Scalar.QUOTE_SINGLE;
  const offsets = flowScalarOffsets(text, start, end, scalar.type);
  if (!offsets || offsets.length !== value.length + 1) return start + (quoted ? 1 : 0);
  return offsets[Math.min(Math.max(0, index), value.length)] ?? start;
}

/**
 * For each character of a flow scalar's value, the offset of the source text it comes from, plus one entry for
 * the end. Undefined when the text between `start` and `end` is not one flow scalar of the given type.
 */
function flowScalarOffsets(
  text: string,
  start: number,
  end: number,
  type: Scalar['type'],
): number[] | undefined {
  const double = type === Scalar.QUOTE_DOUBLE;
  const single = type === Scalar.QUOTE_SINGLE;
  let i = start;
  let stop = end;
  if (double || single) {
    const quote = double ? '"' : "'";
    if (text[start] !== quote) return undefined;
    i = start + 1;
    // The range may or may not include trailing space after the closing quote.
    stop = text.lastIndexOf(quote, end - 1);
    if (stop <= start) return undefined;
  }
  const out: number[] = [];
  // Spaces and tabs are held back: before a line break they are dropped (folding), otherwise they are content.
  let blanks: number[] = [];
  const flush = (): void => {
    out.push(...blanks);
    blanks = [];
  };
  while (i < stop) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t') {
      blanks.push(i);
      i++;
    } else if (ch === '\n' || ch === '\r') {
      blanks = [];
      let breaks = 0;
      while (i < stop && (text[i] === '\n' || text[i] === '\r' || text[i] === ' ' || text[i] === '\t')) {
        if (text[i] === '\n') breaks++;
        else if (text[i] === '\r' && text[i + 1] !== '\n') breaks++;
        i++;
      }
      // One line break folds to a space; n > 1 line breaks keep n - 1 newlines.
      const produced = breaks <= 1 ? 1 : breaks - 1;
      for (let k = 0; k < produced; k++) out.push(i);
    } else if (double && ch === '\\') {
      flush();
      const next = text[i + 1];
      if (next === '\n' || next === '\r') {
        // An escaped line break joins the lines without a space.
        i += next === '\r' && text[i + 2] === '\n' ? 3 : 2;
        while (i < stop && (text[i] === ' ' || text[i] === '\t')) i++;
        continue;
      }
      const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hex > 0) {
        const code = Number.parseInt(text.slice(i + 2, i + 2 + hex), 16);
        const units = Number.isFinite(code) && code > 0xffff && code <= 0x10ffff ? 2 : 1;
        for (let k = 0; k < units; k++) out.push(i);
        i += 2 + hex;
      } else {
        out.push(i);
        i += 2;
      }
    } else if (single && ch === "'" && text[i + 1] === "'") {
      flush();
      out.push(i);
      i += 2;
    } else {
      flush();
      out.push(i);
      i++;
    }
  }
  if (double || single) flush();
  out.push(stop);
  return out;
}

/**
 * For each character of a block scalar's value, the offset of the source text it comes from, plus one entry
 * for the end. A block scalar has no escapes, and its indentation, folding and chomping change only blanks
 * and line breaks: the value's other characters are the content's, in order. A blank or line break of the
 * value is placed where the source is at that point. Undefined when the content does not read back so.
 */
function blockScalarOffsets(text: string, start: number, end: number, value: string): number[] | undefined {
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd === -1 || headerEnd >= end) return undefined;
  const blank = (ch: string | undefined) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
  const out: number[] = [];
  let i = headerEnd + 1;
  for (let k = 0; k < value.length; k++) {
    const ch = value[k];
    if (blank(ch)) {
      out.push(Math.min(i, end));
      continue;
    }
    while (i < end && text[i] !== ch) {
      if (!blank(text[i])) return undefined;
      i++;
    }
    if (i >= end) return undefined;
    out.push(i);
    i++;
  }
  out.push(Math.min(i, end));
  return out;
}

/** Offset of the first non-blank character of a block scalar's content, or `start` if it has none. */
function firstContentOffset(text: string, start: number, end: number): number {
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd === -1) return start;
  for (let i = headerEnd + 1; i < Math.max(end, headerEnd + 1) && i < text.length; i++) {
    const ch = text[i];
    if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') return i;
  }
  return start;
}
