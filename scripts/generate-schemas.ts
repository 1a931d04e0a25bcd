import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMAS, renderJsonSchema } from '../orchestrator/src/schemas/json-schemas';

// Regenerates schemas/*.json from the zod models: `pnpm schemas`.
const dir = join(__dirname, '..', 'schemas');
for (const entry of JSON_SCHEMAS) {
  writeFileSync(join(dir, entry.file), renderJsonSchema(entry));
  process.stdout.write(`wrote schemas/${entry.file}\n`);
}
