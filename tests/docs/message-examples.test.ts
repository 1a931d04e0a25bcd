import { STATUS_VIEW_FIELDS } from '../../orchestrator/src/runtime/instance-record';
import { JSON_SCHEMAS } from '../../orchestrator/src/schemas/json-schemas';
import { fencedBlocks } from './markdown-blocks';

/**
 * docs/messages.md cannot rot: each `json` example with a `type` is checked against the zod model of that
 * type (the same models the orchestrator parses with), every message type has an example, and the status
 * record example has exactly the public fields.
 */
const blocks = fencedBlocks('messages.md').filter((b) => b.info.startsWith('json'));
const messageSchemas = new Map(
  JSON_SCHEMAS.filter((entry) => entry.id !== 'workflow-definition').map((entry) => [entry.id, entry.schema]),
);
const examples = blocks
  .filter((b) => b.info === 'json')
  .map((b) => ({ line: b.line, value: JSON.parse(b.text) as unknown }))
  .filter((e): e is { line: number; value: { type: string } } => {
    const value = e.value as { type?: unknown };
    return typeof value === 'object' && value !== null && typeof value.type === 'string';
  });

describe('docs/messages.md', () => {
  it('every code block is JSON', () => {
    for (const block of blocks) expect(() => JSON.parse(block.text) as unknown).not.toThrow();
  });

  it.each(examples.map((e) => [e.line, e.value.type, e.value] as const))(
    'the example at line %i is a valid %s',
    (_line, type, value) => {
      const schema = messageSchemas.get(type);
      expect(schema).toBeDefined();
      const parsed = schema?.safeParse(value);
      expect(parsed?.error?.issues ?? []).toEqual([]);
    },
  );

  it('has an example of every message type (add one here when a type is added)', () => {
    const shown = new Set(examples.map((e) => e.value.type));
    expect([...messageSchemas.keys()].filter((type) => !shown.has(type))).toEqual([]);
  });

  it('shows the status record with exactly the fields wf status --json prints', () => {
    const status = blocks.filter((b) => b.info === 'json status');
    expect(status).toHaveLength(1);
    const record = JSON.parse(status[0]?.text ?? '{}') as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual([...STATUS_VIEW_FIELDS].sort());
  });
});
