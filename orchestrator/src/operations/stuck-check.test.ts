import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { runStuckCheck, stuckCheckEmf, STUCK_CHECK_METRICS } from './stuck-check';

jest.setTimeout(60_000);

const NOW = new Date('2026-06-01T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const wait = (node: string, deadline: string | null) => ({
  request_id: `${node}-req`,
  node,
  capability_id: 'import#enrichment',
  since: ago(3 * HOUR),
  deadline,
});

let t: IndexedTable;

beforeAll(async () => {
  t = await startIndexedTable();
  await saveAll(t.store(), [
    // Stuck: one overdue wait; two overdue waits (a fan-out); RUNNING with no sign of life for an hour.
    statusRecord('one-overdue', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [wait('A', ago(HOUR))],
    }),
    statusRecord('two-overdue', {
      created_at: ago(3 * HOUR),
      status: 'WAITING',
      waits: [wait('B1', ago(HOUR)), wait('B2', ago(2 * HOUR)), wait('B3', ago(MIN))],
    }),
    statusRecord('silent-running', { created_at: ago(2 * HOUR), updated_at: ago(HOUR), status: 'RUNNING' }),
    // Not stuck: a deadline ahead, a deadline only just past, no deadline, running now, finished.
    statusRecord('future', {
      created_at: ago(HOUR),
      status: 'WAITING',
      waits: [wait('C', new Date(NOW.getTime() + HOUR).toISOString())],
    }),
    statusRecord('just-past', { created_at: ago(HOUR), status: 'WAITING', waits: [wait('D', ago(5 * MIN))] }),
    statusRecord('unbounded', {
      created_at: ago(40 * 24 * HOUR),
      status: 'WAITING',
      waits: [wait('E', null)],
    }),
    statusRecord('busy', { created_at: ago(MIN), updated_at: ago(MIN), status: 'RUNNING' }),
    statusRecord('failed-long-ago', {
      created_at: ago(5 * HOUR),
      status: 'FAILED',
      waits: [wait('F', ago(4 * HOUR))],
    }),
    // Healthy live instances the check must not read: waits with a deadline ahead or none, long-lived.
    ...Array.from({ length: 300 }, (_, i) =>
      statusRecord(`healthy-${i}`, {
        created_at: ago((i + 1) * HOUR),
        status: 'WAITING',
        waits: [wait('G', i % 3 === 0 ? null : new Date(NOW.getTime() + (i + 1) * MIN).toISOString())],
      }),
    ),
  ]);
});
afterAll(() => t.stop());

describe('the scheduled stuck check', () => {
  it('counts overdue waits and stuck instances among the live ones, and nothing else', async () => {
    const result = await runStuckCheck(t.port, { now: NOW });
    expect(result.complete).toBe(true);
    expect(result.stuck.map((row) => row.instance_id).sort()).toEqual([
      'one-overdue',
      'silent-running',
      'two-overdue',
    ]);
    expect(result.instancesStuck).toBe(3);
    expect(result.waitsOverdue).toBe(3); // A, B1, B2 (B3 is a minute late: within the grace)
    expect(t.commands).not.toContain('ScanCommand');
  });

  it('reads the status records of the candidates only: none of the healthy live instances', async () => {
    const read: string[] = [];
    const leases: string[] = [];
    const counting = Object.create(t.port) as typeof t.port;
    counting.records = (ids) => {
      read.push(...ids);
      return t.port.records(ids);
    };
    counting.leases = (ids) => {
      leases.push(...ids);
      return t.port.leases(ids);
    };
    t.commands.length = 0;
    const result = await runStuckCheck(counting, { now: NOW });
    expect(result.instancesStuck).toBe(3);
    expect([...new Set(read)].sort()).toEqual(['one-overdue', 'silent-running', 'two-overdue']);
    expect([...new Set(leases)].sort()).toEqual(['one-overdue', 'silent-running', 'two-overdue']);
    // One range query per partition (4 deadline shards, 4 RUNNING shards), nothing else.
    expect(t.commands.filter((c) => c === 'QueryCommand')).toHaveLength(8);
    expect(t.commands).not.toContain('ScanCommand');
  });

  it('walks every page of the index', async () => {
    const result = await runStuckCheck(t.port, { now: NOW, pageSize: 1 });
    expect(result).toMatchObject({ complete: true, instancesStuck: 3, waitsOverdue: 3 });
  });

  it('stops when its time is up, and says the counts are a lower bound', async () => {
    const result = await runStuckCheck(t.port, { now: NOW, pageSize: 1, budgetMs: 1, elapsed: () => 5 });
    expect(result.complete).toBe(false);
    expect(result.instancesStuck).toBeLessThan(3);
  });

  it('honours how late is stuck', async () => {
    const result = await runStuckCheck(t.port, { now: NOW, stuckAfterMs: 3 * MIN });
    expect(result.stuck.map((row) => row.instance_id).sort()).toEqual([
      'just-past',
      'one-overdue',
      'silent-running',
      'two-overdue',
    ]);
  });

  it('publishes both gauges as one EMF line with the deployment dimensions only', () => {
    const line = stuckCheckEmf(
      { waitsOverdue: 3, instancesStuck: 2 },
      'CCH/WorkflowEngine',
      { env: 'dev', owner: 'alice' },
      NOW.getTime(),
    );
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: NOW.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: 'CCH/WorkflowEngine',
            Dimensions: [['env', 'owner']],
            Metrics: [
              { Name: STUCK_CHECK_METRICS.waitsOverdue, Unit: 'Count' },
              { Name: STUCK_CHECK_METRICS.instancesStuck, Unit: 'Count' },
            ],
          },
        ],
      },
      env: 'dev',
      owner: 'alice',
      WaitsOverdue: 3,
      InstancesStuck: 2,
    });
  });
});
