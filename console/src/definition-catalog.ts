import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { pinnedKey } from '../../orchestrator/src/aws/s3-definition-store';
import { sha256Of } from '../../orchestrator/src/definition/content-hash';
import type { Diagnostic } from '../../orchestrator/src/definition/diagnostic';
import { toMermaid } from '../../orchestrator/src/definition/mermaid-graph';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import { resourceNames } from '../../orchestrator/src/naming/resource-names';

/** One definition file in the bucket, as the definitions page shows it. */
export interface CatalogEntry {
  readonly key: string;
  readonly sha256: string;
  readonly workflow_id: string | null;
  readonly title: string | null;
  /** Errors and warnings of `wf validate`; a definition with an error has no graph. */
  readonly diagnostics: readonly Diagnostic[];
  /** `wf graph`'s Mermaid text; null when the definition does not validate. */
  readonly graph: string | null;
  /** sha256 of the pinned snapshots of this workflow (one per version an instance started on). */
  readonly pinned: readonly string[];
}

/** How many pinned snapshots the page reads to learn their workflow (each is one GetObject). */
const PINNED_SAMPLE = 200;

/** The prefix under which pinned snapshots live (see pinnedKey). */
const PINNED_PREFIX = pinnedKey('').replace(/\.yaml$/, '');

/**
 * The definitions bucket read for the console: the current YAML files (not under the pinned prefix), each
 * validated and drawn as `wf validate` and `wf graph` do, with the versions pinned by instances.
 * Nothing in the query layer lists definitions yet; this reads the bucket directly, read-only.
 */
export async function definitionCatalog(target: OperatorTarget): Promise<CatalogEntry[]> {
  const bucket = resourceNames(target.stage).definitionsBucket;
  const s3 = new S3Client(target.clients.s3);
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    const read = async (key: string) => {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await response.Body?.transformToString('utf8')) ?? '';
    };
    const yaml = (key: string) => /\.ya?ml$/.test(key);
    const pinnedByWorkflow = new Map<string, string[]>();
    for (const key of keys.filter((k) => k.startsWith(PINNED_PREFIX) && yaml(k)).slice(0, PINNED_SAMPLE)) {
      const workflowId = workflowIdOf(await read(key));
      if (workflowId === null) continue;
      const sha256 = key.slice(PINNED_PREFIX.length).replace(/\.ya?ml$/, '');
      pinnedByWorkflow.set(workflowId, [...(pinnedByWorkflow.get(workflowId) ?? []), sha256]);
    }
    const entries: CatalogEntry[] = [];
    for (const key of keys.filter((k) => !k.startsWith(PINNED_PREFIX) && yaml(k)).sort()) {
      const text = await read(key);
      const { definition, diagnostics } = validateDefinition(key, text);
      const workflowId = definition?.workflow_id ?? workflowIdOf(text);
      entries.push({
        key,
        sha256: sha256Of(text),
        workflow_id: workflowId,
        title: definition?.workflow_name ?? null,
        diagnostics,
        graph: definition ? toMermaid(definition) : null,
        pinned: workflowId === null ? [] : (pinnedByWorkflow.get(workflowId) ?? []),
      });
    }
    return entries;
  } finally {
    s3.destroy();
  }
}

/** The `workflow_id:` line of a definition's text, valid or not (a pinned snapshot was valid when pinned). */
function workflowIdOf(text: string): string | null {
  const match = /^workflow_id:\s*['"]?([A-Za-z0-9_.-]+)/m.exec(text);
  return match?.[1] ?? null;
}
