import type { ValueLocation } from './storage-layout';
import { TOP_LEVEL_SHAPE, type DeltaLink, type EntriesShape, type ObjectEntries } from './value-deltas';

/*
 * JSON object values (and checkpoint bodies) this saver recently wrote or read, so that the next checkpoint
 * can store only what changed in them, and a read of a chain whose older links are known here fetches only
 * the newer ones. LangGraph reads a checkpoint (`getTuple`) or writes it (`put`) right before writing its
 * child, so the parent's values are normally here; when one is not (another process wrote the parent and
 * this one never read it), the child simply stores the value whole, and a read fetches the whole chain.
 *
 * An entry is keyed by where the value is stored (thread, namespace, channel, the checkpoint that stored its
 * newest link) and holds the whole chain it was assembled from; `get` returns it only for exactly that chain
 * (origins and chunk sets of every link), so an entry can never stand for another value. Stored values never
 * change (storage-layout), so entries never go stale. Entries hold the value's entries (key -> JSON text),
 * computed lazily from the payload of a value read whole, and are evicted least recently used first, by
 * count and by an estimate of their size.
 */

/**
 * Where a known value comes from: its entries, its JSON payload (read into entries when first needed, then
 * dropped), or both (both kept: a read of exactly this value then needs no rebuilding of its text).
 */
export type KnownSource =
  { readonly entries: ObjectEntries; readonly payload?: Uint8Array } | { readonly payload: Uint8Array };

export class KnownValue {
  /** Approximate memory held, for the cache's budget. */
  readonly sizeEstimate: number;
  private unparsed: Uint8Array | undefined;
  private readonly kept: Uint8Array | undefined;
  private memo: ObjectEntries | undefined;

  /**
   * @param location where the value is stored (its chain)
   * @param wholeBytes stored bytes of the whole value at the end of the chain
   * @param links the deltas of the chain, newest first (one per link before the whole value)
   * @param source the value's entries and/or its JSON payload, read into entries by `shape` when needed
   */
  constructor(
    readonly location: ValueLocation,
    readonly wholeBytes: number,
    readonly links: readonly DeltaLink[],
    source: KnownSource,
    private readonly shape: EntriesShape = TOP_LEVEL_SHAPE,
  ) {
    if ('entries' in source) {
      this.memo = source.entries;
      this.kept = source.payload;
    } else {
      this.unparsed = source.payload;
    }
    this.sizeEstimate =
      links.reduce((sum, link) => sum + link.bytes, 0) +
      ('entries' in source
        ? entriesSize(source.entries) + (source.payload?.byteLength ?? 0)
        : source.payload.byteLength);
  }

  /** The value's entries; `undefined` if its payload is not a JSON object. Callers must not change them. */
  entries(): ObjectEntries | undefined {
    if (this.unparsed !== undefined) {
      this.memo = this.shape.entriesOf(this.unparsed);
      this.unparsed = undefined;
    }
    return this.memo;
  }

  /** The value's JSON payload: as kept, or rebuilt from its entries. */
  payload(): Uint8Array | undefined {
    if (this.kept !== undefined) return this.kept;
    if (this.unparsed !== undefined) return this.unparsed;
    const entries = this.memo;
    return entries && this.shape.payloadOf(entries);
  }
}

export class KnownValues {
  private readonly entries = new Map<string, KnownValue>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes = 32 * 1024 * 1024,
    private readonly capacity = 256,
  ) {}

  get(threadId: string, ns: string, channel: string, location: ValueLocation): KnownValue | undefined {
    const key = cacheKey(threadId, ns, channel, location.originId);
    const known = this.entries.get(key);
    if (known === undefined || !sameChain(known.location, location)) return undefined;
    this.entries.delete(key);
    this.entries.set(key, known);
    return known;
  }

  /** The value of `channel` that checkpoint `originId` stored (the newest link of its chain), if known. */
  atOrigin(threadId: string, ns: string, channel: string, originId: string): KnownValue | undefined {
    const key = cacheKey(threadId, ns, channel, originId);
    const known = this.entries.get(key);
    if (known !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, known);
    }
    return known;
  }

  set(threadId: string, ns: string, channel: string, known: KnownValue): void {
    const key = cacheKey(threadId, ns, channel, known.location.originId);
    this.remove(key);
    if (known.sizeEstimate > this.budgetBytes) return;
    this.entries.set(key, known);
    this.bytes += known.sizeEstimate;
    while (this.entries.size > this.capacity || this.bytes > this.budgetBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  forgetThread(threadId: string): void {
    const prefix = `${threadId}\u0000`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.remove(key);
  }

  private remove(key: string): void {
    const known = this.entries.get(key);
    if (known === undefined) return;
    this.entries.delete(key);
    this.bytes -= known.sizeEstimate;
  }
}

/** Whether two locations are the same chain: the same origin and chunk set for every link. */
export function sameChain(a: ValueLocation | undefined, b: ValueLocation | undefined): boolean {
  for (; a !== undefined && b !== undefined; a = a.base, b = b.base) {
    if (a.originId !== b.originId) return false;
    if (a.chunked?.chunkSetId !== b.chunked?.chunkSetId) return false;
  }
  return a === undefined && b === undefined;
}

function cacheKey(threadId: string, ns: string, channel: string, originId: string): string {
  return `${threadId}\u0000${ns}\u0000${channel}\u0000${originId}`;
}

function entriesSize(entries: ObjectEntries): number {
  let size = 0;
  for (const [key, text] of entries) size += key.length + text.length + 16;
  return size;
}
