import type { InstanceDescription } from '../operations/describe-instance';
import { timelineLines } from './timeline-lines';

type Entry = InstanceDescription['history'][number];

const entry = (
  node: string,
  status: 'SUCCEEDED' | 'FAILED',
  offset_ms: number,
  duration_ms: number,
): Entry => ({
  node,
  status,
  started_at: new Date(Date.UTC(2026, 5, 1) + offset_ms).toISOString(),
  ended_at: new Date(Date.UTC(2026, 5, 1) + offset_ms + duration_ms).toISOString(),
  offset_ms,
  duration_ms,
});

describe('wf describe: the timeline', () => {
  it('aligns offset, node, status and duration in columns', () => {
    expect(timelineLines([entry('Task_A', 'SUCCEEDED', 0, 12), entry('Fan_Out', 'FAILED', 1500, 3)])).toEqual(
      ['      +0.000s  Task_A   SUCCEEDED  12 ms', '      +1.500s  Fan_Out  FAILED     3 ms'],
    );
  });

  it('measures a node name with control characters as it is printed, escaped', () => {
    // ESC prints as \u001b: six characters where the name had one.
    const lines = timelineLines([
      entry('A\u001bB', 'SUCCEEDED', 0, 1),
      entry('Long_Name', 'FAILED', 2000, 2),
    ]);
    expect(lines).toEqual([
      '      +0.000s  A\\u001bB   SUCCEEDED  1 ms',
      '      +2.000s  Long_Name  FAILED     2 ms',
    ]);
    // Every status starts in the same column.
    expect(new Set(lines.map((l) => l.search(/SUCCEEDED|FAILED/))).size).toBe(1);
  });

  it('widens the offset column for a step more than a day in', () => {
    const lines = timelineLines([
      entry('Ask', 'SUCCEEDED', 0, 1),
      entry('Wait', 'SUCCEEDED', 200_000_000, 1),
    ]);
    expect(lines).toEqual(['       +0.000s  Ask   SUCCEEDED  1 ms', '  +200000.000s  Wait  SUCCEEDED  1 ms']);
  });

  it('lists the steps in the order they started; the history has them in the order they ended', () => {
    // A parallel's slow branch B1 started first and ended last; B2 and B3 started together.
    const lines = timelineLines([
      entry('B2', 'SUCCEEDED', 116, 3),
      entry('B3', 'SUCCEEDED', 116, 4),
      entry('B1', 'SUCCEEDED', 87, 500),
    ]);
    expect(lines.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      '+0.087s B1',
      '+0.116s B2',
      '+0.116s B3',
    ]);
  });
});
