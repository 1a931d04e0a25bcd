import {
  Composer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  Parser,
  type CST,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { DEFINITION_LIMITS } from './limits';
import { LineIndex, type SourcePosition } from './line-index';
import { scalarSourceOffset } from './scalar-offsets';
import { overIndentedLine } from './over-indented-line';
import { plainYamlMessage } from './yaml-messages';

export type { SourcePosition } from './line-index';

/** The keys of one map, each to its last pair: the one whose value the definition keeps. */
type KeyIndex = Map<string, Pair>;

/**
 * A YAML definition parsed with source positions, so every later check can point at the text it is about.
 * `value` is undefined when the text could not be turned into data at all, and null when the file holds no
 * data (empty, only comments, or `null`).
 */
export class SourceDocument {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly text: string,
    private readonly lines: LineIndex,
    private readonly doc: Document.Parsed | undefined,
    private readonly keyIndexes: WeakMap<YAMLMap, KeyIndex>,
  ) {}

  /** Parses `text`, never throwing: every problem becomes a diagnostic. */
  static parse(file: string, text: string): { source: SourceDocument; diagnostics: Diagnostic[] } {
    // The YAML library makes an Error object for every problem it meets, and a hostile file can hold a million;
    // without stack traces (useless here) they cost a tenth as much. Synchronous, so restored before anyone else
    // runs.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return SourceDocument.read(file, text);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

  private static read(file: string, text: string): { source: SourceDocument; diagnostics: Diagnostic[] } {
    const lines = new LineIndex(text);
    const keyIndexes = new WeakMap<YAMLMap, KeyIndex>();
    const unread = (doc?: Document.Parsed): SourceDocument =>
      new SourceDocument(file, undefined, text, lines, doc, keyIndexes);
    const at = (offset: number, code: string, message: string, path = ''): Diagnostic => {
      const pos = lines.position(offset);
      return { severity: 'error', code, message, file, line: pos.line, column: pos.column, path };
    };

    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > DEFINITION_LIMITS.maxBytes) {
      const msg = `the definition is ${bytes} bytes; the limit is ${DEFINITION_LIMITS.maxBytes} bytes (1 MiB)`;
      return { source: unread(), diagnostics: [at(0, 'too-large', msg)] };
    }

    const cst = readTokens(text);
    if (cst.tooDeepAt !== undefined) {
      const msg = `nesting is deeper than ${DEFINITION_LIMITS.maxDepth} levels`;
      return { source: unread(), diagnostics: [at(cst.tooDeepAt, 'too-deep', msg)] };
    }

    const composer = new Composer({ version: '1.2', uniqueKeys: false, logLevel: 'error' });
    const [doc] = composer.compose(cst.tokens, true, text.length);
    if (!doc) return { source: unread(), diagnostics: [at(0, 'yaml-syntax', 'the file could not be read')] };

    const diagnostics: Diagnostic[] = [];
    // A line indented too deep shows as errors where the value above it starts: said once, at that line.
    const overIndented = new Set<number>();
    for (const error of [...firstFew(doc.errors), ...firstFew(doc.warnings)]) {
      if (overIndented.has(error.pos[0])) continue;
      const deeper =
        error.code === 'BLOCK_AS_IMPLICIT_KEY' ? overIndentedLine(text, error.pos[0]) : undefined;
      if (deeper) {
        overIndented.add(error.pos[0]);
        diagnostics.push(at(deeper.offset, 'yaml-syntax', `YAML syntax: ${deeper.message}`));
        continue;
      }
      diagnostics.push({
        ...at(error.pos[0], 'yaml-syntax', `YAML syntax: ${plainYamlMessage(error.message)}`),
        severity: error.name === 'YAMLParseError' ? 'error' : 'warning',
      });
    }
    if (cst.secondDocumentAt !== undefined) {
      diagnostics.push(at(cst.secondDocumentAt, 'yaml-syntax', 'a definition file holds one YAML document'));
    }
    if (diagnostics.some((d) => d.severity === 'error')) return { source: unread(doc), diagnostics };

    // A duplicate key still leaves a readable document (the last value wins), so checking goes on and
    // reports the file's other problems too.
    const structure = walkDocument(doc, keyIndexes);
    for (const dup of structure.duplicates) {
      const key = quoteShort(dup.key);
      diagnostics.push(
        at(
          dup.offset,
          'duplicate-key',
          `duplicate key ${key}: each key may appear only once in a map`,
          formatPath(dup.path),
        ),
      );
    }
    for (const alias of structure.unknownAliases) {
      diagnostics.push(at(alias.offset, 'unknown-alias', `unknown alias *${alias.name}`));
    }
    if (structure.aliasOverflowAt !== undefined) {
      diagnostics.push(at(structure.aliasOverflowAt, 'alias-limit', tooManyAliases()));
    }
    if (structure.unknownAliases.length > 0 || structure.aliasOverflowAt !== undefined) {
      return { source: unread(doc), diagnostics };
    }

    let value: unknown;
    try {
      // The walk above enforces the limit, and says where; the library's own (differently counted) check only
      // backs it up, with room to spare.
      value = doc.toJS({ maxAliasCount: 2 * DEFINITION_LIMITS.maxAliasCount });
    } catch (error) {
      const aliases = error instanceof ReferenceError && /alias count/i.test(error.message);
      const reason = error instanceof Error ? error.message : String(error);
      diagnostics.push(
        aliases
          ? at(0, 'alias-limit', tooManyAliases())
          : at(0, 'yaml-syntax', `the document could not be read: ${reason}`),
      );
      return { source: unread(doc), diagnostics };
    }
    return {
      source: new SourceDocument(file, value ?? null, text, lines, doc, keyIndexes),
      diagnostics,
    };
  }

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[]): SourcePosition {
    return this.position(this.nodeAt(path).node);
  }

  /** Position of the key `key` in the map at `path` (where a key itself is what is wrong). */
  locateKey(path: readonly PathSegment[], key: string): SourcePosition {
    const { node, exact } = this.nodeAt(path);
    if (exact && isMap(node)) {
      const pair = this.keyIndex(node).get(key);
      if (pair && isNodeWithRange(pair.key)) return this.position(pair.key);
    }
    return this.position(node);
  }

  /**
   * The text of the key `key` in the map at `path` as written, when YAML reads it as null (`null`, `~`,
   * `Null`, `NULL`): the value then has the key '' there, which says nothing about what the file holds.
   * Undefined for any other key (an empty or quoted one included), or when there is no such key.
   */
  nullKeyText(path: readonly PathSegment[], key: string): string | undefined {
    const { node, exact } = this.nodeAt(path);
    if (!exact || !isMap(node)) return undefined;
    const written = this.keyIndex(node).get(key)?.key;
    if (!isScalar(written) || written.value !== null || !written.range) return undefined;
    const text = this.text.slice(written.range[0], written.range[1]);
    return text === '' ? undefined : text;
  }

  /**
   * Position of what names the value at `path`: its key when it is a map entry (a node's name for a node),
   * else the value itself. Used where something is missing from the value, so there is no text to point at.
   */
  locateEntry(path: readonly PathSegment[]): SourcePosition {
    const last = path[path.length - 1];
    if (typeof last === 'string') {
      const { node, exact } = this.nodeAt(path.slice(0, -1));
      if (exact && isMap(node) && this.keyIndex(node).has(last))
        return this.locateKey(path.slice(0, -1), last);
    }
    return this.locate(path);
  }

  /** Position of character `index` of the string value at `path` (for errors inside an expression). */
  locateInScalar(path: readonly PathSegment[], value: string, index: number): SourcePosition {
    const { node, exact } = this.nodeAt(path);
    if (!exact || !isScalar(node) || !node.range) return this.position(node);
    return this.lines.position(scalarSourceOffset(this.text, node, value, index));
  }

  describe(path: readonly PathSegment[]): string {
    return formatPath(path);
  }

  /** The node at `path`, or its nearest existing ancestor (then `exact` is false). */
  private nodeAt(path: readonly PathSegment[]): { node: Node | undefined; exact: boolean } {
    if (!this.doc) return { node: undefined, exact: false };
    let found: Node | undefined = isNodeWithRange(this.doc.contents) ? this.doc.contents : undefined;
    for (const segment of path) {
      let next: unknown;
      if (isMap(found)) next = this.keyIndex(found).get(String(segment))?.value;
      else if (isSeq(found) && typeof segment === 'number') next = found.items[segment];
      if (!isNodeWithRange(next)) return { node: found, exact: false };
      found = next;
    }
    return { node: found, exact: found !== undefined };
  }

  private keyIndex(map: YAMLMap): KeyIndex {
    let index = this.keyIndexes.get(map);
    if (!index) {
      // Maps are indexed while the document is walked; this covers any the walk did not reach.
      index = indexKeys(map, new Map()).index;
      this.keyIndexes.set(map, index);
    }
    return index;
  }

  private position(node: Node | undefined): SourcePosition {
    return this.lines.position(node?.range?.[0] ?? 0);
  }
}

/** The first problems in source order, as many as a report can show (plus one, to say there are more). */
function firstFew<T extends { pos: [number, number] }>(problems: readonly T[]): T[] {
  const sorted =
    problems.length > DEFINITION_LIMITS.maxErrors
      ? [...problems].sort((a, b) => a.pos[0] - b.pos[0])
      : problems;
  return sorted.slice(0, DEFINITION_LIMITS.maxErrors + 1);
}

function tooManyAliases(): string {
  return `too many alias expansions (over ${DEFINITION_LIMITS.maxAliasCount}); aliases must not multiply the document`;
}

function isNodeWithRange(value: unknown): value is Node {
  return (isScalar(value) || isMap(value) || isSeq(value) || isAlias(value)) && Array.isArray(value.range);
}

/** A key for messages: quoted, and cut short when long. */
function quoteShort(key: string): string {
  return `'${key.length > 60 ? `${key.slice(0, 57)}…` : key}'`;
}

// ---------------------------------------------------------------------------------------------------------
// Reading the token stream, with the nesting limit
// ---------------------------------------------------------------------------------------------------------

interface TokenStream {
  readonly tokens: CST.Token[];
  /** Offset of the collection that opens the first level past the limit, if any. */
  readonly tooDeepAt?: number;
  /** Offset of a second document, if any (the tokens stop before it). */
  readonly secondDocumentAt?: number;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * Lexes and parses `text` into CST tokens, one lexical token at a time, watching the parser's stack of open
 * collections: nesting past the limit stops reading at the collection that opens the first level too many,
 * before the recursive composer ever sees it. Lexer and parser are iterative, so this is linear in the text.
 */
function readTokens(text: string): TokenStream {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  let documents = 0;
  let errors = 0;
  const take = (token: CST.Token): number | undefined => {
    if (token.type === 'document' && ++documents > 1) return token.offset;
    if (token.type === 'error') errors++;
    tokens.push(token);
    return undefined;
  };
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) {
      const second = take(token);
      if (second !== undefined) return { tokens, secondDocumentAt: second };
    }
    // Each of these tokens is an error; past the most a report shows, the rest of the text cannot matter.
    if (errors > DEFINITION_LIMITS.maxErrors) return { tokens };
    let depth = 0;
    for (const open of parser.stack) {
      if (COLLECTIONS.has(open.type) && ++depth > DEFINITION_LIMITS.maxDepth) {
        return { tokens, tooDeepAt: open.offset };
      }
    }
  }
  for (const token of parser.end()) {
    const second = take(token);
    if (second !== undefined) return { tokens, secondDocumentAt: second };
  }
  return { tokens };
}

// ---------------------------------------------------------------------------------------------------------
// One pass over the composed document: key indexes, duplicate keys, aliases
// ---------------------------------------------------------------------------------------------------------

interface DocumentStructure {
  readonly duplicates: { key: string; offset: number; path: PathSegment[] }[];
  readonly unknownAliases: { name: string; offset: number }[];
  /** Offset of the first alias past the limit on aliases, if any. */
  readonly aliasOverflowAt?: number;
}

/** The string a key becomes in the definition's value (as `toJS` makes it), or undefined for a collection. */
function keyString(key: unknown, anchors: ReadonlyMap<string, unknown>): string | undefined {
  let node = key;
  if (isAlias(node)) node = anchors.get(node.source);
  if (key === null || key === undefined) return '';
  if (!isScalar(node)) return undefined;
  const value: unknown = node.value;
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

/** The keys of `map`, each to its last pair, and the pairs whose key was already seen. */
function indexKeys(
  map: YAMLMap,
  anchors: ReadonlyMap<string, unknown>,
): { index: KeyIndex; repeated: Map<Pair, string> } {
  const index: KeyIndex = new Map();
  const repeated = new Map<Pair, string>();
  for (const pair of map.items) {
    const key = keyString(pair.key, anchors);
    if (key === undefined) continue;
    if (index.has(key)) repeated.set(pair, key);
    index.set(key, pair);
  }
  return { index, repeated };
}

/**
 * Walks every node in document order with an explicit stack (never recursion): indexes the keys of every
 * map (the last occurrence of a key wins, as in the value), finds repeated keys, aliases to anchors not
 * defined before them, and the alias past which the document would expand beyond the limit.
 *
 * Expansions are counted as if each alias were a copy of its anchor's value: one for the alias, plus the
 * expansions of the aliases inside that value. A "billion laughs" file multiplies them level by level, so the
 * count passes the limit at the first alias of the level that does it.
 */
function walkDocument(doc: Document.Parsed, keyIndexes: WeakMap<YAMLMap, KeyIndex>): DocumentStructure {
  const duplicates: DocumentStructure['duplicates'] = [];
  const unknownAliases: DocumentStructure['unknownAliases'] = [];
  let aliasOverflowAt: number | undefined;
  let expansions = 0;
  const anchors = new Map<string, unknown>();
  /** For every anchored node whose walk is finished, the expansions of the aliases inside it. */
  const inside = new Map<unknown, number>();
  type Step = { node: unknown; path: PathSegment[] } | { leave: unknown; from: number };
  const stack: Step[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const step = stack.pop() as Step;
    if ('leave' in step) {
      inside.set(step.leave, expansions - step.from);
      continue;
    }
    const { node, path } = step;
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      const target = anchors.get(node.source);
      if (target === undefined) {
        if (unknownAliases.length <= DEFINITION_LIMITS.maxErrors)
          unknownAliases.push({ name: node.source, offset });
        continue;
      }
      // An alias inside its own anchor refers back to it: nothing is copied.
      expansions += 1 + (inside.get(target) ?? 0);
      if (expansions > DEFINITION_LIMITS.maxAliasCount && aliasOverflowAt === undefined)
        aliasOverflowAt = offset;
      continue;
    }
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) {
      anchors.set(node.anchor, node);
      stack.push({ leave: node, from: expansions });
    }
    const children: { node: unknown; path: PathSegment[] }[] = [];
    if (isMap(node)) {
      const { index, repeated } = indexKeys(node, anchors);
      keyIndexes.set(node, index);
      for (const pair of node.items) {
        const key = keyString(pair.key, anchors);
        // Found in source order; past the most a report shows, more cannot matter.
        if (repeated.has(pair) && key !== undefined && duplicates.length <= DEFINITION_LIMITS.maxErrors) {
          const offset = isNodeWithRange(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
          duplicates.push({ key, offset, path: [...path, key] });
        }
        children.push({ node: pair.key, path });
        children.push({ node: pair.value, path: key === undefined ? path : [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) =>
        children.push({ node: isPair(item) ? item.value : item, path: [...path, i] }),
      );
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as (typeof children)[number]);
  }
  return { duplicates, unknownAliases, aliasOverflowAt };
}
