/**
 * The invalid-definition corpus: every file in tests/fixtures/invalid states, in its header comment lines, the
 * exact diagnostics the validator must report for it (`# expect: line:col severity path: message`).
 *
 * Hostile inputs too large to check in (over 500 nodes, over 1 MiB, deep nesting, alias bombs, tens of
 * thousands of keys or errors) are generated here. They assert their exact message and position; the bound on
 * their running time is the jest timeout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../../orchestrator/src/definition/diagnostic';
import { formatDiagnostic } from '../../orchestrator/src/definition/diagnostic';
import { DEFINITION_LIMITS } from '../../orchestrator/src/definition/limits';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';

const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'invalid');
const HOSTILE_TIMEOUT_MS = 10_000;

const EXPECT_LINE = /^# expect: (\d+):(\d+) (error|warning) (.+)$/;

interface Fixture {
  readonly name: string;
  readonly text: string;
  /** `line:col severity formatted-text-after-severity`, one per expected diagnostic. */
  readonly expected: readonly string[];
}

/** Reads the leading comment lines of a fixture: its `# expect:` lines. */
function readFixture(name: string): Fixture {
  const text = readFileSync(join(FIXTURE_DIR, name), 'utf8');
  const expected: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    if (line.startsWith('# expect')) {
      const match = EXPECT_LINE.exec(line);
      if (!match) throw new Error(`${name}: malformed expectation line: ${line}`);
      expected.push(`${match[1]}:${match[2]} ${match[3]} ${match[4]}`);
    }
  }
  return { name, text, expected };
}

/** A diagnostic in the fixture notation: `line:col severity` then what formatDiagnostic prints after it. */
function notation(d: Diagnostic): string {
  const formatted = formatDiagnostic(d);
  const prefix = `${d.file}:${d.line}:${d.column}: ${d.severity}: `;
  if (!formatted.startsWith(prefix)) throw new Error(`unexpected diagnostic format: ${formatted}`);
  return `${d.line}:${d.column} ${d.severity} ${formatted.slice(prefix.length)}`;
}

const sorted = (items: readonly string[]): string[] => [...items].sort();

function expectSourceOrder(diagnostics: readonly Diagnostic[]): void {
  const positions = diagnostics.map((d) => [d.line, d.column] as const);
  const ordered = [...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  expect(positions).toEqual(ordered);
}

const fixtureNames = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const fixtures = fixtureNames.map(readFixture);

describe('invalid definition corpus', () => {
  it('has at least 35 fixtures, each named in kebab-case and stating at least one expected error', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(35);
    for (const fixture of fixtures) {
      expect(fixture.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*\.yaml$/);
      expect(fixture.expected.some((e) => / error /.test(e))).toBe(true);
    }
  });

  it('holds only .yaml files', () => {
    expect(readdirSync(FIXTURE_DIR).filter((f) => !f.endsWith('.yaml'))).toEqual([]);
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    test('reports exactly its expected diagnostics and no definition', () => {
      const result = validateDefinition(fixture.name, fixture.text);
      expect(sorted(result.diagnostics.map(notation))).toEqual(sorted(fixture.expected));
      expect(result.definition).toBeUndefined();
      for (const d of result.diagnostics) expect(d.file).toBe(fixture.name);
      expectSourceOrder(result.diagnostics);
    });
  });

  it(
    'together with the generated cases, makes the validator produce every diagnostic code it has',
    () => {
      const codes = new Set<string>();
      for (const fixture of fixtures) {
        for (const d of validateDefinition(fixture.name, fixture.text).diagnostics) codes.add(d.code);
      }
      for (const [name, text] of generatedCases()) {
        for (const d of validateDefinition(name, text).diagnostics) codes.add(d.code);
      }
      expect([...codes].sort()).toEqual(
        [
          'alias-limit',
          'bad-expression',
          'branch-escapes',
          'branch-is-join',
          'branch-name-clash',
          'branch-never-joins',
          'branches-overlap',
          'choice-loop',
          'duplicate-key',
          'empty',
          'failure-into-branch',
          'input-twice',
          'invalid-name',
          'invalid-value',
          'join-entered-outside',
          'key-outside',
          'map-keys-clash',
          'missing-field',
          'no-end',
          'no-path-to-end',
          'no-timeout',
          'not-a-function',
          'retries-over-visits',
          'shared-join',
          'starts-itself',
          'timeout-missing',
          'too-deep',
          'too-large',
          'too-many-errors',
          'too-many-nodes',
          'too-many-warnings',
          'unknown-alias',
          'unknown-capability',
          'unknown-field',
          'unknown-node-type',
          'unknown-target',
          'uncertain-key',
          'unexpected-parameters',
          'wait-needs-one',
          'unreachable',
          'yaml-syntax',
        ].sort(),
      );
    },
    HOSTILE_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------------------
// Generated hostile cases
// ---------------------------------------------------------------------------------------------------------

const HEADER = "workflow_name: 'Generated'\nworkflow_id: 'generated_v1'\nentry_point: N1\n";

/** A chain N1 -> N2 -> ... -> N<count-1> -> Done of sync_calls: `count` nodes, valid when count <= 500. */
function chainOfNodes(count: number): string {
  const lines = [HEADER + 'nodes:'];
  for (let i = 1; i < count; i++) {
    const next = i === count - 1 ? 'Done' : `N${i + 1}`;
    lines.push(`  N${i}:`, '    type: sync_call', "    capability_id: 'core-process-response'");
    lines.push(`    on_success: ${next}`);
  }
  lines.push('  Done:', '    type: end', '');
  return lines.join('\n');
}

const SMALL_VALID =
  HEADER.replace('entry_point: N1', 'entry_point: Done') + 'nodes:\n  Done:\n    type: end\n';

/** Pads a valid definition with a trailing comment to exactly `bytes` UTF-8 bytes, using `fill`. */
function padded(bytes: number, fill: string): string {
  const head = SMALL_VALID + '# ';
  const room = bytes - Buffer.byteLength(head, 'utf8') - 1;
  const unit = Buffer.byteLength(fill, 'utf8');
  const text = head + fill.repeat(Math.floor(room / unit)) + '#'.repeat(room % unit) + '\n';
  expect(Buffer.byteLength(text, 'utf8')).toBe(bytes);
  return text;
}

/** `levels` levels of anchors, each a list of `width` aliases to the previous one. */
function aliasBomb(levels: number, width: number): string {
  const lines = [HEADER.replace('entry_point: N1', 'entry_point: Done')];
  lines.push(`initial_context: &l0 [${Array.from({ length: width }, () => 'lol').join(', ')}]\nnodes:\n`);
  lines.push('  Done:\n    type: end\n');
  for (let level = 1; level <= levels; level++) {
    const items = Array.from({ length: width }, () => `*l${level - 1}`).join(', ');
    lines.push(`  L${level}:\n    type: end\n    output_keys: &l${level} [${items}]\n`);
  }
  return lines.join('');
}

const FLOW_PREFIX = 'initial_context: ';
const deepFlow = (depth: number): string =>
  HEADER + FLOW_PREFIX + '['.repeat(depth) + 'x' + ']'.repeat(depth) + '\nnodes:\n  N1:\n    type: end\n';

/** A title whose value is `levels` maps nested by indentation, below nodes.N1 (3 levels already). */
function deepBlock(levels: number): string {
  const lines = [HEADER + 'nodes:', '  N1:', '    type: end', '    title:'];
  for (let i = 0; i < levels; i++)
    lines.push(`${' '.repeat(6 + 2 * i)}k${i}:${i === levels - 1 ? ' x' : ''}`);
  return lines.join('\n') + '\n';
}

/** A valid definition followed by `count` top-level fields the language does not have (from line 7 on). */
function unknownFields(count: number): string {
  const lines = [SMALL_VALID.trimEnd()];
  for (let i = 0; i < count; i++) lines.push(`x${i}: 0`);
  return lines.join('\n') + '\n';
}

/** A valid definition whose `version` is a flow map of `count` distinct keys (k0, k1, ... in base 36). */
function manyDistinctKeys(count: number): string {
  const keys = Array.from({ length: count }, (_, i) => `k${i.toString(36)}: 0`);
  return SMALL_VALID + `version: {${keys.join(', ')}}\n`;
}

/** A valid definition followed by `count` top-level fields all named `dup` (from line 7 on). */
function duplicateKeys(count: number): string {
  return SMALL_VALID + 'dup: 0\n'.repeat(count);
}

/** A valid chain of `count` async_requests without timeouts (one warning each), then Done. */
function asyncChainWithoutTimeouts(count: number): string {
  const lines = [HEADER + 'nodes:'];
  for (let i = 1; i <= count; i++) {
    const next = i === count ? 'Done' : `N${i + 1}`;
    lines.push(`  N${i}:`, '    type: async_request', "    capability_id: 'import#enrichment'");
    lines.push(`    on_response: ${next}`);
  }
  lines.push('  Done:', '    type: end', '');
  return lines.join('\n');
}

/** A valid definition whose initial_context holds one anchor and `count` aliases to it, on line 7. */
const ALIASES_PREFIX = 'initial_context: [&k shipmentId';
const manyAliases = (count: number): string => SMALL_VALID + ALIASES_PREFIX + ', *k'.repeat(count) + ']\n';

function generatedCases(): [string, string][] {
  return [
    ['501-nodes.yaml', chainOfNodes(501)],
    ['over-1-mib.yaml', padded(DEFINITION_LIMITS.maxBytes + 1, 'x')],
    ['alias-bomb.yaml', aliasBomb(12, 12)],
    ['deep-flow.yaml', deepFlow(100_000)],
    ['deep-block.yaml', deepBlock(700)],
    ['300-unknown-fields.yaml', unknownFields(300)],
    ['201-warnings.yaml', asyncChainWithoutTimeouts(201)],
  ];
}

/** Validates `text` and returns its diagnostics in the fixture notation, asserting there is no definition. */
function invalidDiagnostics(name: string, text: string): string[] {
  const result = validateDefinition(name, text);
  expect(result.definition).toBeUndefined();
  return result.diagnostics.map(notation);
}

describe('generated hostile definitions', () => {
  test(
    'a workflow of 501 nodes is rejected at the nodes key, and nothing else is checked',
    () => {
      expect(invalidDiagnostics('501-nodes.yaml', chainOfNodes(501))).toEqual([
        '4:1 error nodes: 501 nodes; a workflow may have at most 500',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a workflow of 2000 nodes is rejected with the same single error',
    () => {
      expect(invalidDiagnostics('2000-nodes.yaml', chainOfNodes(2000))).toEqual([
        '4:1 error nodes: 2000 nodes; a workflow may have at most 500',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a workflow of exactly 500 nodes is accepted',
    () => {
      const result = validateDefinition('500-nodes.yaml', chainOfNodes(500));
      expect(result.diagnostics).toEqual([]);
      expect(Object.keys(result.definition?.nodes ?? {})).toHaveLength(500);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a file one byte over 1 MiB is rejected before parsing',
    () => {
      const text = padded(DEFINITION_LIMITS.maxBytes + 1, 'x');
      expect(invalidDiagnostics('big.yaml', text)).toEqual([
        '1:1 error the definition is 1048577 bytes; the limit is 1048576 bytes (1 MiB)',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'the size limit counts UTF-8 bytes, not characters',
    () => {
      const text = padded(DEFINITION_LIMITS.maxBytes + 2, 'é');
      expect(text.length).toBeLessThan(DEFINITION_LIMITS.maxBytes);
      expect(invalidDiagnostics('big-utf8.yaml', text)).toEqual([
        '1:1 error the definition is 1048578 bytes; the limit is 1048576 bytes (1 MiB)',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a 16 MiB file is rejected with the same message',
    () => {
      const text = 'a'.repeat(16 * 1024 * 1024);
      expect(invalidDiagnostics('huge.yaml', text)).toEqual([
        `1:1 error the definition is ${16 * 1024 * 1024} bytes; the limit is 1048576 bytes (1 MiB)`,
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a file of exactly 1 MiB is read',
    () => {
      const result = validateDefinition('exactly.yaml', padded(DEFINITION_LIMITS.maxBytes, 'x'));
      expect(result.diagnostics).toEqual([]);
      expect(result.definition?.workflow_id).toBe('generated_v1');
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'an alias bomb of 12 levels of 12 aliases (about 9e12 strings) is stopped at the alias that goes too far',
    () => {
      // Level 1 (line 10) is 12 aliases of a list without aliases: 12 copies. Each alias of level 2 (line 13)
      // copies level 1 too: 13 each, so its 7th (12 + 7 * 13 = 103) goes past 100. `    output_keys: &l2 [` is
      // 22 characters and each alias takes 5 more.
      expect(invalidDiagnostics('bomb.yaml', aliasBomb(12, 12))).toEqual([
        `13:${22 + 6 * 5 + 1} error too many alias expansions (over 100); aliases must not multiply the document`,
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'flow nesting 100000 levels deep is rejected at the bracket that opens level 33',
    () => {
      // Line 4 holds initial_context; its value opens level 2, so level 33 is its 32nd bracket.
      const column = FLOW_PREFIX.length + DEFINITION_LIMITS.maxDepth;
      expect(invalidDiagnostics('deep-flow.yaml', deepFlow(100_000))).toEqual([
        `4:${column} error nesting is deeper than 32 levels`,
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'flow nesting of exactly 32 levels is read',
    () => {
      const diagnostics = invalidDiagnostics('flow-32.yaml', deepFlow(31));
      expect(diagnostics).not.toContainEqual(expect.stringContaining('nesting is deeper'));
      expect(diagnostics).toContain('4:19 error initial_context.0: must be a context key, not a list');
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'block nesting 700 levels deep is rejected at the key that opens level 33',
    () => {
      // k0 (line 8) sits in level 4 (document, nodes, N1, title), so level 33 holds k29 on line 37.
      expect(invalidDiagnostics('deep-block.yaml', deepBlock(700))).toEqual([
        `37:${6 + 2 * 29 + 1} error nesting is deeper than 32 levels`,
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'an empty file, or one with only comments or null, says "the definition is empty" at 1:1',
    () => {
      for (const text of ['', '\n', '   \n\n', '# only a comment\n', 'null\n', '# a comment\n~\n', '---\n']) {
        expect(invalidDiagnostics('empty.yaml', text)).toEqual(['1:1 error the definition is empty']);
      }
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'compact nested sequences ("- - - ...") are rejected at the dash that opens level 33',
    () => {
      // Level 1 is the document map; the k-th dash opens level k + 1, so the 32nd dash (column 63) opens 33.
      expect(invalidDiagnostics('compact.yaml', 'a:\n' + '- '.repeat(40) + 'x\n')).toEqual([
        '2:63 error nesting is deeper than 32 levels',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    '1 MiB of "[" is rejected at the bracket that opens level 33, without reading the rest',
    () => {
      // 'a: ' then brackets: the first (column 4) opens level 2, so the 32nd (column 35) opens level 33.
      const text = 'a: ' + '['.repeat(DEFINITION_LIMITS.maxBytes - 3);
      expect(invalidDiagnostics('brackets.yaml', text)).toEqual([
        '1:35 error nesting is deeper than 32 levels',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    '1 MiB of "- - - ..." is rejected at the dash that opens level 33',
    () => {
      const text = 'a:\n' + '- '.repeat((DEFINITION_LIMITS.maxBytes - 6) / 2) + 'x\n';
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFINITION_LIMITS.maxBytes);
      expect(invalidDiagnostics('dashes.yaml', text)).toEqual([
        '2:63 error nesting is deeper than 32 levels',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'quotes, comment signs and block text before deep nesting do not hide it',
    () => {
      for (const before of ['workflow_name: a "quote\n', "workflow_name: it's\n", 'version: |\n  "\n  [\n']) {
        const text = before + 'initial_context: ' + '['.repeat(100_000) + '\n';
        const line = before.split('\n').length;
        expect(invalidDiagnostics('quote.yaml', text)).toEqual([
          `${line}:${FLOW_PREFIX.length + DEFINITION_LIMITS.maxDepth} error nesting is deeper than 32 levels`,
        ]);
      }
    },
    HOSTILE_TIMEOUT_MS,
  );

  test('deeply indented lines of a block scalar are text, not nesting', () => {
    const lines = [SMALL_VALID.trimEnd(), 'version: |'];
    for (let i = 0; i < 40; i++) lines.push(`${' '.repeat(2 + i)}line ${i}`);
    const result = validateDefinition('block-scalar.yaml', lines.join('\n') + '\n');
    expect(result.diagnostics.map(notation)).toEqual([]);
    expect(result.definition?.version).toContain('line 39');
  });

  test(
    'a map of 100,000 distinct keys is read in linear time',
    () => {
      const text = manyDistinctKeys(100_000);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFINITION_LIMITS.maxBytes);
      expect(invalidDiagnostics('keys.yaml', text)).toEqual([
        '7:10 error version: must be text or a number, not a map',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    '60,000 unknown top-level fields give 200 errors and one saying the report stops there',
    () => {
      const diagnostics = invalidDiagnostics('fields.yaml', unknownFields(60_000));
      expect(diagnostics).toHaveLength(DEFINITION_LIMITS.maxErrors + 1);
      expect(diagnostics[0]).toBe(
        "7:1 error x0: unknown field 'x0'; allowed: workflow_name, workflow_id, version, entry_point, initial_context, max_visits, loggable_keys, nodes",
      );
      expect(diagnostics[199]).toMatch(/^206:1 error x199: unknown field 'x199'/);
      expect(diagnostics[200]).toBe('207:1 error too many errors; stopping after 200');
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    '100,000 repeats of one key are reported at the repeats, 200 of them, then the report stops',
    () => {
      const diagnostics = invalidDiagnostics('duplicates.yaml', duplicateKeys(100_000));
      expect(diagnostics).toHaveLength(DEFINITION_LIMITS.maxErrors + 1);
      // Each repeat from line 8 on is a duplicate key; the unknown field is reported at the last one (the one
      // whose value is kept), far past the cut.
      expect(diagnostics.slice(0, 2)).toEqual([
        "8:1 error dup: duplicate key 'dup': each key may appear only once in a map",
        "9:1 error dup: duplicate key 'dup': each key may appear only once in a map",
      ]);
      expect(diagnostics[200]).toBe('208:1 error too many errors; stopping after 200');
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    '201 warnings give 200 and one saying the report stops there; warnings alone keep the definition',
    () => {
      const result = validateDefinition('warnings.yaml', asyncChainWithoutTimeouts(201));
      expect(result.definition).toBeDefined();
      expect(result.diagnostics).toHaveLength(DEFINITION_LIMITS.maxErrors + 1);
      expect(result.diagnostics.map(notation)[0]).toMatch(
        /^5:3 warning nodes\.N1: async_request has no timeout/,
      );
      // Node N<i> starts on line 5 + 4 * (i - 1); N201 is the one past the limit.
      expect(result.diagnostics.map(notation)[200]).toBe(
        '805:3 warning too many warnings; stopping after 200',
      );
    },
    HOSTILE_TIMEOUT_MS,
  );

  test('more aliases than the limit are rejected at the first one past it', () => {
    const text = manyAliases(DEFINITION_LIMITS.maxAliasCount + 1);
    // The anchor's list item is followed by ', *k' per alias; the last alias is the 101st.
    const column = ALIASES_PREFIX.length + 4 * DEFINITION_LIMITS.maxAliasCount + 3;
    expect(invalidDiagnostics('aliases.yaml', text)).toEqual([
      `7:${column} error too many alias expansions (over 100); aliases must not multiply the document`,
    ]);
    const result = validateDefinition('aliases.yaml', manyAliases(DEFINITION_LIMITS.maxAliasCount));
    expect(result.diagnostics.map(notation)).toEqual([]);
    expect(result.definition?.initial_context).toHaveLength(DEFINITION_LIMITS.maxAliasCount + 1);
  });
});

describe('rules added after instances may have started', () => {
  it.each([
    'map-item-and-index-keys-clash.yaml',
    'sub-workflow-starts-itself.yaml',
    'child-definition-key-outside.yaml',
  ])('%s: only warn for a pinned definition, so an instance already running it goes on', (name) => {
    const { text, expected } = readFixture(name);
    const fresh = validateDefinition(name, text);
    expect(fresh.definition).toBeUndefined();
    const pinned = validateDefinition(name, text, { pinned: true });
    expect(pinned.definition).toBeDefined();
    expect(sorted(pinned.diagnostics.map(notation))).toEqual(
      sorted(expected.map((e) => e.replace(' error ', ' warning '))),
    );
  });
});
