import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import { definitionFilesIn } from '../../orchestrator/src/naming/definition-files';

/**
 * The workflow ids of the valid definitions under a directory (its subfolders too), sorted and unique: each gets its own
 * workflows-failed alarm (Monitoring). Invalid definitions are skipped (`wf validate` reports them); a
 * workflow uploaded after the deploy is covered by the alarm over every workflow. `subfolders: false`: the
 * top level only, the definitions callers start, each on the engine context `engines` chooses (one in a
 * subfolder is a child a sub_workflow or map starts: a state machine when a Step Functions parent starts
 * it, see `definitionsIn`).
 */
export function workflowIdsIn(
  definitionsDir: string,
  options: { readonly subfolders?: boolean } = {},
): string[] {
  const ids = new Set<string>();
  const files = definitionFilesIn(definitionsDir);
  for (const file of options.subfolders === false ? files.filter((f) => !f.name.includes('/')) : files) {
    const { definition } = validateDefinition(file.name, file.text);
    if (definition) ids.add(definition.workflow_id);
  }
  return [...ids].sort();
}
