import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A workflow definition file of a deployment's definitions folder. */
export interface DefinitionFile {
  /** Its path from the folder, with `/` between parts (`language-v2/order_fulfilment_v2.yaml`). */
  readonly name: string;
  readonly text: string;
}

/**
 * Every `.yaml`/`.yml` file under `dir`, in its subfolders too, sorted by name: teams group definitions in
 * folders (a parent beside the children its sub_workflows and maps start), and what the CDK app and the
 * local stack provision for them (capability queues, alarms, state machines) must not depend on where a
 * file sits. Folders named `node_modules` and hidden ones are skipped.
 */
export function definitionFilesIn(dir: string): DefinitionFile[] {
  const files: DefinitionFile[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
        files.push({ name: relative(dir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
      }
    }
  };
  visit(dir);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
