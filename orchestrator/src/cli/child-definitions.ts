import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDefinition } from '../definition/validate-definition';
import type { WorkflowDefinition } from '../definition/workflow-schema';

/** A definition a sub_workflow or map names, as `wf run` uploads it beside the one it runs. */
export interface ChildDefinition {
  readonly key: string;
  readonly text: string;
}

/**
 * The definitions the sub_workflows and maps of `definition` start, found in the folder `dir` of the file being run
 * under the key each names (its `definition_key`, default `<workflow_id>.yaml`), and theirs in turn. A key
 * with no file there is left out: the bucket may hold it already, and a child with no definition fails
 * with UNKNOWN_WORKFLOW, which the run shows. `read` gives a file's text, or undefined when it is absent.
 */
export function childDefinitions(
  dir: string,
  definition: WorkflowDefinition,
  read: (file: string) => string | undefined,
): ChildDefinition[] {
  const found = new Map<string, ChildDefinition>();
  const visit = (parent: WorkflowDefinition) => {
    for (const node of Object.values(parent.nodes)) {
      if (node.type !== 'sub_workflow' && node.type !== 'map') continue;
      const key = node.definition_key ?? `${node.workflow_id}.yaml`;
      if (found.has(key)) continue;
      const text = read(join(dir, key));
      if (text === undefined) continue;
      found.set(key, { key, text });
      const child = validateDefinition(key, text).definition;
      if (child) visit(child);
    }
  };
  visit(definition);
  return [...found.values()];
}
/** A file's text, or undefined when there is no such file. */
export function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
