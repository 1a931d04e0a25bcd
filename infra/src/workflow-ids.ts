import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import { definitionFilesIn } from '../../orchestrator/src/naming/definition-files';

/**
 * The workflow ids of the valid definitions under a directory (its subfolders too), sorted and unique: each gets its own
 * workflows-failed alarm (Monitoring). Invalid definitions are skipped (`wf validate` reports them); a
 * workflow uploaded after the deploy is covered by the alarm over every workflow.
 */
export function workflowIdsIn(definitionsDir: string): string[] {
  const ids = new Set<string>();
  for (const file of definitionFilesIn(definitionsDir)) {
    const { definition } = validateDefinition(file.name, file.text);
    if (definition) ids.add(definition.workflow_id);
  }
  return [...ids].sort();
}
