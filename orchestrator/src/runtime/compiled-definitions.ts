import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { formatDiagnostic } from '../definition/diagnostic';
import { validateDefinitionCore } from '../definition/definition-validation';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { compileWorkflow, type CompiledWorkflow } from '../graph/compile-workflow';
import type { EngineDependencies } from '../graph/engine-dependencies';
import type { InstanceRecord } from './instance-record';
import type { DefinitionStore, DefinitionText } from './ports';

const MAX_CACHED = 64;

/**
 * The definitions a worker runs, validated and compiled once per content (sha256) per process: most
 * messages name a definition this worker has seen, and validation and compilation are the costliest part
 * of a START. An instance runs the definition pinned at its START, never the one under its key today.
 */
export class CompiledDefinitions {
  private readonly graphs = new Map<string, CompiledWorkflow>();
  /** What the runtime needs of a definition beside its graph, by sha256 (cached with the graph). */
  private readonly facts = new Map<string, DefinitionFacts>();
  private readonly validations = new Map<string, ReturnType<typeof validateDefinitionCore>>();

  constructor(
    private readonly store: DefinitionStore,
    private readonly deps: EngineDependencies,
    private readonly checkpointer: BaseCheckpointSaver,
  ) {}

  /** `text` validated as the definition under `key` (cached by content and key). */
  validated(key: string, text: DefinitionText): ReturnType<typeof validateDefinitionCore> {
    const cacheKey = `${text.sha256}|${key}`;
    const cached = this.validations.get(cacheKey);
    if (cached) return cached;
    // Errors decide a START; the warnings-only key-flow analysis is left out (see ValidateOptions.keyFlow).
    const result = validateDefinitionCore(key, text.text, { syncCapabilities: this.deps.syncCapabilities });
    remember(this.validations, cacheKey, result);
    return result;
  }

  /** The compiled graph of the instance's pinned definition; `validated` spares START a second parse. */
  async graphFor(record: InstanceRecord, validated?: WorkflowDefinition): Promise<CompiledWorkflow> {
    const { sha256, key } = record.definition;
    const cached = this.graphs.get(sha256);
    if (cached) return cached;
    const definition = validated ?? (await this.loadPinned(sha256, key));
    const graph = compileWorkflow(definition, this.deps, this.checkpointer);
    remember(this.facts, sha256, factsOf(definition));
    remember(this.graphs, sha256, graph);
    return graph;
  }

  /** The capability an async_request `node` of the instance's definition calls; undefined for any other node. */
  async capabilityOf(record: InstanceRecord, node: string): Promise<string | undefined> {
    return (await this.factsOf(record)).capabilities[node];
  }

  /** Whether `node` of the instance's definition is a sub_workflow (its wait is answered by a child). */
  async awaitsChild(record: InstanceRecord, node: string): Promise<boolean> {
    return (await this.factsOf(record)).children.has(node);
  }

  /** Context keys of the instance's definition whose values may be logged (`loggable_keys`). */
  async loggableKeys(record: InstanceRecord): Promise<readonly string[]> {
    return (await this.factsOf(record)).loggableKeys;
  }

  private async factsOf(record: InstanceRecord): Promise<DefinitionFacts> {
    const known = this.facts.get(record.definition.sha256);
    if (known) return known;
    const definition = await this.loadPinned(record.definition.sha256, record.definition.key);
    const facts = factsOf(definition);
    remember(this.facts, record.definition.sha256, facts);
    return facts;
  }

  /** The pinned definition `sha256` (stored under `key` when it was pinned), validated. */
  async loadPinned(sha256: string, key: string): Promise<WorkflowDefinition> {
    const text = await this.store.loadPinned(sha256);
    if (text === undefined) throw new Error(`pinned definition ${sha256} of '${key}' is missing`);
    const { definition, diagnostics } = validateDefinitionCore(key, text, {
      syncCapabilities: this.deps.syncCapabilities,
      pinned: true,
    });
    if (!definition) {
      throw new Error(
        `pinned definition ${sha256} no longer validates: ${diagnostics.map(formatDiagnostic).join('; ')}`,
      );
    }
    return definition;
  }
}

interface DefinitionFacts {
  /** async_request node -> its capability_id. */
  readonly capabilities: Readonly<Record<string, string>>;
  /** sub_workflow and map nodes: their waits are answered by child instances. */
  readonly children: ReadonlySet<string>;
  readonly loggableKeys: readonly string[];
}

function factsOf(definition: WorkflowDefinition): DefinitionFacts {
  const capabilities: Record<string, string> = {};
  const children = new Set<string>();
  for (const [name, node] of Object.entries(definition.nodes)) {
    if (node.type === 'async_request') capabilities[name] = node.capability_id;
    if (node.type === 'sub_workflow' || node.type === 'map') children.add(name);
  }
  return { capabilities, children, loggableKeys: definition.loggable_keys ?? [] };
}

/** Caches `value` under `key`, dropping the oldest entry past MAX_CACHED. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}
