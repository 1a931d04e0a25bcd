import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMAS, renderJsonSchema } from './json-schemas';

const schemasDir = join(__dirname, '..', '..', '..', 'schemas');

describe('checked-in JSON Schemas', () => {
  it.each(JSON_SCHEMAS.map((entry) => [entry.file, entry] as const))(
    '%s matches the zod model (run `pnpm schemas` after changing a model)',
    (file, entry) => {
      const checkedIn = readFileSync(join(schemasDir, file), 'utf8');
      expect(checkedIn).toBe(renderJsonSchema(entry));
    },
  );

  it('the definition schema rejects unknown fields and names every node kind', () => {
    const schema = JSON.parse(renderJsonSchema(JSON_SCHEMAS[0]!)) as {
      additionalProperties: boolean;
      properties: {
        nodes: { additionalProperties: { oneOf: { properties: { type: { const: string } } }[] } };
      };
    };
    expect(schema.additionalProperties).toBe(false);
    const kinds = schema.properties.nodes.additionalProperties.oneOf.map((o) => o.properties.type.const);
    expect(kinds).toEqual([
      'async_request',
      'sync_call',
      'choice',
      'parallel',
      'set',
      'wait',
      'sub_workflow',
      'map',
      'end',
    ]);
  });
});
