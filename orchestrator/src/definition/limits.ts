/** Bounds on hostile or runaway input, checked before and while parsing. */
export const DEFINITION_LIMITS = {
  /** Largest definition file accepted, in bytes. */
  maxBytes: 1024 * 1024,
  /** Most nodes in one workflow. */
  maxNodes: 500,
  /** Deepest nesting of YAML collections; real definitions stay under 8. */
  maxDepth: 32,
  /** Most alias expansions while building the value; defeats "billion laughs". */
  maxAliasCount: 100,
  /** Most errors reported for one file; past it, one last error says the report stops there. */
  maxErrors: 200,
  /** Longest JSONata expression evaluation in a choice, in milliseconds. */
  expressionTimeoutMs: 1000,
} as const;

/** How deep sub_workflows (and maps) may nest (a definition that starts itself would otherwise never stop). */
export const MAX_SUB_WORKFLOW_DEPTH = 10;
