import type { WithdrawableTimerScheduler, RecordingLogger } from '../runtime/memory/recording-ports';
import {
  at,
  MINUTE,
  requestId,
  requestsOf,
  onlyRunOf,
  runInlineWorkflow,
  runsOf,
  steps,
} from './testing/run-inline-workflow';
import {
  END_AS_OUTER_JOIN,
  NESTED_SHARED_END,
  ORDER,
  SHARED_ENDS,
  task,
} from './testing/shared-end-workflows';

/**
 * Shared end nodes (issue 14 item 6): a branch that reaches an end node outside its parallel stops its
 * siblings, as a failing branch does, then ends the instance at that end, with its status and output.
 * Redrive and crash points: `runtime/testing/shared-end-guarantees.suite.ts`, on every checkpointer.
 */

describe('shared end nodes', () => {
  it("a branch failing to a shared FAILED end stops its waiting sibling and ends the instance at that end, with the end's output", async () => {
    const { sim, record } = await runInlineWorkflow(SHARED_ENDS, {
      context: ORDER,
      withdrawableTimers: true,
      mocks: {
        'b#one': { delay: '1h', outputs: { b1: 'late' } },
        'b#two': { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ code: 'REJECTED', message: 'no', node: 'B2' });
    expect(steps(record)).toEqual([
      ['Accept', 'SUCCEEDED'],
      ['Split', 'SUCCEEDED'],
      ['B2', 'FAILED'],
      ['B1', 'CANCELLED'],
      ['Failed', 'FAILED'],
    ]);
    // The sibling is stopped when the branch ends, not when its own reply would have come.
    expect(onlyRunOf(record, 'B1')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
    expect(onlyRunOf(record, 'Failed').started_at).toBe(at(MINUTE));
    expect(record.output).toEqual({ orderId: 'O-1' });
    expect(record.waits).toEqual([]);
    expect(record.resolved).toMatchObject({ [requestId('B1')]: 'CANCELLED', [requestId('B2')]: 'FAILED' });
    expect(requestsOf(sim, 'Join')).toEqual([]);
    // As for a failing branch, the stopped sibling's capability is not told (that is for a cancelled instance).
    expect(sim.dispatcher.notices).toEqual([]);
    // The sibling's reply, an hour later, is stale: acknowledged, counted, not applied.
    expect(sim.metrics.total('StaleReplies')).toBe(1);
    expect(sim.deadLetters).toEqual([]);
    expect(record.context.b1).toBeUndefined();
    // Its deadline is withdrawn with the wait.
    const timers = sim.timers as WithdrawableTimerScheduler;
    expect(timers.cancelled.map((t) => t.request_id).sort()).toEqual(
      [requestId('B1'), requestId('B2')].sort(),
    );
    expect(timers.scheduled).toEqual([]);
    const lines = (sim.logger as RecordingLogger).lines.map((l) => l.message);
    expect(lines).toContain('branch stopped: a sibling branch reached end node Failed');
  });

  it('a branch routing to a shared SUCCEEDED end succeeds there, with what a sibling that completed produced', async () => {
    const { sim, record } = await runInlineWorkflow(SHARED_ENDS, {
      context: ORDER,
      mocks: {
        'b#one': { delay: '1m', outputs: { b1: 'B1' } },
        'b#two': { delay: '2m', outputs: { b2: 'enough' } },
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.error).toBeNull();
    expect(record.output).toEqual({ b1: 'B1', b2: 'enough' });
    expect(steps(record)).toEqual([
      ['Accept', 'SUCCEEDED'],
      ['Split', 'SUCCEEDED'],
      ['B1', 'SUCCEEDED'],
      ['B2', 'SUCCEEDED'],
      ['Check2', 'SUCCEEDED'],
      ['Enough', 'SUCCEEDED'],
    ]);
    expect(onlyRunOf(record, 'Enough').started_at).toBe(at(2 * MINUTE));
    expect(requestsOf(sim, 'Join')).toEqual([]);
    expect(sim.metrics.total('WorkflowsSucceeded')).toBe(1);
  });

  it('the same workflow still joins when no branch goes to a shared end', async () => {
    const { record } = await runInlineWorkflow(SHARED_ENDS, {
      context: ORDER,
      mocks: {
        'b#one': { delay: '1m', outputs: { b1: 'B1' } },
        'b#two': { delay: '2m', outputs: { b2: 'little' } },
        'join#merge': { outputs: { merged: 'M' } },
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ orderId: 'O-1', merged: 'M' });
    expect(runsOf(record, 'Enough')).toEqual([]);
  });

  it("an end node that is the parallel's own join is that join, not a shared end: the first branch to reach it does not stop the other, and the instance SUCCEEDS there with both branches' outputs", async () => {
    const { record } = await runInlineWorkflow(
      `
workflow_name: join is an end
workflow_id: join_end_v1
entry_point: Fan
nodes:
  Fan:
    type: parallel
    branches: [A, B]
    join: J
${task('A', 'a#one', 'a', 'J')}${task('B', 'b#one', 'b', 'J')}  J:
    type: end
    output_keys: [a, b]
`,
      {
        mocks: {
          'a#one': { delay: '1m', outputs: { a: 'A' } },
          'b#one': { delay: '2m', outputs: { b: 'B' } },
        },
      },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.error).toBeNull();
    expect(record.output).toEqual({ a: 'A', b: 'B' });
    expect(steps(record)).toEqual([
      ['Fan', 'SUCCEEDED'],
      ['A', 'SUCCEEDED'],
      ['B', 'SUCCEEDED'],
      ['J', 'SUCCEEDED'],
    ]);
    // J runs once, as the join, after the later branch: A reaching it first did not end the instance.
    expect(onlyRunOf(record, 'J').started_at).toBe(at(2 * MINUTE));
  });

  it('on_timeout to a shared end: the instance ends there when the timeout elapses, with TIMEOUT', async () => {
    const { sim, record } = await runInlineWorkflow(SHARED_ENDS, {
      context: ORDER,
      mocks: { 'b#one': { delay: '1m', outputs: { b1: 'B1' } }, 'b#two': { reply: false } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'B2' });
    expect(onlyRunOf(record, 'B2')).toMatchObject({ status: 'TIMED_OUT', ended_at: at(180 * MINUTE) });
    expect(onlyRunOf(record, 'Timed_Out')).toMatchObject({ status: 'FAILED', started_at: at(180 * MINUTE) });
    // The sibling had completed: its output is kept, and nothing was cancelled.
    expect(record.output).toEqual({ orderId: 'O-1', b1: 'B1' });
    expect(record.history.filter((h) => h.status === 'CANCELLED')).toEqual([]);
    expect(requestsOf(sim, 'Join')).toEqual([]);
  });

  describe('nested parallels', () => {
    it('an inner branch reaching a shared end stops the inner and the outer siblings at once and ends the instance', async () => {
      const { sim, record } = await runInlineWorkflow(NESTED_SHARED_END, {
        mocks: {
          'a#one': { delay: '2h', outputs: { a: 'late' } },
          'b#one': { delay: '1m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
          'c#one': { reply: false },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'B_FAILED', node: 'B' });
      expect(onlyRunOf(record, 'B')).toMatchObject({ status: 'FAILED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'C')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'A')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(MINUTE));
      expect(runsOf(record, 'D')).toEqual([]);
      expect(runsOf(record, 'Join')).toEqual([]);
      expect(record.output).toEqual({});
      expect(record.waits).toEqual([]);
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it('an outer sibling that completed keeps its output at the shared end', async () => {
      const { record } = await runInlineWorkflow(NESTED_SHARED_END, {
        mocks: {
          'a#one': { delay: '1m', outputs: { a: 'A' } },
          'b#one': { delay: '5m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
          'c#one': { delay: '2m', outputs: { c: 'C' } },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.output).toEqual({ a: 'A', c: 'C' });
      expect(record.history.filter((h) => h.status === 'CANCELLED')).toEqual([]);
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(5 * MINUTE));
    });

    it("a nested parallel's on_failure to a shared end: an inner failure with no route of its own ends the instance there", async () => {
      // B has no route of its own: its failure is Inner's, whose on_failure is the top-level end.
      const yaml = NESTED_SHARED_END.replace('    on_failure: Failed\n', '').replace(
        '    join: D\n',
        '    join: D\n    on_failure: Failed\n',
      );
      expect(yaml).not.toBe(NESTED_SHARED_END);
      const { record } = await runInlineWorkflow(yaml, {
        mocks: {
          'a#one': { delay: '2h' },
          'b#one': { delay: '1m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
          'c#one': { reply: false },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'B_FAILED', node: 'B' });
      expect(onlyRunOf(record, 'C')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'A')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(MINUTE));
      expect(runsOf(record, 'Join')).toEqual([]);
    });
  });

  it('an end node that is the join of the enclosing parallel is that join: reaching it from an inner branch stops the inner siblings and completes the outer branch, which then joins', async () => {
    const { record } = await runInlineWorkflow(END_AS_OUTER_JOIN, {
      mocks: {
        'customs#declaration': { delay: '1h', outputs: { declared: 'yes' } },
        'docs#invoice': { delay: '1m', status: 'FAILURE', error: { code: 'NO_INVOICE', message: 'none' } },
        'docs#packing-list': { reply: false },
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(onlyRunOf(record, 'Packing_List')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
    // The outer sibling is not stopped: the join waits for it.
    expect(onlyRunOf(record, 'Customs')).toMatchObject({ status: 'SUCCEEDED', ended_at: at(60 * MINUTE) });
    expect(onlyRunOf(record, 'Release').started_at).toBe(at(60 * MINUTE));
    expect(record.output).toEqual({ declared: 'yes' });
    expect(runsOf(record, 'Sign')).toEqual([]);
  });

  describe('two branches reaching shared ends in the same step', () => {
    const BOTH = (branches: string) => `
workflow_name: both stop
workflow_id: both_stop_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: ${branches}
    join: Join
  X:
    type: set
    values: { x: '"X"' }
    next: X_Check
  X_Check:
    type: choice
    choices: [{ when: 'stop = true', next: First }]
    default: Join
  Y:
    type: set
    values: { y: '"Y"' }
    next: Y_Check
  Y_Check:
    type: choice
    choices: [{ when: 'stop = true', next: Second }]
    default: Join
  Join: { type: end }
  First: { type: end, output_keys: [x, y] }
  Second: { type: end, status: FAILED, output_keys: [x, y] }
`;

    it('the first branch in `branches` order wins, and both branches keep their changes', async () => {
      const xFirst = await runInlineWorkflow(BOTH('[X, Y]'), { context: { stop: true } });
      expect(xFirst.record.status).toBe('SUCCEEDED');
      expect(xFirst.record.output).toEqual({ x: 'X', y: 'Y' });
      expect(runsOf(xFirst.record, 'Second')).toEqual([]);
      onlyRunOf(xFirst.record, 'First');

      const yFirst = await runInlineWorkflow(BOTH('[Y, X]'), { context: { stop: true } });
      expect(yFirst.record.status).toBe('FAILED');
      expect(yFirst.record.error).toMatchObject({ code: 'FAILED', node: 'Second' });
      expect(yFirst.record.output).toEqual({ x: 'X', y: 'Y' });
      expect(runsOf(yFirst.record, 'First')).toEqual([]);
    });

    it('a branch reaching a shared end wins over a sibling failing in the same step', async () => {
      for (const order of ['[X, Y]', '[Y, X]']) {
        const failingY = BOTH(order).replace(
          `values: { y: '"Y"' }`,
          `values: { y: '$number("not a number")' }`,
        );
        const { record } = await runInlineWorkflow(failingY, { context: { stop: true } });
        expect([order, record.status, runsOf(record, 'First').length]).toEqual([order, 'SUCCEEDED', 1]);
        expect(runsOf(record, 'Y')[0]?.status).toBe('FAILED');
        expect(record.output).toEqual({ x: 'X' });
      }
    });

    it("a FAILED shared end reports the ending branch's error, not a sibling's failing in the same step", async () => {
      // X fails its set node into the shared FAILED end Second; Y fails with no route of its own.
      const yaml = BOTH('[X, Y]')
        .replace(`values: { x: '"X"' }`, `values: { x: '$number("x")' }\n    on_failure: Second`)
        .replace(`values: { y: '"Y"' }`, `values: { y: '$number("y")' }`);
      for (const order of ['[X, Y]', '[Y, X]']) {
        const { record } = await runInlineWorkflow(yaml.replace('branches: [X, Y]', `branches: ${order}`));
        expect([order, record.status, runsOf(record, 'Second').length]).toEqual([order, 'FAILED', 1]);
        expect([order, record.error?.node]).toEqual([order, 'X']);
      }
    });
  });
});
