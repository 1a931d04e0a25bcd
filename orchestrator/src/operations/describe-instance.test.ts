import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceRecord } from '../runtime/instance-record';
import { statusRecord } from '../../test/support/instance-index-fixtures';
import { describeInstance } from './describe-instance';
import type { InstanceQueryPort } from './operations-ports';

const FANOUT = readFileSync(
  join(__dirname, '..', '..', '..', 'workflow-definitions', 'fanout_a_b_c_v1.yaml'),
  'utf8',
);
const T0 = '2026-06-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const step = (
  node: string,
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED',
  from: number,
  to: number,
) => ({
  node,
  status,
  started_at: at(from),
  ended_at: at(to),
});

/** The port over fixed values: describeInstance's logic only (the DynamoDB adapter is tested on dynalite). */
function port(record: InstanceRecord, pinned: string | undefined): InstanceQueryPort {
  return {
    queryIndex: () => Promise.reject(new Error('not used')),
    records: () => Promise.reject(new Error('not used')),
    leases: () => Promise.reject(new Error('not used')),
    instance: (id) => Promise.resolve(id === record.instance_id ? record : undefined),
    pinnedDefinition: (sha256) => Promise.resolve(sha256 === record.definition.sha256 ? pinned : undefined),
  };
}

const failed = statusRecord('fanout-failed', {
  created_at: T0,
  updated_at: at(902),
  workflow_id: 'fanout_a_b_c_v1',
  status: 'FAILED',
  error: { code: 'TIMEOUT', message: 'no reply within 15m', node: 'Task_B2' },
  history: [
    step('Task_A', 'SUCCEEDED', 0, 1),
    step('Fan_Out', 'SUCCEEDED', 1, 1),
    step('Task_B1', 'SUCCEEDED', 1, 2),
    step('Task_B2', 'TIMED_OUT', 1, 901),
    step('Task_B3', 'CANCELLED', 1, 901),
    step('Failed', 'FAILED', 902, 902),
  ],
});

describe('describeInstance', () => {
  it('colours a failed fan-out: the timed-out branch failed, its sibling cancelled, the failure end reached', async () => {
    const d = await describeInstance(port(failed, FANOUT), 'fanout-failed', new Date(at(1000)));
    expect(d?.nodes).toEqual({
      Task_A: 'done',
      Fan_Out: 'done',
      Task_B1: 'done',
      Task_B2: 'failed',
      Task_B3: 'cancelled',
      Task_C: 'not_reached',
      Done: 'not_reached',
      Failed: 'failed',
      Timed_Out: 'not_reached',
    });
    expect(d?.graph).toContain('  class n_Task_B2,n_Failed failed\n');
    expect(d?.graph).toContain('  class n_Task_B3 cancelled\n');
    // The cause, not the end node that records the outcome.
    expect(d?.last_failed_step).toEqual(step('Task_B2', 'TIMED_OUT', 1, 901));
    expect(d?.error).toEqual({ code: 'TIMEOUT', message: 'no reply within 15m', node: 'Task_B2' });
    expect(d?.history.at(-1)).toMatchObject({ node: 'Failed', offset_ms: 902_000, duration_ms: 0 });
    expect(d?.history[3]).toMatchObject({ node: 'Task_B2', offset_ms: 1000, duration_ms: 900_000 });
  });

  it('gives the time left of each wait, negative and overdue past the deadline, null without one', async () => {
    const waiting = statusRecord('w', {
      created_at: T0,
      status: 'WAITING',
      waits: [
        { request_id: 'r1', node: 'Task_B2', capability_id: 'duty#valuation', since: T0, deadline: at(900) },
        { request_id: 'r2', node: 'Task_B3', capability_id: 'licence#check', since: T0, deadline: at(60) },
        { request_id: 'r3', node: 'Task_B1', capability_id: 'classify#goods', since: T0, deadline: null },
      ],
    });
    const d = await describeInstance(port(waiting, FANOUT), 'w', new Date(at(120)));
    expect(d?.waits.map((w) => [w.node, w.time_left_ms, w.overdue])).toEqual([
      ['Task_B2', 780_000, false],
      ['Task_B3', -60_000, true],
      ['Task_B1', null, false],
    ]);
  });

  it('without the pinned definition: no graph, says why, and colours the nodes the history names', async () => {
    const d = await describeInstance(port(failed, undefined), 'fanout-failed', new Date(at(1000)));
    expect(d?.graph).toBeNull();
    expect(d?.graph_error).toBe(`pinned definition ${'a'.repeat(64)} not found`);
    expect(Object.keys(d?.nodes ?? {})).toEqual([
      'Task_A',
      'Fan_Out',
      'Task_B1',
      'Task_B2',
      'Task_B3',
      'Failed',
    ]);
  });

  it('is undefined for an unknown instance', async () => {
    expect(await describeInstance(port(failed, FANOUT), 'nope', new Date(T0))).toBeUndefined();
  });
});
