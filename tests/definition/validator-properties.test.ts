/**
 * Property-based tests of validateDefinition: on any text it returns (never throws) diagnostics that point
 * inside the file (a line of it, and a column at most one past that line's end), and a definition exactly when there is no error; a definition it accepts is accepted
 * again, unchanged, when written back out.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Diagnostic } from '../../orchestrator/src/definition/diagnostic';
import { formatDiagnostic } from '../../orchestrator/src/definition/diagnostic';
import type { ValidationResult } from '../../orchestrator/src/definition/validate-definition';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';

const EXAMPLES_DIR = join(__dirname, '..', '..', 'workflow-definitions');
const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(EXAMPLES_DIR, name), 'utf8') }));

const RUNS = { text: 600, bytes: 300, mutations: 600, structures: 300 } as const;
/** Fixed seed so a failure is reproducible; fast-check prints a counterexample and the path to it. */
const SEED = 20_260_523;

/** Validates and checks everything that must hold for any input; returns the result for further checks. */
function validateChecked(file: string, text: string): ValidationResult {
  const result = validateDefinition(file, text);
  const lines = text.split('\n');
  const problem = (d: Diagnostic, what: string): Error =>
    new Error(
      `${what}: ${formatDiagnostic(d)}\n--- input (${text.length} chars) ---\n${text.slice(0, 2000)}`,
    );
  for (const d of result.diagnostics) {
    if (d.severity !== 'error' && d.severity !== 'warning') throw problem(d, 'unknown severity');
    if (d.file !== file) throw problem(d, 'wrong file name');
    if (!Number.isInteger(d.line) || d.line < 1) throw problem(d, 'line is not a positive integer');
    if (d.line > lines.length) throw problem(d, `line is past the end of the file (${lines.length} lines)`);
    if (!Number.isInteger(d.column) || d.column < 1) throw problem(d, 'column is not a positive integer');
    if (d.column > (lines[d.line - 1] ?? '').length + 1)
      throw problem(d, 'column is past the end of its line');
    if (typeof d.message !== 'string' || d.message.trim() === '') throw problem(d, 'empty message');
    if (typeof d.code !== 'string' || d.code === '') throw problem(d, 'empty code');
  }
  const hasError = result.diagnostics.some((d) => d.severity === 'error');
  if (hasError === (result.definition !== undefined)) {
    throw new Error(
      `definition must be present exactly when there is no error (errors: ${hasError})\n${text.slice(0, 2000)}`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// (a) Random text and bytes
// ---------------------------------------------------------------------------------------------------------

/** Fragments of YAML and of the workflow language, so random text often gets past the parser. */
const YAML_TOKENS = [
  'workflow_name: ',
  'workflow_id: ',
  'entry_point: ',
  'initial_context: ',
  'nodes:',
  'type: ',
  'end',
  'async_request',
  'sync_call',
  'choice',
  'parallel',
  'capability_id: ',
  'import#enrichment',
  'core-process-response',
  'on_response: ',
  'on_success: ',
  'on_failure: ',
  'on_timeout: ',
  'timeout: ',
  '30s',
  'PT1H',
  'choices:',
  'when: ',
  'next: ',
  'default: ',
  'branches: ',
  'join: ',
  'retry:',
  'max_attempts: ',
  'A',
  'B',
  'Done',
  '\n',
  '\n  ',
  '\n    ',
  '\n      - ',
  '  ',
  '\t',
  '- ',
  ': ',
  ':',
  '[',
  ']',
  '{',
  '}',
  ', ',
  '"',
  "'",
  '\\',
  '# ',
  '&a ',
  '*a',
  '!!str ',
  '!!map ',
  '!tag ',
  '? ',
  '|',
  '>-',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '%TAG ! tag:x,2000:\n',
  '\r\n',
  '\r',
  '<<: ',
  '~',
  'null',
  '1e400',
  '-0',
  '0x1F',
  '.inf',
  'é',
  '😀',
  '\u0000',
  '\ufeff',
  '\u2028',
];

const yamlishText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...YAML_TOKENS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

describe('validateDefinition on random input', () => {
  it('never throws and locates every diagnostic inside the file, on YAML-ish text', () => {
    fc.assert(
      fc.property(yamlishText, (text) => {
        validateChecked('random.yaml', text);
      }),
      { numRuns: RUNS.text, seed: SEED },
    );
  });

  it('never throws and locates every diagnostic inside the file, on random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 400 }),
        ),
        (text) => {
          validateChecked('random.yaml', text);
        },
      ),
      { numRuns: RUNS.bytes, seed: SEED },
    );
  });

  it('never throws and locates every diagnostic inside the file, on random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('utf8', 'latin1') as fc.Arbitrary<BufferEncoding>,
        (bytes, encoding) => {
          validateChecked('bytes.yaml', Buffer.from(bytes).toString(encoding));
        },
      ),
      { numRuns: RUNS.bytes, seed: SEED },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// (b) Mutations of the valid examples
// ---------------------------------------------------------------------------------------------------------

type MutationKind = 'delete' | 'duplicate' | 'swap' | 'indent' | 'replace' | 'insert' | 'truncate';

interface Mutation {
  readonly kind: MutationKind;
  readonly a: number;
  readonly b: number;
  readonly delta: number;
  readonly text: string;
}

const replacement = fc.oneof(
  fc.constantFrom(
    ...YAML_TOKENS,
    'Prepare_Import_Enrichment',
    'End_Workflow',
    'Task_C',
    'Fan_Out',
    'Rejected',
    'no_such_node',
    'type',
    'on_response',
    'branches',
    '0s',
    '367d',
    '11',
    'a#b#c',
  ),
  fc.string({ maxLength: 8 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>(
    'delete',
    'duplicate',
    'swap',
    'indent',
    'replace',
    'insert',
    'truncate',
  ),
  a: fc.nat(),
  b: fc.nat(),
  delta: fc.integer({ min: -4, max: 4 }),
  text: replacement,
});

/** Applies one mutation; indices are taken modulo the line count or text length so every mutation applies. */
function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = m.a % lines.length;
  const j = m.b % lines.length;
  const line = lines[i] ?? '';
  switch (m.kind) {
    case 'delete':
      lines.splice(i, 1);
      break;
    case 'duplicate':
      lines.splice(i, 0, line);
      break;
    case 'swap':
      lines[i] = lines[j] ?? '';
      lines[j] = line;
      break;
    case 'indent': {
      const indent = /^ */.exec(line)?.[0].length ?? 0;
      lines[i] = ' '.repeat(Math.max(0, indent + m.delta)) + line.trimStart();
      break;
    }
    case 'replace': {
      const tokens = [...line.matchAll(/[A-Za-z0-9_#.'"-]+/g)];
      const token = tokens.length > 0 ? tokens[m.b % tokens.length] : undefined;
      if (token?.index === undefined) return text;
      lines[i] = line.slice(0, token.index) + m.text + line.slice(token.index + token[0].length);
      break;
    }
    case 'insert': {
      const at = m.a % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, m.a % (text.length + 1));
  }
  return lines.join('\n');
}

describe('validateDefinition on mutated examples', () => {
  it('keeps positions on their lines after a syntax error with a multi-line plain scalar', () => {
    // The YAML library's own line counting misses the newlines inside the scalar "x\n  y" and would put 'd'
    // (line 4) on line 3; positions are computed from the text instead.
    const text = '  a:\nb: x\n  y\nd: 2\n';
    const lines = text.split('\n');
    const diagnostics = validateChecked('shifted.yaml', text).diagnostics;
    for (const d of diagnostics) expect(d.column).toBeLessThanOrEqual((lines[d.line - 1] ?? '').length + 1);
    expect(diagnostics.map(formatDiagnostic)).toContain(
      'shifted.yaml:4:1: error: YAML syntax: unexpected "d" here; it does not fit the structure above it (check its indentation)',
    );
  });

  it('has examples to mutate', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it('never throws and locates every diagnostic inside the file', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (example, mutations) => {
          const text = mutations.reduce(mutate, example.text);
          validateChecked(example.name, text);
        },
      ),
      { numRuns: RUNS.mutations, seed: SEED },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// (c) Random structurally generated definitions
// ---------------------------------------------------------------------------------------------------------

const contextKeys = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('shipmentId', 'uri', 'result', '_x') },
    fc.constantFrom('1bad', ''),
  ),
  { maxLength: 3 },
);
const duration = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('500ms', '30s', '15m', '2h', '7d', 'PT1H30M', 'P2D', 'P1W') },
  { weight: 2, arbitrary: fc.constantFrom('0s', 'PT0S', '367d', 'P1Y', '30', '1.5h', 'soon', '') },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 100 }) },
);
const expression = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('amount > 10', 'status = "OPEN"', 'true', '$exists(uri)') },
  { weight: 1, arbitrary: fc.constantFrom('amount >', '(a', 'x[', '"open', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const title = fc.string({ maxLength: 20 });

function nodeOf(names: readonly string[]): fc.Arbitrary<unknown> {
  const target = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom('Nowhere', 'done', '1bad', '') },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant([names[0]])) },
  );
  const asyncRequest = fc.record(
    {
      type: fc.constant('async_request'),
      title,
      capability_id: fc.constantFrom('import#enrichment', 'a#b', 'bad', 'Import#x', 'x#'),
      input_keys: contextKeys,
      request_output_keys: contextKeys,
      on_response: target,
      on_failure: target,
      timeout: duration,
      on_timeout: target,
    },
    { requiredKeys: ['type', 'capability_id', 'on_response'] },
  );
  const retry = fc.record(
    {
      max_attempts: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constant(2.5)),
      interval: duration,
      backoff_rate: fc.double({ min: 0, max: 12, noNaN: true }),
    },
    { requiredKeys: ['max_attempts'] },
  );
  const syncCall = fc.record(
    {
      type: fc.constant('sync_call'),
      title,
      capability_id: fc.constantFrom('core-process-response', 'core-process-response', 'send-email', 'a#b'),
      output_keys: contextKeys,
      on_success: target,
      on_failure: target,
      retry,
    },
    { requiredKeys: ['type', 'capability_id', 'on_success'] },
  );
  const choice = fc.record(
    {
      type: fc.constant('choice'),
      title,
      choices: fc.array(fc.record({ when: expression, next: target }), { maxLength: 3 }),
      default: target,
    },
    { requiredKeys: ['type', 'choices', 'default'] },
  );
  const parallel = fc.record(
    {
      type: fc.constant('parallel'),
      title,
      branches: fc.array(target, { maxLength: 3 }),
      join: target,
      on_failure: target,
    },
    { requiredKeys: ['type', 'branches', 'join'] },
  );
  const end = fc.record(
    {
      type: fc.constant('end'),
      title,
      status: fc.constantFrom('SUCCEEDED', 'FAILED', 'DONE'),
      output_keys: contextKeys,
    },
    { requiredKeys: ['type'] },
  );
  const junk = fc.dictionary(
    fc.constantFrom('type', 'next', 'bogus', 'timeout', 'on_response', 'choices'),
    fc.oneof(fc.constantFrom('wait', 'end', 'choice', ...names), fc.integer(), fc.constant(null)),
    { maxKeys: 3 },
  );
  return fc.oneof(
    { weight: 3, arbitrary: asyncRequest },
    { weight: 3, arbitrary: syncCall },
    { weight: 2, arbitrary: choice },
    { weight: 2, arbitrary: parallel },
    { weight: 3, arbitrary: end },
    { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null), fc.integer()) },
  );
}

const nodeName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('A', 'B', 'C', 'Fetch', 'Route', 'Merge', 'Done', 'Failed') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom('1st', '__end__', 'has space', 'a.b', '') },
);

/** Any shape of definition: random node kinds, fields and targets, most of them invalid. */
const randomDefinition: fc.Arbitrary<Record<string, unknown>> = fc
  .uniqueArray(nodeName, { minLength: 1, maxLength: 8 })
  .chain((names) =>
    fc.record(
      {
        workflow_name: fc.oneof(fc.constant('Generated'), fc.string({ maxLength: 8 })),
        workflow_id: fc.constantFrom('generated_v1', 'bad id', ''),
        version: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
        entry_point: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, fc.constant('Nowhere')),
        initial_context: contextKeys,
        nodes: fc
          .tuple(...names.map(() => nodeOf(names)))
          .map((nodes) => Object.fromEntries(names.map((name, i) => [name, nodes[i]]))),
      },
      { requiredKeys: ['workflow_name', 'workflow_id', 'entry_point', 'nodes'] },
    ),
  );

/**
 * Definitions valid by construction, with random details: a chain N0 -> N1 -> ... -> Done in which node i
 * may also branch or fail to any later node, so every node is reachable and can reach an end.
 */
const chainDefinition: fc.Arbitrary<Record<string, unknown>> = fc
  .array(
    fc.record({
      kind: fc.constantFrom('async_request', 'sync_call', 'choice'),
      other: fc.nat(),
      withOther: fc.boolean(),
      withTimeout: fc.boolean(),
      title: fc.option(title, { nil: undefined }),
      keys: contextKeys.map((keys) => keys.filter((k) => /^[A-Za-z_]/.test(k))),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((steps) => {
    const names = steps.map((_, i) => `N${i}`);
    let failedUsed = false;
    const later = (i: number, pick: number): string => {
      const options = [...names.slice(i + 1), 'Done', 'Failed'];
      const chosen = options[pick % options.length] ?? 'Done';
      if (chosen === 'Failed') failedUsed = true;
      return chosen;
    };
    const nodes: Record<string, unknown> = {};
    steps.forEach((step, i) => {
      const next = names[i + 1] ?? 'Done';
      const other = (): string => later(i, step.other);
      const node: Record<string, unknown> = { type: step.kind };
      if (step.title !== undefined) node.title = step.title;
      if (step.kind === 'async_request') {
        Object.assign(node, { capability_id: 'import#enrichment', request_output_keys: step.keys });
        Object.assign(node, { on_response: next });
        if (step.withOther) node.on_failure = other();
        if (step.withTimeout) Object.assign(node, { timeout: '15m', on_timeout: other() });
      } else if (step.kind === 'sync_call') {
        Object.assign(node, {
          capability_id: 'core-process-response',
          output_keys: step.keys,
          on_success: next,
        });
        if (step.withOther) node.on_failure = other();
        if (step.withTimeout) node.retry = { max_attempts: 3, interval: '1s', backoff_rate: 2 };
      } else {
        node.choices = [{ when: 'amount > 10', next: other() }];
        node.default = next;
      }
      nodes[`N${i}`] = node;
    });
    nodes.Done = { type: 'end' };
    // An end node nothing leads to would be unreachable, so Failed exists only when something uses it.
    if (failedUsed) nodes.Failed = { type: 'end', status: 'FAILED' };
    return { workflow_name: 'Chain', workflow_id: 'chain_v1', entry_point: 'N0', nodes };
  });

/** A diagnostic without its position, which depends on how the YAML was laid out. */
const unplaced = (d: Diagnostic) => ({
  severity: d.severity,
  code: d.code,
  path: d.path,
  message: d.message,
});

describe('validateDefinition on generated definitions', () => {
  it('never throws, and a definition it accepts is accepted again unchanged', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(randomDefinition, chainDefinition), (value) => {
        const text = stringify(value);
        const first = validateChecked('generated.yaml', text);
        if (first.definition === undefined) {
          rejected++;
          return;
        }
        accepted++;
        const again = validateChecked('generated.yaml', stringify(first.definition));
        expect(again.definition).toEqual(first.definition);
        expect(again.diagnostics.map(unplaced)).toEqual(first.diagnostics.map(unplaced));
      }),
      { numRuns: RUNS.structures, seed: SEED },
    );
    // Both outcomes must actually be exercised, or the property says little.
    expect(accepted).toBeGreaterThan(RUNS.structures / 10);
    expect(rejected).toBeGreaterThan(RUNS.structures / 10);
  });

  it('accepts every chain definition, which is valid by construction', () => {
    fc.assert(
      fc.property(chainDefinition, (value) => {
        const result = validateChecked('chain.yaml', stringify(value));
        expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
        expect(result.definition).toEqual(value);
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('treats node types and names that are Object.prototype members as plain text', () => {
    const members = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__proto__'];
    for (const member of members) {
      const asType = `workflow_name: P\nworkflow_id: p_v1\nentry_point: A\nnodes:\n  A:\n    type: ${member}\n  Done:\n    type: end\n`;
      expect(validateChecked('prototype.yaml', asType).diagnostics.map((d) => d.code)).toEqual([
        'unknown-node-type',
      ]);
      // As a node name, a field name, a target and the entry point, all at once.
      const asName = [
        'workflow_name: P',
        'workflow_id: p_v1',
        `entry_point: ${member}`,
        'nodes:',
        `  ${member}:`,
        '    type: sync_call',
        '    capability_id: core-process-response',
        `    on_success: ${member}`,
        `    ${member}: 1`,
        '',
      ].join('\n');
      const codes = validateChecked('prototype.yaml', asName).diagnostics.map((d) => d.code);
      expect(codes).toContain('unknown-field');
      expect(codes).not.toContain('unknown-target');
    }
  });
});
