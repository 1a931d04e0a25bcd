/** Which engine runs the workflows of a deployment (CDK context `engine`). */
export type EngineKind = 'langgraph' | 'stepfunctions';

/** Reads context `engine`: `langgraph` (the default) or `stepfunctions`; anything else is an error. */
export function readEngine(tryGetContext: (key: string) => unknown): EngineKind {
  const value = tryGetContext('engine') ?? 'langgraph';
  if (value === 'langgraph' || value === 'stepfunctions') return value;
  throw new Error(`Invalid CDK context 'engine': ${JSON.stringify(value)} (langgraph or stepfunctions)`);
}
