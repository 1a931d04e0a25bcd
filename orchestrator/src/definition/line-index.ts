/** A 1-based line and column in a source text; columns count UTF-16 code units, as editors mostly do. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Turns offsets into line and column, computed from the raw text itself (not from the YAML parser, whose line
 * counting misses newlines while it recovers from a syntax error). Lines end at `\n`; a `\r` before it is part
 * of the line, as `text.split('\n')` sees it.
 */
export class LineIndex {
  /** Offset of the first character of every line. */
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** The position of `offset`, clamped into the text; the column is at most the line's length + 1. */
  position(offset: number): SourcePosition {
    const at = Number.isFinite(offset) ? Math.min(Math.max(0, Math.trunc(offset)), this.text.length) : 0;
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= at) low = mid;
      else high = mid - 1;
    }
    const start = this.starts[low] ?? 0;
    const next = this.starts[low + 1];
    const length = (next === undefined ? this.text.length : next - 1) - start;
    return { line: low + 1, column: Math.min(at - start, length) + 1 };
  }
}
