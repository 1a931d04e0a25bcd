import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary workflow-definitions folder; `remove` deletes it. */
export interface DefinitionsFolder {
  readonly dir: string;
  /** Writes `text` at `name` (`children/a.yaml`: the subfolder is created). */
  write(name: string, text: string): void;
  remove(): void;
}

export function definitionsFolder(files: Readonly<Record<string, string>> = {}): DefinitionsFolder {
  const dir = mkdtempSync(join(tmpdir(), 'sfn-definitions-'));
  const folder: DefinitionsFolder = {
    dir,
    write: (name, text) => {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const [name, text] of Object.entries(files)) folder.write(name, text);
  return folder;
}

/** A definition that starts no child: one `set`, then its end. */
export function leafDefinition(workflowId: string, initialContext = '[order]'): string {
  return `workflow_name: '${workflowId}'
workflow_id: ${workflowId}
entry_point: Mark
initial_context: ${initialContext}
nodes:
  Mark:
    type: set
    values:
      marked: 'true'
    next: Done
  Done:
    type: end
`;
}

/**
 * A definition that starts children: a sub_workflow node `Screen` of `subWorkflow`, then a map node
 * `Classify` running `map` per order line (either left out when not given).
 */
export function parentDefinition(
  workflowId: string,
  children: { readonly subWorkflow?: string; readonly map?: string },
): string {
  const nodes: string[] = [];
  const next = children.map === undefined ? 'Done' : 'Classify';
  if (children.subWorkflow !== undefined) {
    nodes.push(`  Screen:
    type: sub_workflow
    workflow_id: ${children.subWorkflow}
    input_keys: [order]
    next: ${next}`);
  }
  if (children.map !== undefined) {
    nodes.push(`  Classify:
    type: map
    items: 'order.lines'
    workflow_id: ${children.map}
    item_key: order
    output_key: classified
    next: Done`);
  }
  const entry = children.subWorkflow === undefined ? next : 'Screen';
  return `workflow_name: '${workflowId}'
workflow_id: ${workflowId}
entry_point: ${entry}
initial_context: [order]
nodes:
${nodes.join('\n')}
  Done:
    type: end
`;
}
