import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { S3DefinitionCatalog } from '../aws/s3-definition-catalog';
import { pinnedKey } from '../aws/s3-definition-store';
import { sha256Of } from '../definition/content-hash';
import type { InstanceStatus } from '../runtime/instance-record';
import { definitionsCatalog } from './definitions-catalog';

jest.setTimeout(30_000);

const BUCKET = 'cch-test-catalog-definitions-bucket';

const waitDefinition = (capability: string) => `workflow_name: 'Ask <b>once</b>'
workflow_id: ask_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: '${capability}'
    on_response: Done
  Done: { type: end }
`;
/** Three versions of one workflow: the one now in the bucket, and two older ones instances pinned. */
const CURRENT = waitDefinition('ask#v3');
const OLDER = waitDefinition('ask#v2');
const OLDEST = waitDefinition('ask#v1');
const BROKEN =
  'workflow_name: broken\nworkflow_id: broken_v1\nentry_point: Nowhere\nnodes:\n  Done: { type: end }\n';

let t: IndexedTable;
let s3: S3Client;
let files: S3DefinitionCatalog;

beforeAll(async () => {
  t = await startIndexedTable();
  s3 = new S3Client(t.aws.clientConfig.s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put('ask_v1.yaml', CURRENT);
  await put('broken_v1.yaml', BROKEN);
  await put('notes.txt', 'not a definition');
  // OLDEST's snapshot is gone (removed by hand): its live instance could not take another step.
  await put(pinnedKey(sha256Of(OLDER)), OLDER);
  const on = (text: string, id: string, status: InstanceStatus, minute: number) =>
    statusRecord(id, {
      workflow_id: 'ask_v1',
      status,
      definition: { key: 'ask_v1.yaml', sha256: sha256Of(text) },
      created_at: new Date(Date.UTC(2026, 5, 1, 0, minute)).toISOString(),
    });
  await saveAll(t.store(), [
    on(OLDER, 'older-done', 'SUCCEEDED', 10),
    on(OLDER, 'older-live', 'WAITING', 20),
    on(OLDER, 'older-failed', 'FAILED', 30),
    on(OLDEST, 'oldest-live', 'RUNNING', 5),
    // Another workflow's instance: not counted for ask_v1.
    statusRecord('other', { workflow_id: 'other_v1', created_at: '2026-06-01T01:00:00.000Z' }),
  ]);
  files = new S3DefinitionCatalog(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await t?.stop();
});

describe('definitionsCatalog', () => {
  it('lists each current definition with its versions in use, counted from its instances', async () => {
    const catalog = await definitionsCatalog(files, t.port);
    expect(catalog.map((e) => e.key)).toEqual(['ask_v1.yaml', 'broken_v1.yaml']);
    const ask = catalog[0];
    expect(ask).toMatchObject({
      sha256: sha256Of(CURRENT),
      workflow_id: 'ask_v1',
      title: 'Ask <b>once</b>',
      // A warning (no timeout on the wait) leaves the definition valid: it has its graph.
      diagnostics: [expect.objectContaining({ severity: 'warning' })],
      instances_read: 4,
      instances_more: false,
    });
    expect(ask?.graph).toMatch(/^flowchart TD/);
    expect(ask?.versions).toEqual([
      // The current version first, though no instance started on it yet: no snapshot until one does.
      {
        sha256: sha256Of(CURRENT),
        current: true,
        instances: 0,
        live: 0,
        last_started_at: null,
        pinned: false,
      },
      {
        sha256: sha256Of(OLDER),
        current: false,
        instances: 3,
        live: 1,
        last_started_at: '2026-06-01T00:30:00.000Z',
        pinned: true,
      },
      {
        sha256: sha256Of(OLDEST),
        current: false,
        instances: 1,
        live: 1,
        last_started_at: '2026-06-01T00:05:00.000Z',
        pinned: false,
      },
    ]);
  });

  it('gives an invalid definition its diagnostics and no graph, and its workflow_id from the text', async () => {
    const broken = (await definitionsCatalog(files, t.port)).find((e) => e.key === 'broken_v1.yaml');
    expect(broken).toMatchObject({ workflow_id: 'broken_v1', title: null, graph: null, instances_read: 0 });
    expect(broken?.diagnostics[0]?.severity).toBe('error');
    expect(broken?.diagnostics[0]?.message).toContain('Nowhere');
  });

  it('reads only the newest instances of a workflow when told, and says there are more', async () => {
    const ask = (await definitionsCatalog(files, t.port, { instancesPerWorkflow: 2 }))[0];
    expect(ask).toMatchObject({ instances_read: 2, instances_more: true });
    // The two newest: older-failed (00:30) and older-live (00:20).
    expect(ask?.versions.map((v) => [v.instances, v.live])).toEqual([
      [0, 0],
      [2, 1],
    ]);
  });
});
