import type {
  IndexEntry,
  IndexPartition,
  IndexQuery,
  InstanceQueryPort,
} from '../../orchestrator/src/operations/operations-ports';
import type { InstanceRecord } from '../../orchestrator/src/runtime/instance-record';
import { statusRecord } from '../../orchestrator/test/support/instance-index-fixtures';
import { MAX_RECORDS_PER_COUNT, statusCounts } from '../src/status-counts';

/**
 * The console's counts read the records of RUNNING executions (a DescribeExecution and a history each) on
 * every refresh: however many run, one refresh reads at most MAX_RECORDS_PER_COUNT of them. A port of our
 * own (not an AWS client) stands for a deployment with RUNNING executions and no engine instance.
 */

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:held_v1';
const RUNNING_EXECUTIONS: IndexPartition = { index: 'sfn-executions', key: `RUNNING#${MACHINE}` };

/** `executions` RUNNING executions of one state machine, newest first, half of them waiting on a task. */
class ExecutionsPort implements InstanceQueryPort {
  readonly recordsRead: string[] = [];
  private readonly entries: IndexEntry[];

  constructor(executions: number) {
    this.entries = Array.from({ length: executions }, (_, i) => ({
      instance_id: `exec-${String(executions - i).padStart(3, '0')}`,
      sort_key: new Date(Date.UTC(2026, 10, 27, 12) - i * 1000).toISOString(),
    }));
  }

  modePartitions(filter: { statuses?: readonly string[] }) {
    // ListExecutions' RUNNING holds both RUNNING and WAITING instances.
    const status = filter.statuses?.[0];
    return Promise.resolve(status === 'RUNNING' || status === 'WAITING' ? [RUNNING_EXECUTIONS] : []);
  }

  queryIndex(query: IndexQuery) {
    if (query.partition.index !== 'sfn-executions') return Promise.resolve({ entries: [], more: false });
    const start = query.after
      ? this.entries.findIndex((e) => e.instance_id === query.after?.instance_id) + 1
      : 0;
    const entries = this.entries.slice(start, start + query.limit);
    return Promise.resolve({ entries, more: start + entries.length < this.entries.length });
  }

  records(ids: readonly string[]) {
    this.recordsRead.push(...ids);
    const records = new Map<string, InstanceRecord>();
    ids.forEach((id, i) =>
      records.set(
        id,
        statusRecord(id, {
          created_at: '2026-11-27T11:00:00.000Z',
          status: i % 2 === 0 ? 'RUNNING' : 'WAITING',
          step_functions: {
            execution_arn: `${MACHINE}:${id}`,
            state_machine_arn: MACHINE,
            execution_status: 'RUNNING',
          },
        }),
      ),
    );
    return Promise.resolve(records);
  }

  leases() {
    return Promise.resolve(new Map());
  }
  instance() {
    return Promise.resolve(undefined);
  }
  pinnedDefinition() {
    return Promise.resolve(undefined);
  }
}

describe('status counts of many RUNNING executions', () => {
  it(`read at most ${MAX_RECORDS_PER_COUNT} records a refresh, newest first, and say "at least" past them`, async () => {
    const port = new ExecutionsPort(250);
    const counts = await statusCounts(port, {});
    expect(port.recordsRead).toHaveLength(MAX_RECORDS_PER_COUNT);
    expect(port.recordsRead[0]).toBe('exec-250');
    const of = (status: string) => counts.find((c) => c.status === status);
    expect(of('RUNNING')).toEqual({ status: 'RUNNING', count: MAX_RECORDS_PER_COUNT / 2, more: true });
    expect(of('WAITING')).toEqual({ status: 'WAITING', count: MAX_RECORDS_PER_COUNT / 2, more: true });
    expect(of('SUCCEEDED')).toEqual({ status: 'SUCCEEDED', count: 0, more: false });
  });

  it('counts them all, and not "at least", when they fit in one read', async () => {
    const port = new ExecutionsPort(60);
    const counts = await statusCounts(port, {});
    expect(port.recordsRead).toHaveLength(60);
    expect(counts.find((c) => c.status === 'RUNNING')).toEqual({ status: 'RUNNING', count: 30, more: false });
    expect(counts.find((c) => c.status === 'WAITING')).toEqual({ status: 'WAITING', count: 30, more: false });
  });
});
