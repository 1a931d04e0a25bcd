import { validateDefinition } from '../definition/validate-definition';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { definitionFilesIn } from '../naming/definition-files';
import type { ChildDefinitions } from './child-states';

/**
 * The definitions under `dir` (its subfolders too) by workflow id, read once on first use: where
 * `wf asl` finds the children a definition starts, as the deployment finds them in workflow-definitions/.
 * An invalid file or a workflow id two files declare answers nothing (the deployment refuses both).
 */
export function childDefinitionsIn(dir: string): ChildDefinitions {
  let index: Map<string, WorkflowDefinition | undefined> | undefined;
  return (workflowId) => {
    if (index === undefined) {
      const built = new Map<string, WorkflowDefinition | undefined>();
      for (const file of definitionFilesIn(dir)) {
        const { definition } = validateDefinition(file.name, file.text);
        if (!definition) continue;
        const id = definition.workflow_id;
        built.set(id, built.has(id) ? undefined : definition);
      }
      index = built;
    }
    return index.get(workflowId);
  };
}
