import type { InstanceStatusView } from '../runtime/instance-record';
import type { CapabilityMocks } from '../capability-mocks/capability-mocks';

/** How long `wf run` follows an instance on the embedded stack, where delays and waits take real time. */
export const EMBEDDED_RUN_TIMEOUT_MS = 20 * 60_000;

/**
 * Runs one workflow on the embedded local AWS (supplied by scripts/, which owns the local stack). Every
 * capability domain of the definition gets a request queue and a mock consumer first, so a definition may
 * use a domain no definition in the repository uses.
 */
export type EmbeddedRunner = (input: {
  readonly definitionFile: string;
  readonly context: Record<string, unknown>;
  readonly mocks: CapabilityMocks;
  /** Progress lines, unless printing JSON only. */
  readonly progress?: (line: string) => void;
}) => Promise<InstanceStatusView | undefined>;
