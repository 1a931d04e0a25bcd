import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../definition/diagnostic';
import { validateDefinition, type ValidationResult } from '../definition/validate-definition';
import type { WorkflowDefinition } from '../definition/workflow-schema';

/** A definition a sub_workflow or map names, as `wf run` uploads it beside the one it runs. */
export interface ChildDefinition {
  readonly key: string;
  readonly text: string;
}

/** A sub_workflow or map whose child's definition has no file in the folder searched. */
export interface MissingChildDefinition {
  /** The key of the found child whose node names it; undefined when the node is the searched definition's. */
  readonly parentKey?: string;
  readonly node: string;
  readonly type: 'sub_workflow' | 'map';
  /** The workflow the node starts. */
  readonly workflowId: string;
  /** The key looked for: the node's definition_key, else `<workflow_id>.yaml`. */
  readonly key: string;
  /** The field that gives the key: definition_key when the node has one. */
  readonly field: 'workflow_id' | 'definition_key';
}

/** A child definition found, with its validation (under its key), which the search needed to go deeper. */
export interface FoundChildDefinition extends ChildDefinition {
  readonly validation: ValidationResult;
}

/** What a search of the folder of a definition found for the children it starts, and theirs in turn. */
export interface ChildDefinitionSearch {
  readonly found: FoundChildDefinition[];
  /** One entry per node naming a key with no file, in the order the search met them. */
  readonly missing: MissingChildDefinition[];
}

/**
 * The definitions the sub_workflows and maps of `definition` start, found in the folder `dir` of the file being run
 * under the key each names (its `definition_key`, default `<workflow_id>.yaml`), and theirs in turn. A key
 * with no file there is left out: a deployed bucket may hold it already (`wf start`, run-test), and a child
 * with no definition fails with UNKNOWN_WORKFLOW, which the run shows. `wf run`, whose private stack has
 * nothing but these, refuses such a key instead (searchChildDefinitions). `read` gives a file's text, or
 * undefined when it is absent.
 */
export function childDefinitions(
  dir: string,
  definition: WorkflowDefinition,
  read: (file: string) => string | undefined,
): FoundChildDefinition[] {
  return searchChildDefinitions(dir, definition, read).found;
}

/**
 * As childDefinitions, and also every node naming a key with no file in `dir`: for a caller whose children can
 * come from nowhere else (`wf run` loads only these), each is a child that could never start.
 */
export function searchChildDefinitions(
  dir: string,
  definition: WorkflowDefinition,
  read: (file: string) => string | undefined,
): ChildDefinitionSearch {
  const found = new Map<string, FoundChildDefinition>();
  const missing: MissingChildDefinition[] = [];
  // Keys known to have no file, so a second node naming one is reported without reading it again.
  const absent = new Set<string>();
  const visit = (parent: WorkflowDefinition, parentKey: string | undefined) => {
    for (const [name, node] of Object.entries(parent.nodes)) {
      if (node.type !== 'sub_workflow' && node.type !== 'map') continue;
      const key = node.definition_key ?? `${node.workflow_id}.yaml`;
      if (found.has(key)) continue;
      const text = absent.has(key) ? undefined : read(join(dir, key));
      if (text === undefined) {
        absent.add(key);
        missing.push({
          ...(parentKey === undefined ? {} : { parentKey }),
          node: name,
          type: node.type,
          workflowId: node.workflow_id,
          key,
          field: node.definition_key === undefined ? 'workflow_id' : 'definition_key',
        });
        continue;
      }
      const validation = validateDefinition(key, text);
      found.set(key, { key, text, validation });
      if (validation.definition) visit(validation.definition, key);
    }
  };
  visit(definition, undefined);
  return { found: [...found.values()], missing };
}

/**
 * The diagnostics of the child definitions that do not validate, each under its file as the user would
 * name it (`dir`, the folder of the parent as given, joined with the child's key): such a child could
 * never start, so `wf run` and `wf start` refuse the parent before anything runs or is sent.
 */
export function invalidChildDiagnostics(
  dir: string,
  children: readonly FoundChildDefinition[],
): Diagnostic[] {
  return children.flatMap(({ validation }) =>
    validation.definition ? [] : validation.diagnostics.map((d) => ({ ...d, file: join(dir, d.file) })),
  );
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
