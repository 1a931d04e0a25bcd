/** Which engine runs the workflows of a deployment (CDK context `engine`). */
export type EngineKind = 'langgraph' | 'stepfunctions';

/** Reads context `engine`: `langgraph` (the default) or `stepfunctions`; anything else is an error. */
export function readEngine(tryGetContext: (key: string) => unknown): EngineKind {
  const value = tryGetContext('engine') ?? 'langgraph';
  if (value === 'langgraph' || value === 'stepfunctions') return value;
  throw new Error(`Invalid CDK context 'engine': ${JSON.stringify(value)} (langgraph or stepfunctions)`);
}

/** Context `engines` read: the deployment's default engine and each explicit choice. */
export interface EngineChoices {
  /** Context `engine`. */
  readonly fallback: EngineKind;
  /** Context `engines`, by workflow id: only the ids it names. */
  readonly chosen: ReadonlyMap<string, EngineKind>;
}

/**
 * Which engine runs each definition: context `engines`, a JSON map `{ "<workflow_id>": "langgraph" |
 * "stepfunctions" }` (an object, or its JSON text as `cdk -c` passes it), over the deployment's default
 * `engine`. Where a workflow runs is a deployment concern, like `engine`, so it lives in the deployment's
 * context and not in the workflow language: the same YAML runs in either mode unchanged. A workflow id the
 * map names but no definition has (`workflowIds`) is an error (a typo would otherwise deploy the wrong
 * engine silently).
 */
export function readEngineChoices(
  tryGetContext: (key: string) => unknown,
  workflowIds: readonly string[],
): EngineChoices {
  const fallback = readEngine(tryGetContext);
  const raw = tryGetContext('engines') ?? {};
  let map: unknown;
  try {
    map = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw new Error(`Invalid CDK context 'engines': not JSON: ${raw as string}`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new Error(`Invalid CDK context 'engines': ${JSON.stringify(raw)} (a map of workflow_id to engine)`);
  }
  const chosen = new Map<string, EngineKind>();
  for (const [workflowId, engine] of Object.entries(map as Record<string, unknown>)) {
    if (!workflowIds.includes(workflowId)) {
      throw new Error(`Invalid CDK context 'engines': no definition has workflow_id '${workflowId}'`);
    }
    if (engine !== 'langgraph' && engine !== 'stepfunctions') {
      throw new Error(
        `Invalid CDK context 'engines': ${workflowId}: ${JSON.stringify(engine)} (langgraph or stepfunctions)`,
      );
    }
    chosen.set(workflowId, engine);
  }
  return { fallback, chosen };
}
