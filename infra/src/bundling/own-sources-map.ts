import { readFileSync, writeFileSync } from 'node:fs';
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';

/** The fields of a source map v3 this module reads and writes (esbuild writes no others). */
export interface SourceMapV3 {
  readonly version: 3;
  readonly sources: readonly string[];
  readonly names: readonly string[];
  readonly mappings: string;
  readonly sourcesContent?: readonly (string | null)[];
  readonly sourceRoot?: string;
  readonly file?: string;
}

/** A source of the bundle that is a dependency, not the project's own code. */
export const isDependency = (source: string): boolean => /(^|\/)node_modules\//.test(source);

/**
 * The map restricted to the project's own sources. With `--enable-source-maps` Node parses the whole map
 * the first time anything reads an `Error.stack` (on Lambda, the first invocation does: Node's web streams
 * read one when LangGraph's stream releases its reader), and parsing the dependencies' mappings (nine tenths
 * of the orchestrator's map) is most of that cost.
 *
 * Invariant: a generated position in dependency code maps to nothing, never to a neighbouring segment of
 * the project's code on the same minified line: each run of dropped segments becomes one segment without a
 * source, which ends the previous segment's range (Node's lookup crosses lines, so the range of a line's
 * last segment is ended too when the next line starts in dependency code). Such frames print as positions
 * in the bundle.
 */
export function ownSourcesOnly(map: SourceMapV3): SourceMapV3 {
  const sourceIndex = new Map<number, number>();
  const sources: string[] = [];
  const sourcesContent: (string | null)[] = [];
  map.sources.forEach((source, i) => {
    if (isDependency(source)) return;
    sourceIndex.set(i, sources.length);
    sources.push(source);
    sourcesContent.push(map.sourcesContent?.[i] ?? null);
  });
  const nameIndex = new Map<number, number>();
  const names: string[] = [];
  const keptName = (i: number) => {
    let kept = nameIndex.get(i);
    if (kept === undefined) {
      kept = names.length;
      nameIndex.set(i, kept);
      names.push(map.names[i] ?? '');
    }
    return kept;
  };
  // Carried across lines: a lookup before a line's first segment finds the previous line's last one.
  let mapped = false;
  const lines = decode(map.mappings).map((line) => {
    const kept: SourceMapSegment[] = [];
    for (const segment of line) {
      const source = segment.length > 1 ? sourceIndex.get(segment[1] as number) : undefined;
      if (segment.length === 1 || source === undefined) {
        // Unmapped from here on, once, so a lookup past it finds no source.
        if (mapped) kept.push([segment[0]]);
        mapped = false;
        continue;
      }
      const [column, , line0, column0, name] = segment as [number, number, number, number, number?];
      kept.push(
        name === undefined
          ? [column, source, line0, column0]
          : [column, source, line0, column0, keptName(name)],
      );
      mapped = true;
    }
    return kept;
  });
  return {
    ...map,
    sources,
    names,
    mappings: encode(lines),
    ...(map.sourcesContent ? { sourcesContent } : {}),
  };
}

/** Rewrites the map file beside a bundle to its own sources only (see `ownSourcesOnly`). */
export function keepOwnSourcesInMapFile(mapFile: string): void {
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapV3;
  writeFileSync(mapFile, JSON.stringify(ownSourcesOnly(map)));
}
