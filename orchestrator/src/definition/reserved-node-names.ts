/**
 * Node names LangGraph refuses for a workflow's nodes, since it looks node names up among the graph's
 * state channels (`name in channels`): the engine's channels (graph/workflow-state.ts, which a test holds
 * to this list) and every name an object inherits (`constructor`, `toString`, ...). A definition using one
 * would validate and then fail COMPILE_FAILED at its START, so validation refuses it.
 */
export const STATE_CHANNEL_NAMES = [
  'context',
  'waits',
  'resolved',
  'visits',
  'history',
  'attempts',
  'last_error',
  'branch_failures',
  'cancelled_parallels',
  'stopped',
  'maps',
  'outcome',
  'terminations',
] as const;

const INHERITED_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

/** Every reserved name a node name could take (inherited names such as `__proto__` cannot match one). */
export function reservedNodeNames(): string[] {
  return [...STATE_CHANNEL_NAMES, ...INHERITED_NAMES.filter((name) => /^[A-Za-z]/.test(name))];
}

export function isReservedNodeName(name: string): boolean {
  return (STATE_CHANNEL_NAMES as readonly string[]).includes(name) || INHERITED_NAMES.includes(name);
}

/**
 * The LangGraph node that runs one branch of a parallel (see graph/compile-workflow.ts). Node names may
 * hold '__', so two pairs can give one name (`A` + `B__C`, `A__B` + `C`): validation refuses that.
 */
export const BRANCH_NODE_PREFIX = '__branch__';
export const branchNodeName = (parallel: string, branch: string): string =>
  `${BRANCH_NODE_PREFIX}${parallel}__${branch}`;
