import { uuid6 } from '@langchain/langgraph-checkpoint';
import {
  ATTR,
  checkpointItem,
  checkpointRecordFrom,
  type CheckpointRecord,
  type StoredValue,
  type ValueLocation,
} from './storage-layout';

const inline = (text: string): StoredValue => ({ kind: 'inline', bytes: new TextEncoder().encode(text) });

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
