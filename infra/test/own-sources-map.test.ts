import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';
import { buildLambdaBundle, lambdaBuildOptions } from '../src/bundling/lambda-bundle';
import { ownSourcesOnly, type SourceMapV3 } from '../src/bundling/own-sources-map';
import { repoRoot } from '../src/paths';

/*
 * The Lambdas' source maps keep the project's own sources only: Node parses a map whole the first time a
 * stack is read, on every cold start. A frame in the project's code must still map exactly as before, and
 * one in a dependency must map to nothing rather than to the project's code beside it.
 */

interface Entry {
  readonly originalSource?: string;
  readonly originalLine?: number;
  readonly originalColumn?: number;
}
const parsed = new WeakMap<SourceMapV3, SourceMap>();
/** Node's own lookup (`--enable-source-maps` uses the same), on a map parsed once. */
function lookup(map: SourceMapV3, line: number, column: number): Entry {
  let sourceMap = parsed.get(map);
  if (!sourceMap) {
    sourceMap = new SourceMap(map as never);
    parsed.set(map, sourceMap);
  }
  return sourceMap.findEntry(line, column);
}

describe('ownSourcesOnly', () => {
  // Line 0: own a.ts at column 0, a dependency at 10, own b.ts at 20; line 1 starts in the dependency.
  const full: SourceMapV3 = {
    version: 3,
    sources: ['src/a.ts', '../node_modules/dep/index.js', 'src/b.ts'],
    names: ['depName', 'ownName'],
    mappings: encode([
      [
        [0, 0, 4, 2],
        [10, 1, 100, 0, 0],
        [15, 1, 101, 0],
        [20, 2, 7, 0, 1],
      ],
      [[0, 1, 200, 0]],
      [[0, 0, 9, 0]],
    ]),
  };
  const own = ownSourcesOnly(full);

  it('drops the dependencies, their names, and keeps the project’s sources and names re-indexed', () => {
    expect(own.sources).toEqual(['src/a.ts', 'src/b.ts']);
    expect(own.names).toEqual(['ownName']);
    expect(decode(own.mappings)).toEqual([[[0, 0, 4, 2], [10], [20, 1, 7, 0, 0]], [[0]], [[0, 0, 9, 0]]]);
  });

  it('maps the project’s positions as before, and a dependency’s to nothing, on its line and the next', () => {
    expect(lookup(own, 0, 5)).toMatchObject({
      originalSource: 'src/a.ts',
      originalLine: 4,
      originalColumn: 2,
    });
    expect(lookup(own, 0, 12).originalSource).toBeUndefined();
    expect(lookup(own, 0, 17).originalSource).toBeUndefined();
    expect(lookup(own, 0, 30)).toMatchObject({ originalSource: 'src/b.ts', originalLine: 7 });
    // Without its own marker, line 1 would find line 0's last segment (b.ts): Node's lookup crosses lines.
    expect(lookup(own, 1, 3).originalSource).toBeUndefined();
    expect(lookup(own, 2, 1)).toMatchObject({ originalSource: 'src/a.ts', originalLine: 9 });
  });
});

describe('a Lambda bundle’s map, as built', () => {
  const ENTRY = `
import { parse } from 'yaml';
export function handler(text: string) {
  const value = parse(text) as { fail?: boolean };
  if (value.fail) throw new Error('failed on purpose');
  return value;
}
`;
  const stdin = {
    contents: ENTRY,
    resolveDir: join(repoRoot, 'orchestrator'),
    loader: 'ts' as const,
    sourcefile: 'own-entry.ts',
  };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'own-sources-map-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps every segment of the project’s code as the full map does, and none of the dependency’s', async () => {
    const fullFile = join(dir, 'full', 'index.js');
    await build(lambdaBuildOptions({ stdin }, fullFile));
    const fullMap = JSON.parse(readFileSync(`${fullFile}.map`, 'utf8')) as SourceMapV3;
    expect(fullMap.sources.some((s) => s.includes('node_modules/'))).toBe(true);
    const own = ownSourcesOnly(fullMap);
    let ownSegments = 0;
    let dependencySegments = 0;
    decode(fullMap.mappings).forEach((segments, line) => {
      for (const segment of segments) {
        const column = segment[0];
        const before = lookup(fullMap, line, column);
        const after = lookup(own, line, column);
        if (before.originalSource?.includes('node_modules/')) {
          dependencySegments += 1;
          expect(after.originalSource).toBeUndefined();
        } else if (before.originalSource !== undefined) {
          ownSegments += 1;
          expect(after).toMatchObject({
            originalSource: before.originalSource,
            originalLine: before.originalLine,
            originalColumn: before.originalColumn,
          });
        }
      }
    });
    expect(ownSegments).toBeGreaterThan(5);
    expect(dependencySegments).toBeGreaterThan(ownSegments);
  });

  it('still points a stack frame of the project’s code at its TypeScript line under --enable-source-maps', async () => {
    const file = join(dir, 'built', 'index.js');
    await buildLambdaBundle({ stdin }, file);
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapV3;
    expect(map.sources.filter((s) => s.includes('node_modules/'))).toEqual([]);
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '-e', `require(${JSON.stringify(file)}).handler('fail: true')`],
      { encoding: 'utf8' },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('failed on purpose');
    // ENTRY's throw is on its 5th line (the template starts with a newline).
    expect(run.stderr).toMatch(/own-entry\.ts:5:\d+/);
  });
});
