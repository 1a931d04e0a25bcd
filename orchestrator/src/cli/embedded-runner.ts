import type { InstanceStatusView } from '../runtime/instance-record';
import type { CapabilityMocks, DefaultOutput } from '../capability-mocks/capability-mocks';

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
}) => Promise<EmbeddedRun>;

export interface EmbeddedRun {
  /** The instance's final status record; undefined when it was never created. */
  readonly view: InstanceStatusView | undefined;
  /**
   * How the stack's capability mock fills an expected output key its scenario leaves unset, so `wf run`
   * can tell such a value from real data (stand-in-value-hint.ts).
   */
  readonly defaultOutput: DefaultOutput;
  /**
   * The stack's log (JSON lines: the orchestrator's and the capability mock's), kept when the instance did
   * not succeed, for a closer look; a run that succeeded leaves no file behind.
   */
  readonly logFile?: string;
}
