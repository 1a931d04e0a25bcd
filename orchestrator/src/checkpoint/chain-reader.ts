import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { decodeEnvelope } from './envelope';
import { expandEnvelope } from './envelope-compression';
import { CheckpointCorruptError } from './errors';
import { joinChunks } from './item-chunking';
import { itemSizeBytes, type Item } from './item-size';
import { KnownValue, type KnownValues } from './known-values';
import {
  ATTR,
  bodyLinkFrom,
  chainOf,
  checkpointSortKey,
  chunkDataFrom,
  chunkSortKey,
  inlineValuesFrom,
  itemKey,
  sortKeyOf,
  type ChunkedValue,
  type Key,
  type StoredValue,
  type ValueLocation,
} from './storage-layout';
import type { CheckpointTable } from './table-io';
import {
  JSON_SERDE_TYPE,
  TOP_LEVEL_SHAPE,
  applyDelta,
  decodeDelta,
  type DeltaLink,
  type EntriesShape,
  type ObjectEntries,
} from './value-deltas';

/*
 * Reads stored envelopes: in hand (inline in an item already read), inline in an origin checkpoint item (a
 * channel value in its `v`, or its body link in `cp`), or in chunk sets; each expanded if compressed, and
 * assembled from its chain when stored as deltas (storage-layout).
 *
 * A chain is read from its newest suffix this process already knows (known-values): the links older than
 * that suffix are neither fetched nor applied. Stored links never change, and a known value is only ever
 * used for exactly the chain it was assembled from (the same origins and chunk sets), so this changes what
 * a read costs, never what it returns. The checkpoint item itself is always read from the table (the reader
 * must see whether it is committed), so a read stays strongly consistent.
 *
 * All links not known are fetched in one BatchGetItem (a second one only for chunks named by an origin item
 * rather than by the referencing item).
 */

/** One stored link: an envelope in hand, or what an origin checkpoint item stores for a channel or its body. */
export type LinkRef =
  | { readonly stored: StoredValue }
  | { readonly origin: string; readonly channel: string }
  | { readonly origin: string; readonly body: true };

export interface ValueRequest {
  /** The value's chain, newest link first; a value stored whole is a chain of one. */
  readonly links: readonly LinkRef[];
  /** How its entries are read when it is a chain (channel values by top-level key by default). */
  readonly shape?: EntriesShape;
  /** For a checkpoint's channel value or body with deltas on: where it is stored, and the values known. */
  readonly chain?: KnownChain;
}

export interface KnownChain {
  /** The location of the value: one link per entry of `links`. */
  readonly location: ValueLocation;
  readonly known: KnownValues;
  /** The key of the value in `known` (the channel). */
  readonly channel: string;
  /** A value read whole is remembered (`Loaded.known`) only from this many stored bytes up. */
  readonly minWholeBytes: number;
  /**
   * Whether a value assembled from deltas is remembered with its JSON text as well as its entries, so the
   * next read of exactly it rebuilds nothing (bodies: small, and read after every write; values can be
   * megabytes, held once).
   */
  readonly keepPayload: boolean;
}

export interface Loaded {
  readonly value: unknown;
  /** The value as a known value at its location, when the request had a `chain` and it qualifies. */
  readonly known?: KnownValue | undefined;
}

/** A link's stored envelope (or its expansion, from a pack) and the length it is stored at. */
interface StoredLink {
  readonly bytes: Uint8Array;
  readonly length: number;
}

interface ReadPlan {
  readonly request: ValueRequest;
  /** The links to fetch and apply, newest first: those newer than `start`, or the whole chain. */
  readonly links: readonly LinkRef[];
  /** The newest suffix of the chain known in memory. */
  readonly start?: KnownValue | undefined;
}

export class ChainReader {
  constructor(
    private readonly table: CheckpointTable,
    private readonly serde: SerializerProtocol,
  ) {}

  /**
   * The deserialized values of `requests`, in order. Items fetched go to `fetched`, and items already in it
   * are not fetched again (a listing passes one for all its checkpoints, whose chains share links).
   */
  async load(
    threadId: string,
    ns: string,
    requests: readonly ValueRequest[],
    fetched: FetchedItems = new FetchedItems(),
  ): Promise<Loaded[]> {
    const plans = requests.map((request) => this.plan(threadId, ns, request));
    fetched.beginRead();
    const fetch = async (keys: readonly Key[]) => {
      const missing = keys.filter((key) => !fetched.has(key.SK.S));
      if (missing.length === 0) return;
      const projection = [ATTR.sk, ATTR.values, ATTR.packedValues, ATTR.checkpoint, ATTR.chunkData];
      for (const item of await this.table.batchGet(missing, projection)) fetched.add(sortKeyOf(item), item);
    };
    // One batch read fetches the origin items and every chunk whose reference is already known.
    await fetch(
      plans.flatMap((plan) =>
        plan.links.flatMap((link) => {
          if ('origin' in link) return [itemKey(threadId, checkpointSortKey(ns, link.origin))];
          return link.stored.kind === 'chunked' ? chunkKeys(threadId, link.stored) : [];
        }),
      ),
    );
    const originValues = new Map<string, ReadonlyMap<string, StoredValue>>();
    const originItem = (originId: string, what: string): Item => {
      const item = fetched.get(checkpointSortKey(ns, originId));
      if (item === undefined) {
        throw new CheckpointCorruptError(`${what} stored by checkpoint ${originId} is missing`);
      }
      return item;
    };
    const resolve = (link: LinkRef): StoredValue => {
      if (!('origin' in link)) return link.stored;
      if ('body' in link) return bodyLinkFrom(originItem(link.origin, 'the body'));
      const sk = checkpointSortKey(ns, link.origin);
      let values = originValues.get(sk);
      if (values === undefined) {
        values = inlineValuesFrom(originItem(link.origin, `value of ${link.channel}`));
        originValues.set(sk, values);
      }
      const value = values.get(link.channel);
      if (value === undefined) {
        throw new CheckpointCorruptError(
          `value of ${link.channel} stored by checkpoint ${link.origin} is missing`,
        );
      }
      return value;
    };
    const stored = plans.map((plan) => plan.links.map(resolve));
    // Only an origin holding a chunk reference needs a second read; carried chunked values are in `r`.
    await fetch(
      stored.flat().flatMap((value) => (value.kind === 'chunked' ? chunkKeys(threadId, value) : [])),
    );
    const bytesOf = (value: StoredValue): StoredLink => {
      if (value.kind === 'inline') {
        return { bytes: value.bytes, length: value.storedLength ?? value.bytes.byteLength };
      }
      const bytes = joinChunks(value, (seq) => {
        const item = fetched.get(chunkSortKey(value.chunkSetId, seq));
        return item === undefined ? undefined : chunkDataFrom(item);
      });
      return { bytes, length: bytes.byteLength };
    };
    return Promise.all(plans.map((plan, i) => this.assemble(plan, (stored[i] ?? []).map(bytesOf))));
  }

  /** Which links of a request to read: all of them, or only those newer than a suffix known in memory. */
  private plan(threadId: string, ns: string, request: ValueRequest): ReadPlan {
    const { links, chain } = request;
    const [first] = links;
    const inHand =
      links.length === 1 && first !== undefined && 'stored' in first && first.stored.kind === 'inline';
    if (chain === undefined || inHand) return { request, links };
    const locations = chainOf(chain.location);
    if (locations.length !== links.length) {
      throw new CheckpointCorruptError(`a chain of ${links.length} links has ${locations.length} locations`);
    }
    for (let i = 0; i < locations.length; i += 1) {
      const known = chain.known.get(threadId, ns, chain.channel, locations[i] as ValueLocation);
      if (known?.entries() !== undefined) return { request, links: links.slice(0, i), start: known };
    }
    return { request, links };
  }

  /** A value from the stored bytes of the links its plan read (newest first). */
  private async assemble(plan: ReadPlan, stored: readonly StoredLink[]): Promise<Loaded> {
    const { request, start } = plan;
    const shape = request.shape ?? TOP_LEVEL_SHAPE;
    const chain = request.chain;
    if (start === undefined && stored.length === 1) {
      const { bytes, length } = stored[0] as StoredLink;
      const envelope = expandEnvelope(bytes);
      const { type, payload } = decodeEnvelope(envelope);
      const value: unknown = await this.serde.loadsTyped(type, payload);
      const remember = chain !== undefined && type === JSON_SERDE_TYPE && length >= chain.minWholeBytes;
      return {
        value,
        known: remember ? new KnownValue(chain.location, length, [], { payload }, shape) : undefined,
      };
    }
    if (start !== undefined && stored.length === 0) {
      // Exactly a value known here: nothing to fetch or apply.
      const payload = start.payload() as Uint8Array;
      return { value: (await this.serde.loadsTyped(JSON_SERDE_TYPE, payload)) as unknown, known: start };
    }
    let entries: ObjectEntries;
    let wholeBytes: number;
    let older: readonly DeltaLink[];
    let deltas: readonly StoredLink[];
    if (start !== undefined) {
      // Entries of a known value are shared: copy them before applying newer deltas.
      entries = new Map(start.entries());
      wholeBytes = start.wholeBytes;
      older = start.links;
      deltas = stored;
    } else {
      const whole = stored[stored.length - 1];
      if (whole === undefined) throw new CheckpointCorruptError('a value reference has no link');
      const { type, payload } = decodeEnvelope(expandEnvelope(whole.bytes));
      const read = type === JSON_SERDE_TYPE ? shape.entriesOf(payload) : undefined;
      if (read === undefined) {
        throw new CheckpointCorruptError(`the whole value under a delta is not a JSON object (type ${type})`);
      }
      entries = read;
      wholeBytes = whole.length;
      older = [];
      deltas = stored.slice(0, -1);
    }
    const newer: DeltaLink[] = [];
    for (let i = deltas.length - 1; i >= 0; i -= 1) {
      const { bytes, length } = deltas[i] as StoredLink;
      const delta = decodeDelta(expandEnvelope(bytes), `delta ${i} of a chain of ${stored.length}`);
      applyDelta(entries, delta);
      newer.push({ delta, bytes: length });
    }
    newer.reverse();
    const payload = shape.payloadOf(entries);
    const value: unknown = await this.serde.loadsTyped(JSON_SERDE_TYPE, payload);
    if (chain === undefined) return { value };
    const source = chain.keepPayload ? { entries, payload } : { entries };
    return { value, known: new KnownValue(chain.location, wholeBytes, [...newer, ...older], source, shape) };
  }
}

/**
 * Items fetched by one read, by sort key (one partition); up to a budget, also kept for the next reads of
 * the same call, beyond it only for the read that fetched them.
 */
export class FetchedItems {
  private readonly items = new Map<string, Item>();
  private readonly current = new Map<string, Item>();
  private bytes = 0;

  constructor(private readonly budgetBytes = 0) {}

  /** Forgets what the previous read kept beyond the budget. */
  beginRead(): void {
    this.current.clear();
  }

  has(sk: string): boolean {
    return this.items.has(sk) || this.current.has(sk);
  }

  get(sk: string): Item | undefined {
    return this.items.get(sk) ?? this.current.get(sk);
  }

  add(sk: string, item: Item): void {
    const size = itemSizeBytes(item);
    if (this.bytes + size <= this.budgetBytes) {
      this.items.set(sk, item);
      this.bytes += size;
    } else {
      this.current.set(sk, item);
    }
  }
}

function chunkKeys(threadId: string, ref: ChunkedValue): Key[] {
  return Array.from({ length: ref.chunkCount }, (_, seq) =>
    itemKey(threadId, chunkSortKey(ref.chunkSetId, seq)),
  );
}
