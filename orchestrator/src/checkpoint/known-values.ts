import type { ValueLocation } from './storage-layout';
import { objectEntriesOf, type DeltaLink, type ObjectEntries } from './value-deltas';

/*
 * JSON object values this saver recently wrote or read, so that the next checkpoint can store only what
 * changed in them. LangGraph reads a checkpoint (`getTuple`) or writes it (`put`) right before writing its
 * child, so the parent's values are normally here; when one is not (another process wrote the parent and
 * this one never read it), the child simply stores the value whole.
 *
 * An entry is keyed by where the value is stored (thread, namespace, channel, the checkpoint that stored its
 * newest link) and holds the whole chain it was assembled from; `get` returns it only for exactly that chain
 * (origins and chunk sets of every link), so an entry can never stand for another value. Stored values never
 * change (storage-layout), so entries never go stale. Entries hold the value's entries (key -> JSON text),
 * computed lazily from the payload of a value read whole, and are evicted least recently used first, by
 * count and by an estimate of their size.
 */

export class KnownValue {
  /** Approximate memory held, for the cache's budget. */
  readonly sizeEstimate: number;
  private payload: Uint8Array | undefined;
  private memo: ObjectEntries | undefined;

  /**
   * @param location where the value is stored (its chain)
   * @param wholeBytes envelope bytes of the whole value at the end of the chain
   * @param links the deltas of the chain, newest first (one per link before the whole value)
   */
  constructor(
    readonly location: ValueLocation,
    readonly wholeBytes: number,
    readonly links: readonly DeltaLink[],
    source: { readonly entries: ObjectEntries } | { readonly payload: Uint8Array },
  ) {
    if ('entries' in source) this.memo = source.entries;
    else this.payload = source.payload;
    this.sizeEstimate =
      links.reduce((sum, link) => sum + link.bytes, 0) +
      ('entries' in source ? entriesSize(source.entries) : source.payload.byteLength);
  }

  /** The value's entries; `undefined` if its payload is not a JSON object. Callers must not change them. */
  entries(): ObjectEntries | undefined {
    if (this.payload !== undefined) {
      this.memo = objectEntriesOf(this.payload);
      this.payload = undefined;
    }
    return this.memo;
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
    const key = cacheKey(threadId, ns, channel, location);
    const known = this.entries.get(key);
    if (known === undefined || !sameChain(known.location, location)) return undefined;
    this.entries.delete(key);
    this.entries.set(key, known);
    return known;
  }

  set(threadId: string, ns: string, channel: string, known: KnownValue): void {
    const key = cacheKey(threadId, ns, channel, known.location);
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

function cacheKey(threadId: string, ns: string, channel: string, location: ValueLocation): string {
  return `${threadId}\u0000${ns}\u0000${channel}\u0000${location.originId}`;
}

function entriesSize(entries: ObjectEntries): number {
  let size = 0;
  for (const [key, text] of entries) size += key.length + text.length + 16;
  return size;
}
