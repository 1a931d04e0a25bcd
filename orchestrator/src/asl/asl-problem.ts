import type { PathSegment } from '../definition/diagnostic';

/**
 * Something a definition says that Amazon States Language cannot express as the engine runs it. The
 * compiler reports these instead of writing a state machine that would behave differently.
 */
export interface AslProblem {
  /** Stable code, e.g. `asl-state-name-too-long`. */
  readonly code: string;
  /** The node the problem is in. */
  readonly node: string;
  /** Where in the definition, e.g. ['nodes', 'Fetch', 'timeout']. */
  readonly path: readonly PathSegment[];
  /** A plain sentence naming the node. */
  readonly message: string;
}
