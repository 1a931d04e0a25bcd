import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';

/**
 * The workflow ids of the valid definitions in a directory, sorted and unique: each gets its own
 * workflows-failed alarm (Monitoring). Invalid definitions are skipped (`wf validate` reports them); a
 * workflow uploaded after the deploy is covered by the alarm over every workflow.
 */
export function workflowIdsIn(definitionsDir: string): string[] {
  const ids = new Set<string>();
  for (const file of readdirSync(definitionsDir).filter((f) => /\.ya?ml$/.test(f))) {
    const { definition } = validateDefinition(file, readFileSync(join(definitionsDir, file), 'utf8'));
    if (definition) ids.add(definition.workflow_id);
  }
  return [...ids].sort();
}
