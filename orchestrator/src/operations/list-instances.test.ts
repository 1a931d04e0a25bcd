import { INSTANCE_STATUSES, type InstanceRecord, type InstanceStatus } from '../runtime/instance-record';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { statusChangedAt } from '../aws/instance-index-layout';
import type { InstanceFilter } from './instance-filter';
import { listInstances } from './list-instances';
import { InvalidPageTokenError } from './page-token';

jest.setTimeout(120_000);

const WORKFLOWS = ['import_vn_memphis_v1', 'fanout_a_b_c_v1', 'export_screening_v1'] as const;
const BASE = Date.parse('2026-06-01T00:00:00.000Z');
const COUNT = 1200;

let t: IndexedTable;
/** What the table holds after every commit: the expected answer of each listing. */
const final = new Map<string, InstanceRecord>();

beforeAll(async () => {
  t = await startIndexedTable();
  const first: InstanceRecord[] = [];
  const moved: InstanceRecord[] = [];
  for (let i = 0; i < COUNT; i++) {
    // Three instances share each start time: ties across shards and statuses must neither repeat nor drop.
    const created_at = new Date(BASE + Math.floor(i / 3) * 10_000).toISOString();
    const status = INSTANCE_STATUSES[(i * 7) % INSTANCE_STATUSES.length] as InstanceStatus;
    const record = statusRecord(`inst-${String(i).padStart(4, '0')}`, {
      created_at,
      workflow_id: WORKFLOWS[i % WORKFLOWS.length],
      status: i % 4 === 0 ? 'RUNNING' : status,
    });
    first.push(record);
    // Every fourth instance moves on after its first commit: its index entries must move with it. Its
    // status change comes later than its start (by up to 8 hours), and some of the live ones were
    // redriven, so the change time is neither the start nor in start order.
    const changedAt = new Date(Date.parse(created_at) + ((i * 37) % 480) * 60_000).toISOString();
    const redriven = i % 8 === 0 && (status === 'RUNNING' || status === 'WAITING');
    const last =
      i % 4 === 0
        ? {
            ...record,
            status,
            version: 2,
            updated_at: changedAt,
            ...(redriven
              ? {
                  redrives: [
                    {
                      id: `r-${i}`,
                      at: changedAt,
                      by: 'ops',
                      reason: null,
                      node: 'A',
                      from_checkpoint: 'c',
                    },
                  ],
                }
              : {}),
          }
        : record;
    if (last !== record) moved.push(last);
    final.set(record.instance_id, last);
  }
  const store = t.store();
  await saveAll(store, first);
  await saveAll(store, moved);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** Every page of a listing, following `next` to the end. */
async function allPages(filter: InstanceFilter, limit: number) {
  const pages = [];
  let next: string | undefined;
  do {
    const page = await listInstances(t.port, filter, { limit, next });
    expect(page.instances.length).toBeLessThanOrEqual(limit);
    pages.push(page);
    next = page.next ?? undefined;
  } while (next);
  return { pages, rows: pages.flatMap((p) => p.instances) };
}

function expected(select: (r: InstanceRecord) => boolean): string[] {
  return [...final.values()]
    .filter(select)
    .map((r) => r.instance_id)
    .sort();
}

function expectNewestFirst(startedAt: (string | null)[]) {
  for (let i = 1; i < startedAt.length; i++) {
    expect((startedAt[i - 1] as string) >= (startedAt[i] as string)).toBe(true);
  }
}

describe('listInstances over 1,200 instances (instance indexes on dynalite)', () => {
  it('pages through every instance exactly once, newest first, without a Scan', async () => {
    t.commands.length = 0;
    const { pages, rows } = await allPages({}, 97);
    expect(pages.length).toBe(Math.ceil(COUNT / 97));
    const ids = rows.map((r) => r.instance_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expected(() => true));
    expectNewestFirst(rows.map((r) => r.started_at));
    expect(t.commands).not.toContain('ScanCommand');
    expect(t.commands).toContain('QueryCommand');
  });

  it.each(INSTANCE_STATUSES)('lists by status %s: exactly the instances in it now', async (status) => {
    const { rows } = await allPages({ statuses: [status] }, 50);
    const ids = rows.map((r) => r.instance_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expected((r) => r.status === status));
    expect(rows.every((r) => r.status === status)).toBe(true);
    expectNewestFirst(rows.map((r) => r.started_at));
  });

  it('lists by workflow, and by workflow and statuses together', async () => {
    const byWorkflow = await allPages({ workflow_id: 'fanout_a_b_c_v1' }, 64);
    expect(byWorkflow.rows.map((r) => r.instance_id).sort()).toEqual(
      expected((r) => r.workflow_id === 'fanout_a_b_c_v1'),
    );
    expectNewestFirst(byWorkflow.rows.map((r) => r.started_at));
    const both = await allPages({ workflow_id: 'export_screening_v1', statuses: ['FAILED', 'WAITING'] }, 10);
    expect(both.rows.map((r) => r.instance_id).sort()).toEqual(
      expected(
        (r) => r.workflow_id === 'export_screening_v1' && (r.status === 'FAILED' || r.status === 'WAITING'),
      ),
    );
  });

  it('lists by start time (since), alone and with a status', async () => {
    const since = new Date(BASE + 300 * 10_000).toISOString();
    const { rows } = await allPages({ since }, 33);
    expect(rows.map((r) => r.instance_id).sort()).toEqual(expected((r) => r.created_at >= since));
    expect(rows.length).toBe(COUNT - 900);
    const failed = await allPages({ since, statuses: ['FAILED'] }, 1000);
    expect(failed.pages).toHaveLength(1);
    expect(failed.rows.map((r) => r.instance_id).sort()).toEqual(
      expected((r) => r.created_at >= since && r.status === 'FAILED'),
    );
  });

  it('lists by a range of start times (since and until), alone and with a status, each instance once', async () => {
    const since = new Date(BASE + 100 * 10_000).toISOString();
    const until = new Date(BASE + 250 * 10_000).toISOString();
    t.commands.length = 0;
    const { rows } = await allPages({ since, until }, 37);
    const ids = rows.map((r) => r.instance_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expected((r) => r.created_at >= since && r.created_at <= until));
    // Both ends inclusive: 151 start times, three instances each.
    expect(rows.length).toBe(151 * 3);
    expectNewestFirst(rows.map((r) => r.started_at));
    expect(t.commands).not.toContain('ScanCommand');
    const running = await allPages({ until, statuses: ['RUNNING'] }, 1000);
    expect(running.rows.map((r) => r.instance_id).sort()).toEqual(
      expected((r) => r.created_at <= until && r.status === 'RUNNING'),
    );
  });

  it('lists by status change time (changed_since): newest change first, every page, alone and with other filters', async () => {
    const changed_since = new Date(BASE + (2_000 * 10_000) / 3 + 2 * 3_600_000).toISOString();
    t.commands.length = 0;
    const { rows, pages } = await allPages({ changed_since }, 41);
    const ids = rows.map((r) => r.instance_id);
    expect(new Set(ids).size).toBe(ids.length);
    const wanted = expected((r) => statusChangedAt(r) >= changed_since);
    expect(wanted.length).toBeGreaterThan(100);
    expect([...ids].sort()).toEqual(wanted);
    expect(pages.length).toBe(Math.ceil(wanted.length / 41));
    expectNewestFirst(rows.map((r) => r.changed_at));
    // Redriven live instances count from their redrive, ended ones from their end, the rest from their start.
    for (const row of rows) {
      const record = final.get(row.instance_id) as InstanceRecord;
      expect(row.changed_at).toBe(
        record.redrives?.[0]?.at ??
          (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(record.status)
            ? record.updated_at
            : record.created_at),
      );
    }
    expect(t.commands).not.toContain('ScanCommand');

    const filtered = await allPages(
      { changed_since, workflow_id: 'fanout_a_b_c_v1', statuses: ['SUCCEEDED', 'WAITING'] },
      7,
    );
    expect(filtered.rows.map((r) => r.instance_id).sort()).toEqual(
      expected(
        (r) =>
          statusChangedAt(r) >= changed_since &&
          r.workflow_id === 'fanout_a_b_c_v1' &&
          (r.status === 'SUCCEEDED' || r.status === 'WAITING'),
      ),
    );
    const since = new Date(BASE + (3_000 * 10_000) / 3).toISOString();
    const both = await allPages({ changed_since, since }, 50);
    expect(both.rows.map((r) => r.instance_id).sort()).toEqual(
      expected((r) => statusChangedAt(r) >= changed_since && r.created_at >= since),
    );
    // A token of a listing by start time is not one by change time.
    const byStart = await listInstances(t.port, {}, { limit: 5 });
    await expect(
      listInstances(t.port, { changed_since }, { limit: 5, next: byStart.next ?? '' }),
    ).rejects.toThrow(InvalidPageTokenError);
  });

  it('returns rows with the stable fields of the JSON output', async () => {
    const page = await listInstances(t.port, { statuses: ['WAITING'] }, { limit: 1 });
    expect(Object.keys(page.instances[0] ?? {}).sort()).toEqual(
      [
        'changed_at',
        'engine',
        'error',
        'instance_id',
        'last_step',
        'started_at',
        'status',
        'stuck',
        'updated_at',
        'waits',
        'workflow_id',
      ].sort(),
    );
    expect(page.instances[0]?.engine).toBe('langgraph');
    expect(typeof page.next).toBe('string');
  });

  it('refuses a token from a listing with other filters', async () => {
    const page = await listInstances(t.port, { statuses: ['FAILED'] }, { limit: 5 });
    await expect(
      listInstances(t.port, { statuses: ['RUNNING'] }, { limit: 5, next: page.next ?? '' }),
    ).rejects.toThrow(InvalidPageTokenError);
    await expect(listInstances(t.port, {}, { next: 'garbage' })).rejects.toThrow(InvalidPageTokenError);
  });
});
