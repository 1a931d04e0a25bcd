import type { InstanceRecord } from '../runtime/instance-record';
import { followInstance, followTimeoutMs } from './instance-follower';

const base: InstanceRecord = {
  instance_id: 'i-1',
  workflow_id: 'w',
  status: 'RUNNING',
  context: {},
  waits: [],
  history: [],
  definition: { key: 'w.yaml', sha256: 'x' },
  error: null,
  start_context: {},
  dispatched: [],
  cancelled_requests: [],
  resolved: {},
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
const step = (node: string, status: 'SUCCEEDED' | 'FAILED') => ({
  node,
  status,
  started_at: '2026-01-01T00:00:00.000Z',
  ended_at: '2026-01-01T00:00:00.250Z',
});

/** A record that changes on each read, as an instance does while it runs. */
function reads(...records: (InstanceRecord | undefined)[]) {
  let n = 0;
  return () => Promise.resolve(records[Math.min(n++, records.length - 1)]);
}

describe('followInstance', () => {
  const sleep = () => Promise.resolve();

  it('prints each step once, in order, and each wait when it opens, until the instance ends', async () => {
    const lines: string[] = [];
    const waiting: InstanceRecord = {
      ...base,
      status: 'WAITING',
      history: [step('A', 'SUCCEEDED')],
      waits: [{ request_id: 'r', node: 'B', capability_id: 'b#op', since: 's', deadline: null }],
    };
    const load = reads(undefined, { ...base }, waiting, waiting, {
      ...base,
      status: 'FAILED',
      history: [step('A', 'SUCCEEDED'), step('B', 'FAILED')],
    });
    const result = await followInstance(load, 'i-1', { timeoutMs: 10_000, sleep, out: (l) => lines.push(l) });
    expect(result.kind).toBe('done');
    expect(lines).toEqual(['  SUCCEEDED  A (250 ms)', '  WAITING    B on b#op', '  FAILED     B (250 ms)']);
  });

  it('labels each wait by what it awaits: a capability, a retry, a wait node, a child', async () => {
    const lines: string[] = [];
    const wait = { since: 's', deadline: null };
    const waiting: InstanceRecord = {
      ...base,
      status: 'WAITING',
      waits: [
        { ...wait, request_id: 'r1', node: 'Call', capability_id: 'b#op' },
        { ...wait, kind: 'retry', request_id: 'r2', node: 'Flaky', capability_id: '', deadline: 'T1' },
        { ...wait, kind: 'timer', request_id: 'r3', node: 'Cool_Off', capability_id: '', deadline: 'T2' },
        {
          ...wait,
          kind: 'child',
          request_id: 'r4',
          node: 'Assess_Items',
          capability_id: '',
          child_instance_id: 'c-0',
        },
        // A record written before waits had kinds: a timer-only wait reads as a retry, as it did.
        { ...wait, request_id: 'r5', node: 'Old', capability_id: '', deadline: 'T3' },
      ],
    };
    await followInstance(reads(waiting, { ...base, status: 'SUCCEEDED' }), 'i-1', {
      timeoutMs: 10_000,
      sleep,
      out: (l) => lines.push(l),
    });
    expect(lines).toEqual([
      '  WAITING    Call on b#op',
      '  WAITING    Flaky (retry) until T1',
      '  WAITING    Cool_Off (wait) until T2',
      '  WAITING    Assess_Items on child c-0',
      '  WAITING    Old (retry) until T3',
    ]);
  });

  it('stops at once when the first record seen is rejected (another START took the id)', async () => {
    const result = await followInstance(reads({ ...base, workflow_id: 'other' }), 'i-1', {
      timeoutMs: 10_000,
      sleep,
      reject: (r) => (r.workflow_id === 'w' ? undefined : `held by ${r.workflow_id}`),
    });
    expect(result).toMatchObject({ kind: 'rejected', reason: 'held by other' });
  });

  it('times out when the instance never gets there, with the last record it saw', async () => {
    const result = await followInstance(reads({ ...base }), 'i-1', { timeoutMs: 1, pollMs: 5 });
    expect(result).toMatchObject({ kind: 'timed-out', record: { status: 'RUNNING' } });
  });

  it('--timeout must be a positive number of seconds', () => {
    expect(followTimeoutMs('1.5')).toBe(1500);
    expect(() => followTimeoutMs('0')).toThrow('--timeout 0 is not a positive number of seconds');
    expect(() => followTimeoutMs('soon')).toThrow('is not a positive number');
  });
});
