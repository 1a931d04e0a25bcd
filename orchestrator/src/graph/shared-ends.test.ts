import { WorkflowSimulation } from '../runtime/memory/workflow-simulation';
import type { WithdrawableTimerScheduler } from '../runtime/memory/recording-ports';
import { type RecordingLogger } from '../runtime/memory/recording-ports';
import { CrashPlan, type Boundary, type Phase } from '../runtime/testing/fault-injection';
import type { InstanceRecord } from '../runtime/instance-record';
import {
  at,
  INSTANCE,
  MINUTE,
  recordOf,
  requestId,
  requestsOf,
  runInlineWorkflow,
  runsOf,
  steps,
} from './testing/run-inline-workflow';

/**
 * Shared end nodes (issue 14 item 6): a branch that reaches an end node outside its parallel stops its
 * siblings, as a failing branch does, then ends the instance at that end, with its status and output.
 */

const task = (name: string, capability: string, key: string, next: string, extra = '') =>
  `  ${name}:
    type: async_request
    capability_id: '${capability}'
    request_output_keys: [${key}]
    on_response: ${next}
    timeout: 3h
${extra}`;

/**
 * Accept -> Split (B1 | B2 -> Check2) -> Join -> Done. B2's failure and timeout and Check2's "enough"
 * route go to end nodes that the top level does not use: shared ends.
 */
const SHARED = `
workflow_name: shared ends
workflow_id: shared_ends_v1
entry_point: Accept
nodes:
  Accept:
    type: sync_call
    capability_id: core-process-response
    output_keys: [orderId]
    on_success: Split
  Split:
    type: parallel
    branches: [B1, B2]
    join: Join
${task('B1', 'b#one', 'b1', 'Join')}${task('B2', 'b#two', 'b2', 'Check2', '    on_failure: Failed\n    on_timeout: Timed_Out\n')}  Check2:
    type: choice
    choices:
      - when: 'b2 = "enough"'
        next: Enough
    default: Join
${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
    output_keys: [orderId, merged]
  Enough:
    type: end
    output_keys: [b1, b2]
  Failed:
    type: end
    status: FAILED
    output_keys: [orderId, b1]
  Timed_Out:
    type: end
    status: FAILED
    output_keys: [orderId, b1]
`;

const ORDER = { orderId: 'O-1' };

/** Split runs A beside Inner; Inner runs B and C, joined by D. B's failure goes to the top-level end. */
const NESTED = `
workflow_name: nested shared end
workflow_id: nested_shared_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [A, Inner]
    join: Join
${task('A', 'a#one', 'a', 'Join')}  Inner:
    type: parallel
    branches: [B, C]
    join: D
${task('B', 'b#one', 'b', 'D', '    on_failure: Failed\n')}${task('C', 'c#one', 'c', 'D')}${task('D', 'd#one', 'd', 'Join')}${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
    output_keys: [a, c]
`;

function only(record: InstanceRecord, node: string) {
  const runs = runsOf(record, node);
  expect([node, runs.length]).toEqual([node, 1]);
  return runs[0] as (typeof runs)[number];
}

describe('shared end nodes', () => {
  it("a branch failing to a shared FAILED end stops its waiting sibling and ends the instance at that end, with the end's output", async () => {
    const { sim, record } = await runInlineWorkflow(SHARED, {
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
    expect(only(record, 'B1')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
    expect(only(record, 'Failed').started_at).toBe(at(MINUTE));
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
    const { sim, record } = await runInlineWorkflow(SHARED, {
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
    expect(only(record, 'Enough').started_at).toBe(at(2 * MINUTE));
    expect(requestsOf(sim, 'Join')).toEqual([]);
    expect(sim.metrics.total('WorkflowsSucceeded')).toBe(1);
  });

  it('the same workflow still joins when no branch goes to a shared end', async () => {
    const { record } = await runInlineWorkflow(SHARED, {
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

  it('on_timeout to a shared end: the instance ends there when the timeout elapses, with TIMEOUT', async () => {
    const { sim, record } = await runInlineWorkflow(SHARED, {
      context: ORDER,
      mocks: { 'b#one': { delay: '1m', outputs: { b1: 'B1' } }, 'b#two': { reply: false } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'B2' });
    expect(only(record, 'B2')).toMatchObject({ status: 'TIMED_OUT', ended_at: at(180 * MINUTE) });
    expect(only(record, 'Timed_Out')).toMatchObject({ status: 'FAILED', started_at: at(180 * MINUTE) });
    // The sibling had completed: its output is kept, and nothing was cancelled.
    expect(record.output).toEqual({ orderId: 'O-1', b1: 'B1' });
    expect(record.history.filter((h) => h.status === 'CANCELLED')).toEqual([]);
    expect(requestsOf(sim, 'Join')).toEqual([]);
  });

  describe('nested parallels', () => {
    it('an inner branch reaching a shared end stops the inner and the outer siblings at once and ends the instance', async () => {
      const { sim, record } = await runInlineWorkflow(NESTED, {
        mocks: {
          'a#one': { delay: '2h', outputs: { a: 'late' } },
          'b#one': { delay: '1m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
          'c#one': { reply: false },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'B_FAILED', node: 'B' });
      expect(only(record, 'B')).toMatchObject({ status: 'FAILED', ended_at: at(MINUTE) });
      expect(only(record, 'C')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(only(record, 'A')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
      expect(only(record, 'Failed').started_at).toBe(at(MINUTE));
      expect(runsOf(record, 'D')).toEqual([]);
      expect(runsOf(record, 'Join')).toEqual([]);
      expect(record.output).toEqual({});
      expect(record.waits).toEqual([]);
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it('an outer sibling that completed keeps its output at the shared end', async () => {
      const { record } = await runInlineWorkflow(NESTED, {
        mocks: {
          'a#one': { delay: '1m', outputs: { a: 'A' } },
          'b#one': { delay: '5m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
          'c#one': { delay: '2m', outputs: { c: 'C' } },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.output).toEqual({ a: 'A', c: 'C' });
      expect(record.history.filter((h) => h.status === 'CANCELLED')).toEqual([]);
      expect(only(record, 'Failed').started_at).toBe(at(5 * MINUTE));
    });
  });

  it('an end node that is the join of the enclosing parallel is that join: reaching it from an inner branch stops the inner siblings and completes the outer branch, which then joins', async () => {
    const yaml = `
workflow_name: inner to outer join
workflow_id: inner_to_outer_join_v1
entry_point: Outer
nodes:
  Outer:
    type: parallel
    branches: [Customs, Inner]
    join: Release
${task('Customs', 'customs#declaration', 'declared', 'Release')}  Inner:
    type: parallel
    branches: [Invoice, Packing_List]
    join: Sign
${task('Invoice', 'docs#invoice', 'invoice', 'Sign', '    on_failure: Release\n')}${task('Packing_List', 'docs#packing-list', 'packing', 'Sign')}${task('Sign', 'docs#sign', 'signed', 'Release')}  Release:
    type: end
    output_keys: [declared]
`;
    const { record } = await runInlineWorkflow(yaml, {
      mocks: {
        'customs#declaration': { delay: '1h', outputs: { declared: 'yes' } },
        'docs#invoice': { delay: '1m', status: 'FAILURE', error: { code: 'NO_INVOICE', message: 'none' } },
        'docs#packing-list': { reply: false },
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(only(record, 'Packing_List')).toMatchObject({ status: 'CANCELLED', ended_at: at(MINUTE) });
    // The outer sibling is not stopped: the join waits for it.
    expect(only(record, 'Customs')).toMatchObject({ status: 'SUCCEEDED', ended_at: at(60 * MINUTE) });
    expect(only(record, 'Release').started_at).toBe(at(60 * MINUTE));
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
      only(xFirst.record, 'First');

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

  describe('redrive of an instance FAILED at a shared end', () => {
    it('runs the failed step again, resumes the stopped sibling where it stopped, and can complete', async () => {
      const sim = new WorkflowSimulation({
        mocks: {
          'b#one': [{ delay: '1h' }, { delay: '1m', outputs: { b1: 'B1' } }],
          'b#two': [
            { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
            { delay: '2m', outputs: { b2: 'little' } },
          ],
          'join#merge': { outputs: { merged: 'M' } },
        },
      });
      sim.definitions.put('shared_ends_v1.yaml', SHARED);
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'shared_ends_v1',
        instance_id: INSTANCE,
        context: ORDER,
      });
      await sim.drain();
      expect((await recordOf(sim)).status).toBe('FAILED');

      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE, redrive_id: 'r-1', by: 'ops' });
      await sim.drain();
      const record = await recordOf(sim);
      expect(sim.deadLetters).toEqual([]);
      expect(record.status).toBe('SUCCEEDED');
      expect(record.output).toEqual({ orderId: 'O-1', merged: 'M' });
      // Accept and Split are not run again; B2 (the failed step) and B1 (stopped) are, each once more.
      expect(runsOf(record, 'Accept')).toHaveLength(1);
      expect(runsOf(record, 'Split')).toHaveLength(1);
      expect(runsOf(record, 'B2').map((h) => h.status)).toEqual(['FAILED', 'REDRIVEN', 'SUCCEEDED']);
      expect(runsOf(record, 'B1').map((h) => h.status)).toEqual(['CANCELLED', 'SUCCEEDED']);
      expect(runsOf(record, 'Failed')).toHaveLength(1);
      expect(runsOf(record, 'Join')).toHaveLength(1);
      expect(record.history.find((h) => h.status === 'REDRIVEN')?.node).toBe('B2');
      expect(requestsOf(sim, 'B2').map((r) => r.request_id)).toEqual([
        requestId('B2', 1),
        requestId('B2', 2),
      ]);
    });

    it('from an inner branch of nested parallels: the failed step and both stopped siblings resume, each join runs once', async () => {
      const sim = new WorkflowSimulation({
        mocks: {
          'a#one': [{ delay: '2h' }, { delay: '1m', outputs: { a: 'A' } }],
          'b#one': [
            { delay: '1m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
            { delay: '1m', outputs: { b: 'B' } },
          ],
          'c#one': [{ delay: '5h' }, { delay: '2m', outputs: { c: 'C' } }],
          'd#one': { outputs: { d: 'D' } },
          'join#merge': { outputs: { merged: 'M' } },
        },
      });
      sim.definitions.put('nested_shared_v1.yaml', NESTED);
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'nested_shared_v1',
        instance_id: INSTANCE,
        context: {},
      });
      await sim.drain();
      const failed = await recordOf(sim);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'B_FAILED', node: 'B' });

      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE, redrive_id: 'r-1' });
      await sim.drain();
      const record = await recordOf(sim);
      expect(sim.deadLetters).toEqual([]);
      expect(record.status).toBe('SUCCEEDED');
      expect(record.context).toEqual({ a: 'A', b: 'B', c: 'C', d: 'D', merged: 'M' });
      for (const node of ['A', 'C']) {
        expect([node, runsOf(record, node).map((h) => h.status)]).toEqual([node, ['CANCELLED', 'SUCCEEDED']]);
      }
      expect(runsOf(record, 'B').map((h) => h.status)).toEqual(['FAILED', 'REDRIVEN', 'SUCCEEDED']);
      for (const node of ['Split', 'Inner', 'D', 'Join', 'Done', 'Failed']) {
        expect([node, runsOf(record, node).length]).toEqual([node, 1]);
      }
    });

    it('is refused, with the reason, when the FAILED end names no step that failed', async () => {
      // Enough, FAILED here, is reached by a choice: no step failed on the way.
      const yaml = SHARED.replace(
        '  Enough:\n    type: end\n',
        '  Enough:\n    type: end\n    status: FAILED\n',
      );
      const sim = new WorkflowSimulation({ mocks: { 'b#two': { outputs: { b2: 'enough' } } } });
      sim.definitions.put('shared_ends_v1.yaml', yaml);
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'shared_ends_v1',
        instance_id: INSTANCE,
        context: ORDER,
      });
      await sim.drain();
      const failed = await recordOf(sim);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'FAILED', node: 'Enough' });
      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE, redrive_id: 'r-1' });
      await sim.drain();
      const after = await recordOf(sim);
      expect(after.status).toBe('FAILED');
      expect(after.version).toBe(failed.version);
      expect(sim.metrics.total('RedrivesRefused')).toBe(1);
      const warning = (sim.logger as RecordingLogger).lines.find((l) =>
        l.message.startsWith('REDRIVE_WORKFLOW refused'),
      );
      expect(warning?.message).toBe(
        "REDRIVE_WORKFLOW refused: it ended at its end node 'Enough': no step failed",
      );
    });
  });

  describe('crash points', () => {
    const MOCKS = {
      'b#one': { delay: '1h', outputs: { b1: 'late' } },
      'b#two': { delay: '1m', status: 'FAILURE' as const, error: { code: 'REJECTED', message: 'no' } },
    };
    const run = async (plan: CrashPlan) => {
      const sim = new WorkflowSimulation({ mocks: MOCKS, decorate: plan.decorate });
      sim.definitions.put('shared_ends_v1.yaml', SHARED);
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'shared_ends_v1',
        instance_id: INSTANCE,
        context: ORDER,
      });
      await sim.drain();
      return sim;
    };

    it.each<[Boundary, Phase]>([
      ['checkpoint', 'before'],
      ['checkpoint', 'after'],
      ['dispatch', 'before'],
      ['dispatch', 'after'],
      ['save', 'before'],
      ['save', 'after'],
    ])(
      'a worker that dies %s, %s the write during the terminate (lease kept): the redelivery ends the instance once',
      async (boundary, phase) => {
        const counter = new CrashPlan(boundary, phase, Number.POSITIVE_INFINITY);
        await run(counter);
        const total = counter.passes(boundary);
        // Both requests leave in one dispatch; every other boundary is passed again by the terminate.
        expect(total).toBeGreaterThanOrEqual(boundary === 'dispatch' ? 1 : 2);
        for (let occurrence = 1; occurrence <= total; occurrence++) {
          const plan = new CrashPlan(boundary, phase, occurrence);
          const sim = await run(plan);
          const record = await recordOf(sim);
          const where = `${phase} ${boundary} #${occurrence}`;
          expect([where, plan.crashed, sim.deaths]).toEqual([where, true, 1]);
          // The dead worker kept its lease: the redelivered message waited for it.
          expect([where, sim.metrics.total('LeaseConflicts') > 0]).toEqual([where, true]);
          expect([where, record.status, record.error?.code]).toEqual([where, 'FAILED', 'REJECTED']);
          expect([where, steps(record)]).toEqual([
            where,
            [
              ['Accept', 'SUCCEEDED'],
              ['Split', 'SUCCEEDED'],
              ['B2', 'FAILED'],
              ['B1', 'CANCELLED'],
              ['Failed', 'FAILED'],
            ],
          ]);
          expect([where, record.output]).toEqual([where, { orderId: 'O-1' }]);
          // Counted when the commit that ends it succeeds, never twice (a death right after it loses the count).
          expect([where, sim.metrics.total('WorkflowsFailed') <= 1]).toEqual([where, true]);
          expect([where, sim.deadLetters]).toEqual([where, []]);
        }
      },
    );
  });
});
