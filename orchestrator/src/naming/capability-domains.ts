import { validateDefinition } from '../definition/validate-definition';
import { definitionFilesIn } from './definition-files';
import { capabilityDomain } from './resource-names';

/**
 * The capability domains the workflow definitions under a folder (its subfolders too) send requests to:
 * each needs a request queue.
 * The CDK app and the local stack both provision queues from this, plus any domains configured on top.
 * Invalid definitions are skipped here; `wf validate` is where they are reported.
 */
export function capabilityDomainsIn(definitionsDir: string, extra: readonly string[] = []): string[] {
  const domains = new Set<string>(extra.map((d) => capabilityDomain(`${d}#x`)));
  for (const file of definitionFilesIn(definitionsDir)) {
    const { definition } = validateDefinition(file.name, file.text);
    for (const node of Object.values(definition?.nodes ?? {})) {
      if (node.type === 'async_request') domains.add(capabilityDomain(node.capability_id));
    }
  }
  return [...domains].sort();
}
