import { uuid6 } from '@langchain/langgraph-checkpoint';
import { encodeEnvelope } from './envelope';
import { compressEnvelope, expandEnvelope } from './envelope-compression';
import { CheckpointCorruptError } from './errors';
import { itemSizeBytes } from './item-size';
import {
  ATTR,
  checkpointItem,
  checkpointRecordFrom,
  inlineValuesFrom,
  type CheckpointRecord,
  type StoredValue,
  type ValueLocation,
} from './storage-layout';

const envelope = (text: string) => encodeEnvelope('json', new TextEncoder().encode(text));
const inline = (text: string): StoredValue => ({ kind: 'inline', bytes: envelope(text) });

/** A checkpoint whose body is a delta over a chain of two, carrying a value from a third checkpoint. */
function recordWith(ids: readonly string[]): CheckpointRecord {
  const [self, parent, grandparent, origin] = ids as [string, string, string, string];
  const bodyBase: ValueLocation = {
    originId: parent,
    base: {
      originId: grandparent,
      chunked: { kind: 'chunked', chunkSetId: 'set1', chunkCount: 1, byteLength: 5000 },
    },
  };
  return {
    threadId: 't',
    ns: '',
    checkpointId: self,
    parentId: parent,
    checkpoint: inline('delta'),
    bodyBase,
    metadata: inline('{}'),
    values: new Map([['context', inline('{"a":1}')]]),
    bases: new Map(),
    carried: new Map([['doc', { originId: origin }]]),
  };
}

describe('checkpoint item', () => {
  it('round-trips a body chain and carried values, listing uuid origins as 16 bytes each', () => {
    const ids = [uuid6(-1), uuid6(-1), uuid6(-1), uuid6(-1)];
    const record = recordWith(ids);
    const item = checkpointItem(record, undefined);
    expect(item[ATTR.origins]?.B?.byteLength).toBe(3 * 16);
    expect(item[ATTR.bodyBase]?.L).toHaveLength(2);
    expect(checkpointRecordFrom(item, undefined)).toStrictEqual(record);
  });

  it('lists other ids as strings, and reads uuid origins listed as strings (the previous layout)', () => {
    const record = recordWith(['cp-4', 'cp-3', 'cp-2', 'CP-1']);
    const item = checkpointItem(record, undefined);
    expect(item[ATTR.origins]?.L?.map((o) => o.S)).toEqual(['CP-1', 'cp-3', 'cp-2']);
    expect(checkpointRecordFrom(item, undefined)).toStrictEqual(record);

    const uuids = recordWith([uuid6(-1), uuid6(-1), uuid6(-1), uuid6(-1)]);
    const previous = checkpointItem(uuids, undefined);
    const hex = Buffer.from(previous[ATTR.origins]?.B as Uint8Array).toString('hex');
    const listed = [0, 1, 2].map((i) => hex.slice(32 * i, 32 * i + 32));
    previous[ATTR.origins] = {
      L: listed.map((id) => ({
        S: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
      })),
    };
    expect(checkpointRecordFrom(previous, undefined)).toStrictEqual(uuids);
  });
});

describe("a checkpoint item's values", () => {
  /** A step of an export workflow: each value small, their text repeating node names and request ids. */
  const stepValues = (): Map<string, StoredValue> => {
    const requestId = 'inst-0001:Manual_Review:1:vIrohJZgwv1Pi5XeeFlVaQ';
    const waits = {
      [requestId]: {
        kind: 'request',
        request_id: requestId,
        node: 'Manual_Review',
        capability_id: 'review#manual',
        since: '2026-11-28T09:27:45.961Z',
        deadline: '2026-12-05T09:27:45.961Z',
        input: { shipmentId: 'S-1', originCountry: 'VN', destinationCountry: 'US' },
        expected_output_keys: ['review_decision'],
      },
    };
    const context = {
      shipmentId: 'S-1',
      originCountry: 'VN',
      destinationCountry: 'US',
      screening_result: 'UNSURE',
      screening_report_uri: 's3://reports/inst-0001/Screen_Parties.json',
    };
    const visits = { Screen_Parties: 1, Record_Screening: 1, Route_On_Screening: 1, Manual_Review: 1 };
    const stored = (value: unknown): StoredValue => ({
      kind: 'inline',
      bytes: compressEnvelope(envelope(JSON.stringify(value))),
    });
    return new Map([
      ['context', stored(context)],
      ['visits', stored(visits)],
      ['waits', stored(waits)],
      ['resolved', stored({})],
      ['history', stored([])],
      ['branch:to:__wait__Manual_Review', stored('__start__')],
    ]);
  };
  const record = (values: ReadonlyMap<string, StoredValue>): CheckpointRecord => ({
    threadId: 't',
    ns: '',
    checkpointId: uuid6(-1),
    checkpoint: inline('{}'),
    metadata: inline('{}'),
    values,
    bases: new Map(),
    carried: new Map(),
  });

  it('are packed into one compressed attribute when that is smaller, and read back as stored', () => {
    const values = stepValues();
    const item = checkpointItem(record(values), undefined);
    expect(item[ATTR.values]).toBeUndefined();
    // One tiny value alone is smaller listed than packed.
    const listed = checkpointItem(record(new Map([...values].slice(3, 4))), undefined);
    expect(Object.keys(listed[ATTR.values]?.M ?? {})).toEqual(['resolved']);
    expect(listed[ATTR.packedValues]).toBeUndefined();
    const packedBytes = 2 + (item[ATTR.packedValues]?.B?.byteLength ?? Infinity);
    const listedBytes = itemSizeBytes({
      v: {
        M: Object.fromEntries([...values].map(([c, v]) => [c, { B: (v as { bytes: Uint8Array }).bytes }])),
      },
    });
    expect(packedBytes).toBeLessThan(listedBytes * 0.75);
    for (const read of [checkpointRecordFrom(item, undefined).values, inlineValuesFrom(item)]) {
      expect([...read.keys()]).toEqual([...values.keys()]);
      for (const [channel, value] of values) {
        const got = read.get(channel);
        const stored = (value as { bytes: Uint8Array }).bytes;
        expect(got?.kind).toBe('inline');
        if (got?.kind !== 'inline') continue;
        // The envelope comes back expanded, with the length it was stored at (compressed or not).
        expect(Buffer.from(got.bytes)).toEqual(Buffer.from(expandEnvelope(stored)));
        expect(got.storedLength).toBe(stored.byteLength);
      }
    }
  });

  it('keep a chunk reference listed beside the pack', () => {
    const chunked: StoredValue = { kind: 'chunked', chunkSetId: 'set9', chunkCount: 2, byteLength: 700_000 };
    const values = new Map([...stepValues(), ['document', chunked]]);
    const item = checkpointItem(record(values), undefined);
    expect(Object.keys(item[ATTR.values]?.M ?? {})).toEqual(['document']);
    expect(item[ATTR.packedValues]).toBeDefined();
    expect(inlineValuesFrom(item).get('document')).toEqual(chunked);
    expect([...inlineValuesFrom(item).keys()].sort()).toEqual([...values.keys()].sort());
  });

  it('refuses a pack that does not expand, naming the checkpoint', () => {
    const item = checkpointItem(record(stepValues()), undefined);
    item[ATTR.packedValues] = { B: new Uint8Array([1, 2, 3]) };
    expect(() => inlineValuesFrom(item)).toThrow(CheckpointCorruptError);
    expect(() => inlineValuesFrom(item)).toThrow(/the packed values of CP#.*# do not expand/);
  });

  it('refuses a value both listed and packed', () => {
    const item = checkpointItem(record(stepValues()), undefined);
    item[ATTR.values] = { M: { visits: { B: envelope('{}') } } };
    expect(() => inlineValuesFrom(item)).toThrow(/value visits of CP#.*# is both listed and packed/);
  });
});
