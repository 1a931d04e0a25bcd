import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { FakeClock } from '../runtime/memory/fake-clock';
import {
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { INDEX_ATTRIBUTE_NAMES, INDEX_SHARDS, indexAttributes, indexShard } from './instance-index-layout';

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
    ...Object.fromEntries(INDEX_ATTRIBUTE_NAMES.map((name) => [name, item[name]?.S])),
  }));
}

const NONE = Object.fromEntries(INDEX_ATTRIBUTE_NAMES.map((name) => [name, undefined]));

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
      { SK: 'LEASE', ...NONE },
      {
        SK: 'STATUS',
        ...NONE,
        ix_status: `RUNNING#${shard}`,
        ix_workflow: `fanout_a_b_c_v1#RUNNING#${shard}`,
        ix_started: created_at,
        ix_changed: created_at,
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
    expect(items.find((i) => i.SK?.startsWith('H#'))).toEqual({ SK: 'H#0000000000', ...NONE });
    const updated_at = '2026-06-01T00:00:05.000Z';
    expect(items.find((i) => i.SK === 'STATUS')).toEqual({
      SK: 'STATUS',
      ...indexAttributes({
        instance_id: 'ix-1',
        workflow_id: 'fanout_a_b_c_v1',
        status: 'WAITING',
        created_at,
        updated_at,
        waits: [],
      }),
    });
    expect(
      indexAttributes({
        instance_id: 'ix-1',
        workflow_id: 'w',
        status: 'WAITING',
        created_at,
        updated_at,
        waits: [],
      }),
    ).toEqual({
      ix_status: `WAITING#${shard}`,
      ix_workflow: `w#WAITING#${shard}`,
      ix_started: created_at,
      ix_changed: created_at,
      ix_due: undefined,
      ix_deadline: undefined,
    });
  });

  it('keep the status change time and the earliest open deadline, and drop the deadline when no wait has one', async () => {
    const store = t.store();
    const created_at = '2026-06-01T00:00:00.000Z';
    const lease = { instance_id: 'ix-2', token: 't', expires_at: 0 };
    const deadline = (m: number) => new Date(Date.parse(created_at) + m * 60_000).toISOString();
    const wait = (id: string, d: string | null) => ({
      request_id: id,
      node: id,
      capability_id: 'x#y',
      since: created_at,
      deadline: d,
    });
    const base = statusRecord('ix-2', { created_at, status: 'WAITING' });
    const stored = async () => (await partitionItems('ix-2')).find((i) => i.SK === 'STATUS');
    const shard = indexShard('ix-2');
    await store.save({ ...base, waits: [wait('A', deadline(30)), wait('B', deadline(10))] }, lease);
    expect(await stored()).toMatchObject({
      ix_changed: created_at,
      ix_due: `DUE#${shard}`,
      ix_deadline: deadline(10),
    });
    // Only waits without a deadline: out of by-deadline.
    await store.save({ ...base, version: 2, waits: [wait('C', null)] }, lease);
    expect(await stored()).toMatchObject({
      ix_changed: created_at,
      ix_due: undefined,
      ix_deadline: undefined,
    });
    // Ended: its end time, no deadline whatever the waits say.
    const ended = '2026-06-01T01:00:00.000Z';
    await store.save(
      { ...base, version: 3, status: 'FAILED', updated_at: ended, waits: [wait('D', deadline(5))] },
      lease,
    );
    expect(await stored()).toMatchObject({
      ix_status: `FAILED#${shard}`,
      ix_changed: ended,
      ix_due: undefined,
      ix_deadline: undefined,
    });
    // Redriven: live again, since the redrive.
    const redriven = '2026-06-01T02:00:00.000Z';
    await store.save(
      {
        ...base,
        version: 4,
        status: 'WAITING',
        updated_at: '2026-06-01T02:00:01.000Z',
        waits: [wait('E', deadline(200))],
        redrives: [{ id: 'r1', at: redriven, by: 'ops', reason: null, node: 'D', from_checkpoint: 'c' }],
      },
      lease,
    );
    expect(await stored()).toMatchObject({ ix_changed: redriven, ix_deadline: deadline(200) });
  });

  it('change only with the status, or the deadline only when a wait opens or closes: never on a step that does neither', () => {
    // An instance's commits as the runtime makes them: started into a wait, a fan-out of three waits
    // answered one by one, a step per reply, each commit a new updated_at; then it ends.
    const created_at = '2026-06-01T00:00:00.000Z';
    const at = (s: number) => new Date(Date.parse(created_at) + s * 1000).toISOString();
    const wait = (id: string, deadlineS: number) => ({ deadline: at(deadlineS), id });
    const commits: { status: string; waits: { deadline: string; id: string }[]; updated_at: string }[] = [
      { status: 'WAITING', waits: [wait('A', 600)], updated_at: at(1) },
      { status: 'WAITING', waits: [wait('A', 600)], updated_at: at(2) }, // dispatched: bookkeeping only
      { status: 'WAITING', waits: [wait('B1', 900), wait('B2', 700), wait('B3', 800)], updated_at: at(10) },
      { status: 'WAITING', waits: [wait('B1', 900), wait('B2', 700), wait('B3', 800)], updated_at: at(11) },
      { status: 'WAITING', waits: [wait('B1', 900), wait('B2', 700)], updated_at: at(20) }, // B3 answered
      { status: 'WAITING', waits: [wait('B1', 900)], updated_at: at(30) }, // B2 answered
      { status: 'SUCCEEDED', waits: [], updated_at: at(40) },
    ];
    const attributes = commits.map((c) =>
      indexAttributes({ instance_id: 'cost', workflow_id: 'w', created_at, ...c }),
    );
    const changes = (name: keyof ReturnType<typeof indexAttributes>) =>
      attributes.slice(1).filter((a, i) => a[name] !== attributes[i]?.[name]).length;
    // Status, workflow, start and change keys: only the one status change (WAITING -> SUCCEEDED).
    expect(changes('ix_status')).toBe(1);
    expect(changes('ix_workflow')).toBe(1);
    expect(changes('ix_started')).toBe(0);
    expect(changes('ix_changed')).toBe(1);
    // The deadline: A -> B2 (the fan-out opened), B2 -> B1 (B2 closed), B1 -> none (ended). B3 closing
    // did not move the earliest deadline, and the bookkeeping commits changed nothing.
    expect(attributes.map((a) => a.ix_deadline)).toEqual([
      at(600),
      at(600),
      at(700),
      at(700),
      at(700),
      at(900),
      undefined,
    ]);
    expect(changes('ix_deadline')).toBe(3);
    expect(attributes.at(-1)?.ix_changed).toBe(at(40));
  });

  it('spreads instances evenly over the shards', () => {
    const counts = new Array<number>(INDEX_SHARDS).fill(0);
    for (let i = 0; i < 4000; i++) counts[indexShard(`instance-${i}`)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(4000 / INDEX_SHARDS - 150);
  });
});
