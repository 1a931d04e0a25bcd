/**
 * The invalid-definition corpus: every file in tests/fixtures/invalid states, in its header comment lines, the
 * exact diagnostics the validator must report for it (`# expect: line:col severity path: message`).
 *
 * A fixture whose header also has `# known-bug:` lines documents a validator bug: its expectations say what
 * the validator should report, and its test is declared with `test.failing`, so the suite stays green while
 * the bug exists and turns red once it is fixed (then drop the `known-bug` line).
 *
 * Hostile inputs too large to check in (over 500 nodes, over 1 MiB, deep nesting, alias bombs) are generated
 * here. They assert their exact message and position; the bound on their running time is the jest timeout.
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
const KNOWN_BUG_LINE = /^# known-bug: (.+)$/;

interface Fixture {
  readonly name: string;
  readonly text: string;
  /** `line:col severity formatted-text-after-severity`, one per expected diagnostic. */
  readonly expected: readonly string[];
  readonly knownBugs: readonly string[];
}

/** Reads the leading comment lines of a fixture: its `# expect:` and `# known-bug:` lines. */
function readFixture(name: string): Fixture {
  const text = readFileSync(join(FIXTURE_DIR, name), 'utf8');
  const expected: string[] = [];
  const knownBugs: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    if (line.startsWith('# expect')) {
      const match = EXPECT_LINE.exec(line);
      if (!match) throw new Error(`${name}: malformed expectation line: ${line}`);
      expected.push(`${match[1]}:${match[2]} ${match[3]} ${match[4]}`);
    }
    const bug = KNOWN_BUG_LINE.exec(line);
    if (bug?.[1]) knownBugs.push(bug[1]);
  }
  return { name, text, expected, knownBugs };
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
    const title =
      fixture.knownBugs.length > 0
        ? `reports exactly its expected diagnostics (known bug: ${fixture.knownBugs.join(' ')})`
        : 'reports exactly its expected diagnostics and no definition';
    const check = (): void => {
      const result = validateDefinition(fixture.name, fixture.text);
      expect(sorted(result.diagnostics.map(notation))).toEqual(sorted(fixture.expected));
      expect(result.definition).toBeUndefined();
      for (const d of result.diagnostics) expect(d.file).toBe(fixture.name);
      expectSourceOrder(result.diagnostics);
    };
    if (fixture.knownBugs.length > 0) test.failing(title, check);
    else test(title, check);
  });

  it('together with the generated cases, makes the validator produce every diagnostic code it has', () => {
    const codes = new Set<string>();
    for (const fixture of fixtures) {
      for (const d of validateDefinitionSafely(fixture.name, fixture.text)) codes.add(d.code);
    }
    for (const [name, text] of generatedCases()) {
      for (const d of validateDefinitionSafely(name, text)) codes.add(d.code);
    }
    // 'empty' is left out: the validator never produces it (see empty-file.yaml, a known bug).
    expect([...codes].sort()).toEqual(
      [
        'alias-limit',
        'bad-expression',
        'branch-escapes',
        'branch-is-join',
        'branch-never-joins',
        'branches-overlap',
        'duplicate-key',
        'invalid-name',
        'invalid-value',
        'join-entered-outside',
        'missing-field',
        'no-end',
        'no-path-to-end',
        'no-timeout',
        'shared-join',
        'timeout-missing',
        'too-deep',
        'too-large',
        'too-many-nodes',
        'unknown-capability',
        'unknown-field',
        'unknown-node-type',
        'unknown-target',
        'unreachable',
        'yaml-syntax',
      ].sort(),
    );
  });
});

/** Validates, treating a throw (a known bug for some fixtures) as no diagnostics. */
function validateDefinitionSafely(name: string, text: string): readonly Diagnostic[] {
  try {
    return validateDefinition(name, text).diagnostics;
  } catch {
    return [];
  }
}

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

function generatedCases(): [string, string][] {
  return [
    ['501-nodes.yaml', chainOfNodes(501)],
    ['over-1-mib.yaml', padded(DEFINITION_LIMITS.maxBytes + 1, 'x')],
    ['alias-bomb.yaml', aliasBomb(12, 12)],
    ['deep-flow.yaml', deepFlow(100_000)],
    ['deep-block.yaml', deepBlock(700)],
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
    'a workflow of 501 nodes is rejected at the nodes map',
    () => {
      expect(invalidDiagnostics('501-nodes.yaml', chainOfNodes(501))).toEqual([
        '5:3 error nodes: 501 nodes; a workflow may have at most 500',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test(
    'a workflow of 2000 nodes is rejected with the same single error',
    () => {
      expect(invalidDiagnostics('2000-nodes.yaml', chainOfNodes(2000))).toEqual([
        '5:3 error nodes: 2000 nodes; a workflow may have at most 500',
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
    'an alias bomb of 12 levels of 12 aliases (about 9e12 strings) is stopped',
    () => {
      expect(invalidDiagnostics('bomb.yaml', aliasBomb(12, 12))).toEqual([
        '1:1 error too many alias expansions (over 100); aliases must not multiply the document',
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
    'an empty file is one error at 1:1 and no definition',
    () => {
      for (const text of ['', '\n', '   \n\n', '# only a comment\n']) {
        const result = validateDefinition('empty.yaml', text);
        expect(result.definition).toBeUndefined();
        expect(result.diagnostics).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({ severity: 'error', line: 1, column: 1 });
      }
    },
    HOSTILE_TIMEOUT_MS,
  );

  test.failing('known bug: an empty file says "the definition is empty"', () => {
    expect(invalidDiagnostics('empty.yaml', '')).toEqual(['1:1 error the definition is empty']);
  });

  test.failing(
    'known bug: compact nested sequences ("- - - ...") bypass the depth pre-check',
    () => {
      // Level 1 is the document map; the k-th dash opens level k + 1, so the 32nd dash (column 63) opens 33.
      expect(invalidDiagnostics('compact.yaml', 'a:\n' + '- '.repeat(40) + 'x\n')).toEqual([
        '2:63 error nesting is deeper than 32 levels',
      ]);
    },
    HOSTILE_TIMEOUT_MS,
  );

  test.failing('known bug: deeply indented lines of a block scalar are counted as nesting', () => {
    const lines = [SMALL_VALID.trimEnd(), 'version: |'];
    for (let i = 0; i < 40; i++) lines.push(`${' '.repeat(2 + i)}line ${i}`);
    const result = validateDefinition('block-scalar.yaml', lines.join('\n') + '\n');
    expect(result.diagnostics.map(notation)).toEqual([]);
  });
});
