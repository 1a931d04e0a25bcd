import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { FakeClock } from '../runtime/memory/fake-clock';
import {
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { INDEX_SHARDS, indexAttributes, indexShard } from './instance-index-layout';

jest.setTimeout(30_000);

let t: IndexedTable;

beforeAll(async () => {
  t = await startIndexedTable();
});

afterAll(async () => {
  await t?.stop();
});

/** Every item of an instance's partition, with the attributes the index reads. */
async function partitionItems(instanceId: string) {
  const response = await t.dynamodb.send(
    new QueryCommand({
      TableName: t.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: `INSTANCE#${instanceId}` } },
      ConsistentRead: true,
    }),
  );
  return (response.Items ?? []).map((item) => ({
    SK: item.SK?.S,
    ix_status: item.ix_status?.S,
    ix_workflow: item.ix_workflow?.S,
    ix_started: item.ix_started?.S,
  }));
}

describe('instance index attributes', () => {
  it('are written with the record, follow its status, and stay off lease and history items', async () => {
    const clock = new FakeClock('2026-06-01T00:00:00.000Z');
    const store = t.store(clock);
    const created_at = '2026-06-01T00:00:00.000Z';
    const record = statusRecord('ix-1', { created_at, status: 'RUNNING', workflow_id: 'fanout_a_b_c_v1' });
    const lease = await store.acquireLease('ix-1', 60_000);
    if (!lease) throw new Error('no lease');
    await store.save(record, lease);
    const shard = indexShard('ix-1');
    expect(await partitionItems('ix-1')).toEqual([
      { SK: 'LEASE', ix_status: undefined, ix_workflow: undefined, ix_started: undefined },
      {
        SK: 'STATUS',
        ix_status: `RUNNING#${shard}`,
        ix_workflow: `fanout_a_b_c_v1#RUNNING#${shard}`,
        ix_started: created_at,
      },
    ]);
    // The next commit moves it to WAITING and flushes a history item: the index keys follow the status only.
    await store.save(
      { ...record, status: 'WAITING', version: 2, updated_at: '2026-06-01T00:00:05.000Z', history_base: 1 },
      lease,
      {
        history: {
          at: 0,
          entries: [{ node: 'A', status: 'SUCCEEDED', started_at: created_at, ended_at: created_at }],
        },
      },
    );
    const items = await partitionItems('ix-1');
    expect(items.find((i) => i.SK?.startsWith('H#'))).toEqual({
      SK: 'H#0000000000',
      ix_status: undefined,
      ix_workflow: undefined,
      ix_started: undefined,
    });
    expect(items.find((i) => i.SK === 'STATUS')).toEqual({
      SK: 'STATUS',
      ...indexAttributes({
        instance_id: 'ix-1',
        workflow_id: 'fanout_a_b_c_v1',
        status: 'WAITING',
        created_at,
      }),
    });
    expect(indexAttributes({ instance_id: 'ix-1', workflow_id: 'w', status: 'WAITING', created_at })).toEqual(
      {
        ix_status: `WAITING#${shard}`,
        ix_workflow: `w#WAITING#${shard}`,
        ix_started: created_at,
      },
    );
  });

  it('spreads instances evenly over the shards', () => {
    const counts = new Array<number>(INDEX_SHARDS).fill(0);
    for (let i = 0; i < 4000; i++) counts[indexShard(`instance-${i}`)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(4000 / INDEX_SHARDS - 150);
  });
});
