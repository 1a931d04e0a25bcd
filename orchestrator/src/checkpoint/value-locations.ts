import type { ChannelVersions } from '@langchain/langgraph-checkpoint';
import { chainExpiry, type CheckpointRecord, type ValueLocation } from './storage-layout';

/*
 * Where each channel value of a checkpoint lives.
 *
 * LangGraph passes `put` the whole `channel_values` but names in `newVersions` only the channels that
 * changed. A changed value is stored by the new checkpoint; an unchanged one is already stored by the
 * ancestor that introduced it, and the new checkpoint records that ancestor instead of copying the value.
 * The parent's locations therefore determine the child's, which is why they are cached per checkpoint:
 * LangGraph always writes a checkpoint right after reading or writing its parent.
 *
 * A location is a chain when the value is stored as deltas (storage-layout): its `base` links go with it, so
 * a checkpoint that carries a value, or stores a delta over it, knows every item the value is made of.
 *
 * Invariant: a location, and every link of its chain, only ever points to a committed checkpoint of the same
 * thread and namespace (the parent, or a location the parent itself recorded), so following it cannot reach
 * a partial write.
 */

export type Locations = ReadonlyMap<string, ValueLocation>;

/** Every value a committed checkpoint references: the ones it introduced and the ones it carries. */
export function locationsOf(record: CheckpointRecord): Locations {
  const locations = new Map(record.carried);
  for (const [channel, stored] of record.values) {
    const base = record.bases.get(channel);
    locations.set(channel, {
      originId: record.checkpointId,
      ...(record.expiresAt !== undefined ? { originExpiresAt: record.expiresAt } : {}),
      ...(stored.kind === 'chunked' ? { chunked: stored } : {}),
      ...(base !== undefined ? { base } : {}),
    });
  }
  return locations;
}

/** Where a committed checkpoint's body is: its own body link, and the chain under it when that is a delta. */
export function bodyLocationOf(record: CheckpointRecord): ValueLocation {
  return {
    originId: record.checkpointId,
    ...(record.expiresAt !== undefined ? { originExpiresAt: record.expiresAt } : {}),
    ...(record.checkpoint.kind === 'chunked' ? { chunked: record.checkpoint } : {}),
    ...(record.bodyBase !== undefined ? { base: record.bodyBase } : {}),
  };
}

export interface CarryOverPlan {
  /** Unchanged channels whose value stays where the parent says it is. */
  readonly carried: Map<string, ValueLocation>;
  /** Unchanged channels to store again (whole), because an item of their chain expires too soon (TTL). */
  readonly restore: string[];
}

/**
 * For each channel of `channelVersions` not in `newVersions`, the parent's location of its value. A
 * channel the parent has no value for has none in the child either (it was never stored, or is empty).
 * With a TTL, a value any link of whose chain expires before `refreshBefore` is stored again by the child,
 * so the latest checkpoint never references items that expire long before it.
 */
export function planCarryOver(
  channelVersions: ChannelVersions,
  newVersions: ChannelVersions,
  parent: Locations | undefined,
  refreshBefore: number | undefined,
): CarryOverPlan {
  const carried = new Map<string, ValueLocation>();
  const restore: string[] = [];
  if (parent === undefined) return { carried, restore };
  for (const channel of Object.keys(channelVersions)) {
    if (Object.prototype.hasOwnProperty.call(newVersions, channel)) continue;
    const location = parent.get(channel);
    if (location === undefined) continue;
    if (refreshBefore !== undefined && chainExpiry(location) < refreshBefore) {
      restore.push(channel);
    } else {
      carried.set(channel, location);
    }
  }
  return { carried, restore };
}

/** The channels a new checkpoint carries without knowing where their values are: it must ask. */
export function needsParentLocations(
  channelVersions: ChannelVersions,
  newVersions: ChannelVersions,
): boolean {
  return Object.keys(channelVersions).some(
    (channel) => !Object.prototype.hasOwnProperty.call(newVersions, channel),
  );
}

/**
 * Locations of recently read or written checkpoints, least recently used evicted first. Entries never go
 * stale: a committed checkpoint item is never rewritten with different locations.
 */
export class LocationCache {
  private readonly entries = new Map<string, Locations>();

  constructor(private readonly capacity = 256) {}

  get(threadId: string, ns: string, checkpointId: string): Locations | undefined {
    const key = cacheKey(threadId, ns, checkpointId);
    const locations = this.entries.get(key);
    if (locations !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, locations);
    }
    return locations;
  }

  set(threadId: string, ns: string, checkpointId: string, locations: Locations): void {
    const key = cacheKey(threadId, ns, checkpointId);
    this.entries.delete(key);
    this.entries.set(key, locations);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  forgetThread(threadId: string): void {
    const prefix = `${threadId}\u0000`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

function cacheKey(threadId: string, ns: string, checkpointId: string): string {
  return `${threadId}\u0000${ns}\u0000${checkpointId}`;
}
