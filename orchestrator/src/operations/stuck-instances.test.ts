import type { InstanceRecord } from '../runtime/instance-record';
import { FakeClock } from '../runtime/memory/fake-clock';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import type { DeadLetteredInstance } from './operations-ports';
import { DEFAULT_STUCK_AFTER_MS, findStuckInstances } from './stuck-instances';
import type { InstanceFilter } from './instance-filter';

jest.setTimeout(60_000);

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

let t: IndexedTable;

const wait = (node: string, deadline: string | null) => ({
  request_id: `${node}-req`,
  node,
  capability_id: 'import#enrichment',
  since: ago(3 * HOUR),
  deadline,
});

/** Each planted instance, and the reasons `--stuck` must give for it (none: it must not be listed). */
const planted: { record: InstanceRecord; reasons: string[] }[] = [
  {
    record: statusRecord('overdue-wait', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [wait('Enrich', ago(HOUR))],
    }),
    reasons: ['WAIT_OVERDUE'],
  },
  {
    record: statusRecord('just-past-deadline', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [wait('Enrich', ago(5 * MIN))],
    }),
    reasons: [],
  },
  {
    record: statusRecord('future-deadline', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [wait('Enrich', new Date(NOW.getTime() + HOUR).toISOString())],
    }),
    reasons: [],
  },
  {
    record: statusRecord('no-deadline', {
      created_at: ago(30 * 24 * HOUR),
      status: 'WAITING',
      waits: [wait('Review', null)],
    }),
    reasons: [],
  },
  {
    record: statusRecord('running-abandoned', { created_at: ago(2 * HOUR), status: 'RUNNING' }),
    reasons: ['NO_PROGRESS'],
  },
  {
    record: statusRecord('running-held', { created_at: ago(2 * HOUR), status: 'RUNNING' }),
    reasons: [],
  },
  {
    record: statusRecord('running-lease-expired-long-ago', { created_at: ago(2 * HOUR), status: 'RUNNING' }),
    reasons: ['NO_PROGRESS'],
  },
  {
    record: statusRecord('running-lease-expired-just-now', { created_at: ago(2 * HOUR), status: 'RUNNING' }),
    reasons: [],
  },
  {
    record: statusRecord('running-fresh', { created_at: ago(MIN), status: 'RUNNING' }),
    reasons: [],
  },
  // In both candidate ranges (an overdue deadline, RUNNING for long): listed once, with both reasons.
  {
    record: statusRecord('running-overdue-wait', {
      created_at: ago(2 * HOUR),
      status: 'RUNNING',
      waits: [wait('Enrich', ago(HOUR))],
    }),
    reasons: ['WAIT_OVERDUE', 'NO_PROGRESS'],
  },
  // Only in the deadline range (went live a minute ago).
  {
    record: statusRecord('running-fresh-overdue-wait', {
      created_at: ago(MIN),
      status: 'RUNNING',
      waits: [wait('Enrich', ago(HOUR))],
    }),
    reasons: ['WAIT_OVERDUE'],
  },
  {
    record: statusRecord('failed-long-ago', {
      created_at: ago(5 * HOUR),
      status: 'FAILED',
      waits: [],
      error: { code: 'TIMEOUT', message: 'x' },
    }),
    reasons: [],
  },
  {
    record: statusRecord('reply-dead-lettered', {
      created_at: ago(HOUR),
      status: 'WAITING',
      workflow_id: 'fanout_a_b_c_v1',
      waits: [wait('Task_A', new Date(NOW.getTime() + HOUR).toISOString())],
    }),
    reasons: ['DEAD_LETTERED'],
  },
  {
    record: statusRecord('finished-reply-dead-lettered', { created_at: ago(HOUR), status: 'SUCCEEDED' }),
    reasons: [],
  },
  // Someone redrove it, and the redrive failed while applied: it stays FAILED until someone looks.
  {
    record: statusRecord('failed-redrive-dead-lettered', {
      created_at: ago(HOUR),
      status: 'FAILED',
      waits: [],
      error: { code: 'EXPRESSION_FAILED', message: 'x', node: 'Pay' },
    }),
    reasons: ['DEAD_LETTERED'],
  },
  {
    record: statusRecord('succeeded-cancel-dead-lettered', { created_at: ago(HOUR), status: 'SUCCEEDED' }),
    reasons: [],
  },
];

const deadLettered: DeadLetteredInstance[] = [
  { instance_id: 'reply-dead-lettered', queue: 'reply', type: 'ASYNC_RESP', reason: 'output missing' },
  { instance_id: 'finished-reply-dead-lettered', queue: 'reply', type: 'ASYNC_RESP' },
  { instance_id: 'failed-redrive-dead-lettered', queue: 'reply', type: 'ASYNC_RESP', reason: 'late reply' },
  {
    instance_id: 'failed-redrive-dead-lettered',
    queue: 'command',
    type: 'REDRIVE_WORKFLOW',
    reason: 'failed after 5 receives',
  },
  { instance_id: 'succeeded-cancel-dead-lettered', queue: 'command', type: 'CANCEL_WORKFLOW' },
  {
    instance_id: 'start-dead-lettered',
    queue: 'command',
    type: 'START_WORKFLOW',
    reason: 'unknown workflow',
    workflow_id: 'nope_v1',
  },
];

beforeAll(async () => {
  t = await startIndexedTable();
  // Healthy live instances around the planted ones, so finding them takes several index pages.
  const healthy = Array.from({ length: 150 }, (_, i) =>
    statusRecord(`healthy-${i}`, {
      created_at: ago(i * MIN),
      updated_at: ago(i % 10),
      status: i % 2 === 0 ? 'RUNNING' : 'WAITING',
      workflow_id: i % 3 === 0 ? 'fanout_a_b_c_v1' : 'import_vn_memphis_v1',
      waits: i % 2 === 0 ? [] : [wait('Enrich', new Date(NOW.getTime() + HOUR).toISOString())],
    }),
  );
  await saveAll(t.store(), [...planted.map((p) => p.record), ...healthy]);
  // Leases: one held now, one that expired an hour and a half ago, one that expired a minute ago.
  expect(await t.store(new FakeClock(NOW)).acquireLease('running-held', MIN)).toBeDefined();
  expect(
    await t.store(new FakeClock(ago(90 * MIN))).acquireLease('running-lease-expired-long-ago', MIN),
  ).toBeDefined();
  expect(
    await t.store(new FakeClock(ago(2 * MIN))).acquireLease('running-lease-expired-just-now', MIN),
  ).toBeDefined();
  // Leases still held at NOW on the healthy RUNNING ones do not matter: they were updated just now.
});

afterAll(async () => {
  await t?.stop();
});

async function allStuck(filter: InstanceFilter, limit: number) {
  const rows = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const page = await findStuckInstances(t.port, filter, { now: NOW, deadLettered, limit, next });
    rows.push(...page.instances);
    next = page.next ?? undefined;
    pages++;
  } while (next);
  return { rows, pages };
}

describe('findStuckInstances (--stuck) on dynalite', () => {
  it('finds each kind of planted stuck instance with its reason, and nothing else', async () => {
    const { rows, pages } = await allStuck({}, 2);
    expect(pages).toBeGreaterThan(2);
    const found = Object.fromEntries(rows.map((r) => [r.instance_id, r.stuck.map((s) => s.reason)]));
    const wanted = Object.fromEntries(
      planted.filter((p) => p.reasons.length > 0).map((p) => [p.record.instance_id, p.reasons]),
    );
    expect(found).toEqual({ ...wanted, 'start-dead-lettered': ['DEAD_LETTERED'] });
    expect(rows.map((r) => r.instance_id)).toHaveLength(Object.keys(found).length);
  });

  it('says why in words and in fields', async () => {
    const { rows } = await allStuck({}, 50);
    const byId = new Map(rows.map((r) => [r.instance_id, r]));
    expect(byId.get('overdue-wait')?.stuck[0]).toMatchObject({
      reason: 'WAIT_OVERDUE',
      node: 'Enrich',
      deadline: ago(HOUR),
    });
    expect(byId.get('overdue-wait')?.stuck[0]?.detail).toContain('1h0m past its deadline');
    expect(byId.get('running-lease-expired-long-ago')?.stuck[0]).toMatchObject({
      reason: 'NO_PROGRESS',
      last_activity: ago(89 * MIN),
    });
    expect(byId.get('start-dead-lettered')).toMatchObject({
      status: null,
      workflow_id: 'nope_v1',
      stuck: [
        {
          reason: 'DEAD_LETTERED',
          queue: 'command',
          message_type: 'START_WORKFLOW',
          dead_letter_reason: 'unknown workflow',
        },
      ],
    });
  });

  it('combines with --status and --workflow', async () => {
    const waiting = await allStuck({ statuses: ['WAITING'] }, 50);
    expect(waiting.rows.map((r) => r.instance_id).sort()).toEqual(['overdue-wait', 'reply-dead-lettered']);
    const fanout = await allStuck({ workflow_id: 'fanout_a_b_c_v1' }, 50);
    expect(fanout.rows.map((r) => r.instance_id)).toEqual(['reply-dead-lettered']);
    const failed = await allStuck({ statuses: ['FAILED'] }, 50);
    expect(
      failed.rows.map((r) => [r.instance_id, r.stuck.map((s) => [s.message_type, s.dead_letter_reason])]),
    ).toEqual([['failed-redrive-dead-lettered', [['REDRIVE_WORKFLOW', 'failed after 5 receives']]]]);
  });

  it('moves the threshold with stuckAfterMs', async () => {
    const page = await findStuckInstances(
      t.port,
      { statuses: ['WAITING'] },
      { now: NOW, stuckAfterMs: 2 * MIN },
    );
    expect(page.instances.map((r) => r.instance_id).sort()).toEqual(['just-past-deadline', 'overdue-wait']);
    expect(DEFAULT_STUCK_AFTER_MS).toBe(15 * MIN);
  });
});
