import { sha256Of } from '../definition/content-hash';
import type { Diagnostic } from '../definition/diagnostic';
import { toMermaid } from '../definition/mermaid-graph';
import { validateDefinition } from '../definition/validate-definition';
import { isTerminal } from '../runtime/instance-record';
import { partitionsFor } from './instance-filter';
import { mergedIndexPage } from './merged-index-pages';
import type { DefinitionFilesPort, InstanceQueryPort } from './operations-ports';

/** One version of a definition: a content its instances pinned, or the current file's. */
export interface DefinitionVersion {
  readonly sha256: string;
  /** The bucket's current file has this content (a START now pins it). */
  readonly current: boolean;
  /** Instances started on it, among the ones read (see CatalogEntry.instances_read). */
  readonly instances: number;
  /** Of those, the ones still live (RUNNING, WAITING): they go on reading this snapshot. */
  readonly live: number;
  /** The newest start among them; null when none was read. */
  readonly last_started_at: string | null;
  /**
   * Its pinned snapshot is in the bucket. A version instances use must have one (a live instance whose
   * snapshot is gone cannot take its next step); the current version has none until a START pins it.
   */
  readonly pinned: boolean;
}

/** One definition file in the bucket, as `wf validate` and `wf graph` see it, with its versions in use. */
export interface CatalogEntry {
  readonly key: string;
  readonly sha256: string;
  /** From the definition; from its `workflow_id:` line when it does not validate; null without one. */
  readonly workflow_id: string | null;
  readonly title: string | null;
  /** Errors and warnings of `wf validate`; a definition with an error has no graph. */
  readonly diagnostics: readonly Diagnostic[];
  /** `wf graph`'s Mermaid text; null when the definition does not validate. */
  readonly graph: string | null;
  /** The current version first, then the others by newest start. */
  readonly versions: readonly DefinitionVersion[];
  /** How many of the workflow's instances were read to count `versions` (the newest ones). */
  readonly instances_read: number;
  /** More instances of the workflow exist than were read: the counts are of the newest ones. */
  readonly instances_more: boolean;
}

/** Instances read per workflow to find its versions in use, newest first (one index page, one BatchGet each 100). */
export const DEFAULT_INSTANCES_PER_WORKFLOW = 200;

/**
 * Every current definition file in the bucket, validated and drawn as `wf validate` and `wf graph` do,
 * with the versions (pinned sha256s) its instances run on. The versions come from the instances, not
 * from the pinned snapshots: a snapshot is named by its content only, and the records say which workflow
 * and which instances use it. They are read through the instance indexes (no scan): the newest
 * `instancesPerWorkflow` instances of each workflow, whatever their status.
 */
export async function definitionsCatalog(
  files: DefinitionFilesPort,
  instances: InstanceQueryPort,
  options: { readonly instancesPerWorkflow?: number } = {},
): Promise<CatalogEntry[]> {
  const limit = options.instancesPerWorkflow ?? DEFAULT_INSTANCES_PER_WORKFLOW;
  const [keys, pinnedList] = await Promise.all([files.definitionKeys(), files.pinnedSha256s()]);
  const pinned = new Set(pinnedList);
  const usage = new Map<string, Promise<WorkflowUsage>>();
  const entries = await Promise.all(
    keys.map(async (key): Promise<CatalogEntry | undefined> => {
      const text = await files.definitionText(key);
      // Deleted between the listing and the read.
      if (text === undefined) return undefined;
      const { definition, diagnostics } = validateDefinition(key, text);
      const workflowId = definition?.workflow_id ?? workflowIdOf(text);
      const sha256 = sha256Of(text);
      let used: WorkflowUsage = { versions: [], read: 0, more: false };
      if (workflowId !== null) {
        if (!usage.has(workflowId)) usage.set(workflowId, workflowUsage(instances, workflowId, limit));
        used = await (usage.get(workflowId) as Promise<WorkflowUsage>);
      }
      const current = used.versions.find((v) => v.sha256 === sha256) ?? {
        sha256,
        instances: 0,
        live: 0,
        last_started_at: null,
      };
      return {
        key,
        sha256,
        workflow_id: workflowId,
        title: definition?.workflow_name ?? null,
        diagnostics,
        graph: definition ? toMermaid(definition) : null,
        versions: [current, ...used.versions.filter((v) => v !== current)].map((v) => ({
          ...v,
          current: v.sha256 === sha256,
          pinned: pinned.has(v.sha256),
        })),
        instances_read: used.read,
        instances_more: used.more,
      };
    }),
  );
  return entries.filter((e): e is CatalogEntry => e !== undefined);
}

type VersionUse = Omit<DefinitionVersion, 'current' | 'pinned'>;

interface WorkflowUsage {
  /** By newest start. */
  readonly versions: readonly VersionUse[];
  readonly read: number;
  readonly more: boolean;
}

/** The sha256s the newest `limit` instances of a workflow pinned, with how many use each. */
async function workflowUsage(
  port: InstanceQueryPort,
  workflowId: string,
  limit: number,
): Promise<WorkflowUsage> {
  const partitions = partitionsFor({ workflow_id: workflowId });
  const page = await mergedIndexPage(
    port,
    partitions,
    partitions.map(() => 'start' as const),
    {},
    limit,
  );
  const records = await port.records(page.entries.map((e) => e.instance_id));
  const versions = new Map<string, { instances: number; live: number; last_started_at: string }>();
  // Newest start first (the merged page's order), so each version's first record is its newest.
  for (const entry of page.entries) {
    const record = records.get(entry.instance_id);
    if (!record || record.workflow_id !== workflowId) continue;
    const version = versions.get(record.definition.sha256) ?? {
      instances: 0,
      live: 0,
      last_started_at: record.created_at,
    };
    version.instances++;
    if (!isTerminal(record.status)) version.live++;
    versions.set(record.definition.sha256, version);
  }
  return {
    versions: [...versions].map(([sha256, v]) => ({ sha256, ...v })),
    read: records.size,
    more: !page.exhausted,
  };
}

/** The `workflow_id:` line of a definition's text, valid or not. */
function workflowIdOf(text: string): string | null {
  const match = /^workflow_id:\s*['"]?([A-Za-z0-9_.-]+)/m.exec(text);
  return match?.[1] ?? null;
}
