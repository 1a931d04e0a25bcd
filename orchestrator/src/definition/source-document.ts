import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { DEFINITION_LIMITS } from './limits';

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * A YAML definition parsed with source positions, so every later check can point at the text it is about.
 * `value` is undefined when the text could not be turned into data at all.
 */
export class SourceDocument {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document.Parsed | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`, never throwing: every problem becomes a diagnostic. */
  static parse(file: string, text: string): { source: SourceDocument; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    const empty = new SourceDocument(file, undefined, undefined, lines);
    const at = (line: number, column: number, code: string, message: string): Diagnostic => ({
      severity: 'error',
      code,
      message,
      file,
      line,
      column,
      path: '',
    });

    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > DEFINITION_LIMITS.maxBytes) {
      const msg = `the definition is ${bytes} bytes; the limit is ${DEFINITION_LIMITS.maxBytes} bytes (1 MiB)`;
      return { source: empty, diagnostics: [at(1, 1, 'too-large', msg)] };
    }
    const tooDeep = findExcessiveNesting(text);
    if (tooDeep) {
      const msg = `nesting is deeper than ${DEFINITION_LIMITS.maxDepth} levels`;
      return { source: empty, diagnostics: [at(tooDeep.line, tooDeep.column, 'too-deep', msg)] };
    }

    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      version: '1.2',
    });
    const diagnostics: Diagnostic[] = [];
    for (const error of [...doc.errors, ...doc.warnings]) {
      const pos = lines.linePos(error.pos[0]);
      const severity = error.name === 'YAMLParseError' ? 'error' : 'warning';
      if (error.code === 'DUPLICATE_KEY') {
        const key = /^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0]?.trim() || 'key';
        diagnostics.push({
          ...at(
            pos.line,
            pos.col,
            'duplicate-key',
            `duplicate key ${key}: each key may appear only once in a map`,
          ),
          severity,
        });
      } else {
        const firstLine = error.message.split('\n')[0] ?? error.message;
        const plain = firstLine.replace(/ at line \d+, column \d+:?$/, '');
        diagnostics.push({ ...at(pos.line, pos.col, 'yaml-syntax', `YAML syntax: ${plain}`), severity });
      }
    }
    // A duplicate key still leaves a readable document (the last value wins), so checking goes on and
    // reports the file's other problems too.
    if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY'))
      return { source: new SourceDocument(file, undefined, doc, lines), diagnostics };

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: DEFINITION_LIMITS.maxAliasCount });
    } catch (error) {
      const message =
        error instanceof ReferenceError && /alias count/i.test(error.message)
          ? `too many alias expansions (over ${DEFINITION_LIMITS.maxAliasCount}); aliases must not multiply the document`
          : `the document could not be read: ${error instanceof Error ? error.message : String(error)}`;
      diagnostics.push(at(1, 1, 'alias-limit', message));
      return { source: new SourceDocument(file, undefined, doc, lines), diagnostics };
    }
    return { source: new SourceDocument(file, value, doc, lines), diagnostics };
  }

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[]): SourcePosition {
    return this.position(this.nodeAt(path));
  }

  /** Position of the key `key` in the map at `path` (where a key itself is what is wrong). */
  locateKey(path: readonly PathSegment[], key: string): SourcePosition {
    const map = this.nodeAt(path);
    if (isMap(map)) {
      const pair = map.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === key);
      if (pair && isScalar(pair.key)) return this.position(pair.key);
    }
    return this.position(map);
  }

  /** Position of `offset` characters into the scalar at `path` (for errors inside an expression). */
  locateInScalar(path: readonly PathSegment[], offset: number): SourcePosition {
    const node = this.nodeAt(path);
    const start = this.position(node);
    if (
      !isScalar(node) ||
      (node.type !== 'PLAIN' && node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE')
    ) {
      return start;
    }
    const quote = node.type === 'PLAIN' ? 0 : 1;
    return { line: start.line, column: start.column + quote + Math.max(0, offset) };
  }

  describe(path: readonly PathSegment[]): string {
    return formatPath(path);
  }

  private nodeAt(path: readonly PathSegment[]): Node | undefined {
    if (!this.doc) return undefined;
    let node: unknown = this.doc.contents;
    let found = node as Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        node = pair?.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        break;
      }
      if (!node || typeof node !== 'object' || !('range' in node)) break;
      found = node as Node;
    }
    return found;
  }

  private position(node: Node | undefined): SourcePosition {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

/**
 * Finds nesting deeper than the limit without parsing, since the YAML parser recurses once per level and
 * a crafted file could otherwise make it spend seconds recovering from stack overflows. Flow collections
 * are counted by brackets outside quotes and comments; block collections by indentation steps.
 */
function findExcessiveNesting(text: string): SourcePosition | undefined {
  const limit = DEFINITION_LIMITS.maxDepth;
  let flowDepth = 0;
  let line = 1;
  let column = 0;
  let quote: string | undefined;
  let inComment = false;
  let lineStart = true;
  let indent = 0;
  const indentStack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    column++;
    if (ch === '\n') {
      line++;
      column = 0;
      inComment = false;
      lineStart = true;
      indent = 0;
      if (quote === "'" || quote === '"') continue;
      continue;
    }
    if (lineStart) {
      if (ch === ' ' || ch === '-') {
        indent++;
        continue;
      }
      lineStart = false;
      if (ch !== '#' && flowDepth === 0 && quote === undefined) {
        while (indentStack.length > 0 && (indentStack[indentStack.length - 1] ?? 0) >= indent)
          indentStack.pop();
        indentStack.push(indent);
        if (indentStack.length > limit) return { line, column };
      }
    }
    if (inComment) continue;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const prev = text[i - 1];
      if (prev === undefined || /[\s[{,:]/.test(prev)) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      inComment = true;
    } else if (ch === '[' || ch === '{') {
      flowDepth++;
      if (flowDepth + indentStack.length > limit) return { line, column };
    } else if ((ch === ']' || ch === '}') && flowDepth > 0) {
      flowDepth--;
    }
  }
  return undefined;
}
