import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { listInstances } from '../operations/list-instances';
import type { InstanceRecord } from '../runtime/instance-record';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { instanceKey } from './dynamodb-instance-store';
import { backfillInstanceIndex } from './instance-index-backfill';
import { INDEX_ATTRIBUTE_NAMES } from './instance-index-layout';

jest.setTimeout(30_000);

let t: IndexedTable;
const records: InstanceRecord[] = Array.from({ length: 30 }, (_, i) =>
  statusRecord(`legacy-${String(i).padStart(2, '0')}`, {
    created_at: new Date(Date.UTC(2026, 5, 1, 0, i)).toISOString(),
    status: i % 2 === 0 ? 'SUCCEEDED' : 'WAITING',
  }),
);

beforeAll(async () => {
  t = await startIndexedTable();
  await saveAll(t.store(), records);
  // Twenty of them as a table written before the index existed: no index keys; five more as one written
  // before `by-change` and `by-deadline` existed: the first three keys only.
  for (const [i, record] of records.slice(0, 25).entries()) {
    await t.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: instanceKey(record.instance_id),
        UpdateExpression:
          i < 20 ? `REMOVE ${INDEX_ATTRIBUTE_NAMES.join(', ')}` : 'REMOVE ix_changed, ix_due, ix_deadline',
      }),
    );
  }
});

afterAll(async () => {
  await t?.stop();
});

const listed = async () =>
  (await listInstances(t.port, {}, { limit: 1000 })).instances.map((r) => r.instance_id).sort();
const listedByChange = async () =>
  (await listInstances(t.port, { changed_since: '2000-01-01T00:00:00.000Z' }, { limit: 1000 })).instances
    .map((r) => r.instance_id)
    .sort();

describe('backfillInstanceIndex', () => {
  it('indexes records written before the index, lets a concurrent commit win, and is idempotent', async () => {
    expect(await listed()).toEqual(records.slice(20).map((r) => r.instance_id));
    expect(await listedByChange()).toEqual(records.slice(25).map((r) => r.instance_id));
    expect(await backfillInstanceIndex(t.dynamodb, t.table, { dryRun: true })).toEqual({
      found: 25,
      indexed: 0,
      changed: 0,
    });
    // A commit lands between the backfill's read and its first write: the commit wins.
    const client = new DynamoDBClient(t.aws.clientConfig.dynamodb);
    let raced = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && !raced) {
          raced = true;
          const first = records[0] as InstanceRecord;
          await t
            .store()
            .save(
              { ...first, status: 'FAILED', version: 2 },
              { instance_id: first.instance_id, token: 'x', expires_at: 0 },
            );
        }
        return next(args);
      },
      { step: 'initialize', name: 'commitInBetween' },
    );
    try {
      expect(await backfillInstanceIndex(client, t.table)).toEqual({ found: 25, indexed: 24, changed: 1 });
    } finally {
      client.destroy();
    }
    expect(await listed()).toEqual(records.map((r) => r.instance_id));
    expect(await listedByChange()).toEqual(records.map((r) => r.instance_id));
    const failed = await listInstances(t.port, { statuses: ['FAILED'] }, {});
    expect(failed.instances.map((r) => r.instance_id)).toEqual(['legacy-00']);
    expect(await backfillInstanceIndex(t.dynamodb, t.table)).toEqual({ found: 0, indexed: 0, changed: 0 });
  });
});
