import { BODY_SHAPE, nestedEntriesOf, nestedText } from './body-entries';
import { CheckpointCorruptError } from './errors';
import { applyDelta, diffEntries, encodeDelta, decodeDelta } from './value-deltas';

/** A body shaped like LangGraph's after `nodes` async_request nodes of the engine. */
function bodyOf(nodes: number, id = 'id-1'): Record<string, unknown> {
  const channelVersions: Record<string, number> = { __start__: 2, context: 2 * nodes, waits: 2 * nodes + 1 };
  const seen: Record<string, Record<string, number>> = { __input__: {}, __start__: { __start__: 1 } };
  const interrupt: Record<string, number> = { context: 2 * nodes - 1 };
  for (let i = 1; i <= nodes; i += 1) {
    channelVersions[`branch:to:Step_${i}`] = 2 * i + 1;
    seen[`Step_${i}`] = { [`branch:to:Step_${i}`]: 2 * i };
    interrupt[`branch:to:Step_${i}`] = 2 * i + 1;
  }
  seen.__interrupt__ = interrupt;
  return { v: 4, id, ts: '2026-11-26T16:36:08.808Z', channel_versions: channelVersions, versions_seen: seen };
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('body entries', () => {
  it('addresses every version by its path and rebuilds the exact text', () => {
    const text = JSON.stringify(bodyOf(3));
    const entries = nestedEntriesOf(text, 3);
    expect(entries?.get('/channel_versions/branch:to:Step_2')).toBe('5');
    expect(entries?.get('/versions_seen/__interrupt__/context')).toBe('5');
    expect(entries?.get('/versions_seen/__input__')).toBe('{}');
    expect(entries?.get('/id')).toBe('"id-1"');
    expect(nestedText(entries as Map<string, string>)).toBe(text);
  });

  it('escapes `/` and `~` in keys (JSON Pointer), and keeps odd keys, arrays and deep objects as leaves', () => {
    const value = {
      'a/b': { '~x': 1, '': [1, { deep: true }] },
      'quote"d\\': { inner: { deeper: { deepest: 1 } } },
      é: null,
      empty: {},
    };
    const text = JSON.stringify(value);
    const entries = nestedEntriesOf(text, 3) as Map<string, string>;
    expect([...entries.keys()]).toEqual(['/a~1b/~0x', '/a~1b/', '/quote"d\\/inner/deeper', '/é', '/empty']);
    expect(entries.get('/quote"d\\/inner/deeper')).toBe('{"deepest":1}');
    expect(nestedText(entries)).toBe(text);
  });

  it('turns one body into the next through a delta of the versions that changed', () => {
    const before = bodyOf(400);
    const after = bodyOf(401, 'id-2');
    const a = BODY_SHAPE.entriesOf(encode(JSON.stringify(before))) as Map<string, string>;
    const b = BODY_SHAPE.entriesOf(encode(JSON.stringify(after))) as Map<string, string>;
    const delta = diffEntries(a, b);
    const stored = encodeDelta(delta);
    // A body of 400 nodes is about 40 KB; the step's delta is its few changed versions.
    expect(JSON.stringify(before).length).toBeGreaterThan(30_000);
    expect(stored.byteLength).toBeLessThan(600);
    applyDelta(a, decodeDelta(stored, 'test delta'));
    const rebuilt: unknown = JSON.parse(new TextDecoder().decode(BODY_SHAPE.payloadOf(a)));
    expect(rebuilt).toStrictEqual(after);
  });

  it('follows an empty object that gains keys, and one that loses them all', () => {
    const a = nestedEntriesOf('{"seen":{"n":{}},"x":{"k":1}}', 3) as Map<string, string>;
    const b = nestedEntriesOf('{"seen":{"n":{"c":2}},"x":{}}', 3) as Map<string, string>;
    applyDelta(a, diffEntries(a, b));
    expect(JSON.parse(nestedText(a))).toStrictEqual({ seen: { n: { c: 2 } }, x: {} });
  });

  it('refuses what is not an object, and paths that cannot be one object', () => {
    expect(nestedEntriesOf('[1,2]', 3)).toBeUndefined();
    expect(nestedEntriesOf('{"a":{"b":}', 3)).toBeUndefined();
    expect(nestedEntriesOf('{}', 3)?.size).toBe(0);
    expect(() =>
      nestedText(
        new Map([
          ['/a', '1'],
          ['/a/b', '2'],
        ]),
      ),
    ).toThrow(CheckpointCorruptError);
    expect(() =>
      nestedText(
        new Map([
          ['/a/b', '1'],
          ['/a', '2'],
        ]),
      ),
    ).toThrow(CheckpointCorruptError);
    expect(() => nestedText(new Map([['a', '1']]))).toThrow(CheckpointCorruptError);
  });
});
