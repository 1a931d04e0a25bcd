import type { InstanceRecord } from '../runtime/instance-record';
import { nodeStates, nodeStateStyling } from './node-states';

const at = '2026-01-01T00:00:00.000Z';
const step = (node: string, status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED') => ({
  node,
  status,
  started_at: at,
  ended_at: at,
});
const wait = (node: string) => ({
  request_id: `${node}-1`,
  node,
  capability_id: 'x#y',
  since: at,
  deadline: null,
});

describe('nodeStates', () => {
  it('tells done, failed, timed out, cancelled, waiting and not reached apart', () => {
    const record: Pick<InstanceRecord, 'waits' | 'history'> = {
      history: [step('A', 'SUCCEEDED'), step('B', 'FAILED'), step('C', 'TIMED_OUT'), step('D', 'CANCELLED')],
      waits: [wait('E')],
    };
    expect(nodeStates(['A', 'B', 'C', 'D', 'E', 'F'], record)).toEqual({
      A: 'done',
      B: 'failed',
      C: 'failed',
      D: 'cancelled',
      E: 'waiting',
      F: 'not_reached',
    });
  });

  it('shows the latest run of a node a loop or a retry revisited, and a wait over any earlier run', () => {
    const record = {
      history: [step('Poll', 'FAILED'), step('Poll', 'SUCCEEDED'), step('Call', 'FAILED')],
      waits: [wait('Call')],
    };
    expect(nodeStates(['Poll', 'Call'], record)).toEqual({ Poll: 'done', Call: 'waiting' });
  });

  it('ignores history lines that are not a node execution (a redrive)', () => {
    const redrive = { ...step('B', 'SUCCEEDED'), status: 'REDRIVEN' } as unknown as ReturnType<typeof step>;
    expect(nodeStates(['B'], { history: [step('B', 'FAILED'), redrive], waits: [] })).toEqual({
      B: 'failed',
    });
  });

  it('styles each node by its state and leaves unknown nodes unstyled', () => {
    const styling = nodeStateStyling({ A: 'done', B: 'not_reached' });
    expect(styling.classOf('A')).toBe('done');
    expect(styling.classOf('B')).toBe('notReached');
    expect(styling.classOf('Z')).toBeUndefined();
    expect(Object.keys(styling.classDefs).sort()).toEqual([
      'cancelled',
      'done',
      'failed',
      'notReached',
      'waiting',
    ]);
  });
});
