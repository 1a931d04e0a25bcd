import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import {
  DEFAULT_DELTA_LIMITS,
  applyDelta,
  composeDeltas,
  decodeDelta,
  diffEntries,
  encodeDelta,
  objectEntriesOf,
  objectPayload,
  planDelta,
  type DeltaLink,
  type JsonObjectDelta,
  type ObjectEntries,
} from './value-deltas';

const serde = new JsonPlusSerializer();

async function payloadOf(value: unknown): Promise<Uint8Array> {
  const [type, payload] = await serde.dumpsTyped(value);
  expect(type).toBe('json');
  return payload;
}

function entriesOf(value: Record<string, unknown>): ObjectEntries {
  return new Map(Object.entries(value).map(([key, v]) => [key, JSON.stringify(v)]));
}

/** Deterministic pseudo-random numbers, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('JSON object deltas', () => {
  it('rebuilds exactly what the serde wrote: undefined, Map, Set, Date, __proto__ and nested values', async () => {
    const value = {
      kept: { nested: [1, 'two', null, { deep: true }] },
      missingLater: 'x',
      undefinedValue: undefined,
      map: new Map<string, unknown>([['a', 1]]),
      set: new Set([1, 2]),
      date: new Date(Date.UTC(2025, 0, 1)),
      ['__proto__']: { polluted: true },
      '': 'empty key',
      '10': 'integer-like key',
      unicode: 'é中😀\u2028',
    };
    Object.defineProperty(value, '__proto__', { value: { polluted: true }, enumerable: true });
    const next = { ...value, missingLater: undefined, added: { n: 1 } } as Record<string, unknown>;
    delete next.missingLater;
    Object.defineProperty(next, '__proto__', { value: { changed: 1 }, enumerable: true });

    const base = objectEntriesOf(await payloadOf(value));
    const target = objectEntriesOf(await payloadOf(next));
    if (!base || !target) throw new Error('both are JSON objects');
    const delta = diffEntries(base, target);
    expect([...delta.set.keys()].sort()).toEqual(['__proto__', 'added']);
    expect([...delta.del]).toEqual(['missingLater']);

    const decoded = decodeDelta(encodeDelta(delta), 'test delta');
    const rebuilt = new Map(base);
    applyDelta(rebuilt, decoded);
    const read = (await serde.loadsTyped('json', objectPayload(rebuilt))) as Record<string, unknown>;
    const expected: unknown = await serde.loadsTyped('json', await payloadOf(next));
    // Strict: `undefinedValue` is present with the value undefined, as the serde itself reads it back.
    expect(read).toStrictEqual(expected);
    expect(Object.prototype.hasOwnProperty.call(read, 'undefinedValue')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(read, 'missingLater')).toBe(false);
    // (The serde's reviver assigns `__proto__` like any key, which sets the object's prototype: the value
    // read is still the one the serde reads back from what it wrote, and nothing global is touched.)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).changed).toBeUndefined();
    expect(read.map).toBeInstanceOf(Map);
  });

  it('takes only JSON objects: arrays, strings, numbers and null are stored whole', async () => {
    for (const value of [[1, 2], 'text', 42, null, true]) {
      expect(objectEntriesOf(await payloadOf(value))).toBeUndefined();
    }
    expect(objectEntriesOf(new TextEncoder().encode('{not json'))).toBeUndefined();
    expect(objectEntriesOf(await payloadOf({}))).toEqual(new Map());
  });

  it('splits any JSON object into the exact text of each top-level value (random values)', () => {
    const next = random(11);
    const pieces = [
      'a',
      '"',
      '\\',
      '\n',
      '\u0000',
      'é',
      '中',
      '😀',
      '\ud800',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      ' ',
    ];
    const randomString = () =>
      Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join(
        '',
      );
    const randomValue = (depth: number): unknown => {
      const roll = next();
      if (depth > 3 || roll < 0.3) {
        const leaf = [randomString(), next() * 1e6 - 5e5, 1e21, -0, 5e-324, true, false, null];
        return leaf[Math.floor(next() * leaf.length)];
      }
      if (roll < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 4) }, () => [randomString(), randomValue(depth + 1)]),
      );
    };
    const encode = (text: string) => new TextEncoder().encode(text);
    for (let round = 0; round < 300; round += 1) {
      const value = Object.fromEntries(
        Array.from({ length: Math.floor(next() * 6) }, () => [randomString(), randomValue(0)]),
      );
      const compact = objectEntriesOf(encode(JSON.stringify(value)));
      expect([...(compact?.keys() ?? [])]).toEqual(Object.keys(value));
      for (const [key, text] of compact ?? []) expect(text).toBe(JSON.stringify(value[key]));
      // Whitespace (a serde other than JsonPlusSerializer) changes texts, never values.
      const pretty = objectEntriesOf(encode(JSON.stringify(value, null, 2)));
      expect(Object.fromEntries([...(pretty ?? [])].map(([k, t]) => [k, JSON.parse(t) as unknown]))).toEqual(
        JSON.parse(JSON.stringify(value)),
      );
    }
    for (const malformed of [
      '{"a":1',
      '{"a":1}x',
      '{"a" 1}',
      '{a:1}',
      '{"a":}',
      '{"a":"x}',
      '{"a":1,}',
      '',
    ]) {
      expect(objectEntriesOf(encode(malformed))).toBeUndefined();
    }
  });

  it('composes deltas like applying them one after the other (random sequences)', () => {
    const next = random(7);
    const keys = ['a', 'b', 'c', 'd', 'e', '__proto__'];
    const randomDelta = (): JsonObjectDelta => {
      const set = new Map<string, string>();
      const del = new Set<string>();
      for (const key of keys) {
        const roll = next();
        if (roll < 0.3) set.set(key, JSON.stringify({ v: Math.floor(next() * 100) }));
        else if (roll < 0.45) del.add(key);
      }
      return { set, del };
    };
    for (let round = 0; round < 200; round += 1) {
      const base = entriesOf({ a: 1, c: [3], e: 'five' });
      const deltas = Array.from({ length: 1 + Math.floor(next() * 5) }, randomDelta);
      const stepwise = new Map(base);
      for (const delta of deltas) applyDelta(stepwise, delta);
      const composed = deltas.reduce((older, newer) => composeDeltas(older, newer));
      const once = new Map(base);
      applyDelta(once, composed);
      expect(new Map([...once].sort())).toEqual(new Map([...stepwise].sort()));
      for (const key of composed.del) expect(composed.set.has(key)).toBe(false);
      const fromTarget = diffEntries(base, stepwise);
      const viaDiff = new Map(base);
      applyDelta(viaDiff, fromTarget);
      expect(new Map([...viaDiff].sort())).toEqual(new Map([...stepwise].sort()));
    }
  });

  it('refuses a stored delta that is not one', () => {
    const notDelta = new Uint8Array([4, ...new TextEncoder().encode('json{}')]);
    expect(() => decodeDelta(notDelta, 'x')).toThrow(/not a delta/);
  });
});

describe('planDelta', () => {
  const limits = DEFAULT_DELTA_LIMITS;
  const WHOLE = 1024 * 1024;
  const change = (key: string, bytes = 40): JsonObjectDelta => ({
    set: new Map([[key, JSON.stringify('v'.repeat(bytes))]]),
    del: new Set(),
  });

  /** Runs `steps` changes through the policy; returns the chain after each step and the bytes written. */
  function simulate(changes: JsonObjectDelta[], wholeBytes = WHOLE) {
    let links: DeltaLink[] = [];
    let written = 0;
    let wholes = 0;
    const depths: number[] = [];
    for (const delta of changes) {
      const plan = planDelta(links, wholeBytes, wholeBytes, delta, limits);
      if (plan.kind === 'delta') {
        links = [{ delta: plan.delta, bytes: plan.envelope.byteLength }, ...links.slice(plan.replaces)];
        written += plan.envelope.byteLength;
      } else if (plan.kind === 'whole') {
        links = [];
        written += wholeBytes;
        wholes += 1;
      }
      depths.push(links.length);
    }
    return { written, wholes, depths, links };
  }

  it('keeps one link when the same key changes every step', () => {
    const result = simulate(Array.from({ length: 500 }, (_, i) => change('status', 30 + (i % 7))));
    expect(Math.max(...result.depths)).toBe(1);
    expect(result.wholes).toBe(0);
    expect(result.written / 500).toBeLessThan(100);
  });

  it('with a new key each step, stays within maxLinks and writes a small multiple of the change', () => {
    const steps = 2000;
    const result = simulate(Array.from({ length: steps }, (_, i) => change(`key_${i}`)));
    expect(Math.max(...result.depths)).toBeLessThanOrEqual(limits.maxLinks);
    const changeBytes = encodeDelta(change('key_1000')).byteLength;
    // Amortized: merges (about log2 of the steps) plus whole rewrites when the chain reaches half the value.
    expect(result.written / steps).toBeLessThan(10 * changeBytes);
    const chainBytes = result.links.reduce((sum, link) => sum + link.bytes, 0);
    expect(chainBytes).toBeLessThanOrEqual(WHOLE * limits.maxChainFraction);
  });

  it('stores whole when the change is too large, the value shrank, or nothing changed at all', () => {
    expect(planDelta([], WHOLE, WHOLE, change('big', WHOLE / 2), limits).kind).toBe('whole');
    expect(planDelta([], WHOLE, WHOLE / 3, change('small'), limits).kind).toBe('whole');
    expect(planDelta([], WHOLE, WHOLE, { set: new Map(), del: new Set() }, limits).kind).toBe('unchanged');
    const plan = planDelta([], WHOLE, WHOLE, change('k'), limits);
    expect(plan.kind === 'delta' && plan.replaces).toBe(0);
  });
});
