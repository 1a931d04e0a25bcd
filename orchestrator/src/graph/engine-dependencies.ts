import type { SyncCapability } from '../sync-capabilities/registry';
import type { ExpressionLimits } from './expression';
import type { RequestIds } from './request-ids';

/** Time, as the engine sees it: injected so tests run on a deterministic fake clock. */
export interface Clock {
  now(): Date;
  /** Waits `ms` of this clock's time (used between sync_call retries). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What compiled workflow nodes need from the outside world. */
export interface EngineDependencies {
  readonly clock: Clock;
  readonly syncCapabilities: Readonly<Record<string, SyncCapability>>;
  readonly expressionLimits?: ExpressionLimits;
  /**
   * Tags request ids with the deployment's key, so replies cannot be forged (see RequestIds). Without it,
   * ids are `<instance>:<node>:<visit>`: only for graph tests that never take a reply from outside.
   */
  readonly requestIds?: RequestIds;
  /** How child instances ended (a map collects its items' outputs); the runtime provides it. */
  readonly children?: ChildOutcomes;
}

/** A child instance as its parent's map sees it when collecting: its status and output. */
export interface ChildOutcome {
  readonly status: string;
  readonly output?: Readonly<Record<string, unknown>>;
}

export interface ChildOutcomes {
  /** The outcome of each instance, in order; undefined for one that does not exist. */
  outcomes(instanceIds: readonly string[]): Promise<readonly (ChildOutcome | undefined)[]>;
}
