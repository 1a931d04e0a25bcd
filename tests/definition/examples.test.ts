/**
 * The example workflows in workflow-definitions/ are valid, point editors at the JSON Schema, and the seed's
 * example is kept byte for byte as the seed README gives it. The project never reads the seed documents:
 * their example was copied, once, into `tests/fixtures/seed/cch-seed-example.yaml` (the body of the seed
 * README's one yaml block), so a clone with nothing beside it passes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatDiagnostic } from '../../orchestrator/src/definition/diagnostic';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';

const REPO_ROOT = resolve(__dirname, '..', '..');
const EXAMPLES_DIR = join(REPO_ROOT, 'workflow-definitions');
const SCHEMA_LINE = '# yaml-language-server: $schema=../schemas/workflow-definition.schema.json';
const SEED_FIXTURE = join(REPO_ROOT, 'tests', 'fixtures', 'seed', 'cch-seed-example.yaml');
const SEED_EXAMPLE = 'import_vn_memphis_v1.yaml';

const exampleNames = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const read = (name: string): string => readFileSync(join(EXAMPLES_DIR, name), 'utf8');

/** The text after the first line (and its newline). */
function afterFirstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? '' : text.slice(end + 1);
}

/** The seed README's example, as its one yaml block gives it (copied into a fixture of its own). */
function seedExample(): string {
  return readFileSync(SEED_FIXTURE, 'utf8');
}

describe('example workflow definitions', () => {
  it('include the seed example and the other examples', () => {
    expect(exampleNames).toEqual(
      expect.arrayContaining([SEED_EXAMPLE, 'export_screening_v1.yaml', 'fanout_a_b_c_v1.yaml']),
    );
  });

  describe.each(exampleNames)('%s', (name) => {
    it('begins with the yaml-language-server line that points at the workflow JSON Schema', () => {
      const text = read(name);
      expect(text.split('\n')[0]).toBe(SCHEMA_LINE);
      const schema = resolve(EXAMPLES_DIR, SCHEMA_LINE.split('$schema=')[1] ?? '');
      expect(existsSync(schema)).toBe(true);
      expect(dirname(schema)).toBe(join(REPO_ROOT, 'schemas'));
    });

    it('validates with no errors', () => {
      const result = validateDefinition(name, read(name));
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      expect(errors).toEqual([]);
      expect(result.definition).toBeDefined();
      expect(`${result.definition?.workflow_id}.yaml`).toBe(name);
    });
  });

  it(`keeps ${SEED_EXAMPLE} identical to the seed README's example after its first line`, () => {
    const example = seedExample();
    // Compare as text first, for a readable diff, then as raw bytes (no decoding of the example file).
    expect(afterFirstLine(read(SEED_EXAMPLE))).toBe(example);
    const bytes = readFileSync(join(EXAMPLES_DIR, SEED_EXAMPLE));
    expect(bytes.subarray(bytes.indexOf(0x0a) + 1).equals(Buffer.from(example, 'utf8'))).toBe(true);
  });

  it('the seed example itself validates with no errors', () => {
    const result = validateDefinition(SEED_EXAMPLE, seedExample());
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    expect(result.definition?.workflow_id).toBe('import_vn_memphis_v1');
  });
});

/** The language v2 example (`pnpm start` runs it): a parent and the children its map and sub_workflow start. */
describe('the language v2 example workflows', () => {
  const dir = join(EXAMPLES_DIR, 'language-v2');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('are the parent and both children', () => {
    expect(names).toEqual(['classify_line_v2.yaml', 'order_fulfilment_v2.yaml', 'screen_buyer_v2.yaml']);
  });

  it.each(names)('%s validates with no diagnostic at all and points at the JSON Schema', (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text.split('\n')[0]).toBe(SCHEMA_LINE.replace('../schemas', '../../schemas'));
    const result = validateDefinition(name, text);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(`${result.definition?.workflow_id}.yaml`).toBe(name);
  });

  it('the parent uses map, sub_workflow, wait, set and input/result mapping', () => {
    const parent = validateDefinition(
      'p',
      readFileSync(join(dir, 'order_fulfilment_v2.yaml'), 'utf8'),
    ).definition;
    const kinds = new Set(Object.values(parent?.nodes ?? {}).map((n) => n.type));
    expect([...kinds].sort()).toEqual(['end', 'map', 'set', 'sub_workflow', 'wait']);
    const screen = parent?.nodes.Screen_Buyer;
    expect(screen?.type === 'sub_workflow' && screen.input !== undefined && screen.result !== undefined).toBe(
      true,
    );
  });
});
