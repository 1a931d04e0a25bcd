import type { InstanceRecord } from '../runtime/instance-record';
import { WorkflowSimulation } from '../runtime/memory/workflow-simulation';
import {
  at,
  firstWait,
  MINUTE,
  recordOf,
  requestsOf,
  onlyRunOf,
  runInlineWorkflow,
  runsOf,
  startInlineWorkflow,
  steps,
  withoutNode,
} from './testing/run-inline-workflow';

/**
 * Behaviour of `parallel` nodes: branches run concurrently, the join runs exactly once after every branch,
 * every branch's outputs are kept, and a failing branch routes to the parallel's `on_failure`.
 */

const lastEnd = (record: InstanceRecord, nodes: readonly string[]) =>
  nodes
    .map((n) => onlyRunOf(record, n).ended_at)
    .sort()
    .at(-1);

/** An async_request node as YAML. */
const task = (name: string, capability: string, key: string, next: string, extra = '') =>
  `  ${name}:
    type: async_request
    capability_id: '${capability}'
    request_output_keys: [${key}]
    on_response: ${next}
    timeout: 3h
${extra}`;

/** A workflow: Accept (sync) -> Split (parallel) -> ... -> Join -> Done, with a FAILED end `Failed`. */
const workflow = (id: string, split: string, nodes: string) => `
workflow_name: ${id}
workflow_id: ${id}
entry_point: Accept
nodes:
  Accept:
    type: sync_call
    capability_id: core-process-response
    output_keys: [orderId]
    on_success: Split
  Split:
    type: parallel
${split}
${nodes}${task('Join', 'join#merge', 'merged', 'Done')}  Done:
    type: end
    output_keys: [orderId, merged]
  Failed:
    type: end
    status: FAILED
`;

/** Branch X is two sequential requests X1 -> X2, branch Y is one request. */
const UNEVEN = workflow(
  'uneven_v1',
  '    branches: [X1, Y]\n    join: Join\n    on_failure: Failed',
  task('X1', 'x#first', 'x1', 'X2') + task('X2', 'x#second', 'x2', 'Join') + task('Y', 'y#only', 'y', 'Join'),
);

/** Two single-request branches. */
const PAIR = (onFailure = 'Failed') =>
  workflow(
    'pair_v1',
    `    branches: [B1, B2]\n    join: Join\n    on_failure: ${onFailure}`,
    task('B1', 'b#one', 'b1', 'Join') + task('B2', 'b#two', 'b2', 'Join'),
  );

const ORDER = { orderId: 'O-1' };

describe('parallel', () => {
  describe('joining', () => {
    it('while the branches wait, the record lists every open wait', async () => {
      const sim = startInlineWorkflow(PAIR(), { context: ORDER, mocks: false });
      await sim.step();
      const record = await recordOf(sim);
      expect(record.status).toBe('WAITING');
      expect(record.waits).toEqual([
        firstWait('B1', 'b#one', at(0), at(180 * MINUTE)),
        firstWait('B2', 'b#two', at(0), at(180 * MINUTE)),
      ]);
      expect(sim.dispatcher.sent.map((r) => r.node)).toEqual(['B1', 'B2']);
    });

    it('branches of different lengths: the join runs exactly once, after all, with every output kept', async () => {
      const { sim, record } = await runInlineWorkflow(UNEVEN, {
        context: ORDER,
        mocks: {
          'x#first': { delay: '1m', outputs: { x1: 'X1' } },
          'x#second': { delay: '1m', outputs: { x2: 'X2' } },
          'y#only': { delay: '1h', outputs: { y: 'Y' } },
          'join#merge': { delay: '1m', outputs: { merged: 'M' } },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      const join = onlyRunOf(record, 'Join');
      expect(join.started_at).toBe(lastEnd(record, ['X1', 'X2', 'Y']));
      expect(requestsOf(sim, 'Join')).toHaveLength(1);
      expect(requestsOf(sim, 'Join')[0]?.input).toEqual({ orderId: 'O-1', x1: 'X1', x2: 'X2', y: 'Y' });
      expect(record.context).toEqual({ orderId: 'O-1', x1: 'X1', x2: 'X2', y: 'Y', merged: 'M' });
      expect(record.output).toEqual({ orderId: 'O-1', merged: 'M' });
      expect(onlyRunOf(record, 'Split').status).toBe('SUCCEEDED');
      expect(onlyRunOf(record, 'Done').status).toBe('SUCCEEDED');
    });

    it('the join waits for the slowest branch whichever branch finishes first', async () => {
      for (const [x, y] of [
        ['1m', '5h'],
        ['2h', '1m'],
      ]) {
        const { record } = await runInlineWorkflow(UNEVEN.replace(/timeout: 3h/g, 'timeout: 6h'), {
          context: ORDER,
          mocks: {
            'x#first': { delay: x },
            'x#second': { delay: x },
            'y#only': { delay: y },
          },
        });
        expect(record.status).toBe('SUCCEEDED');
        expect(onlyRunOf(record, 'Join').started_at).toBe(lastEnd(record, ['X1', 'X2', 'Y']));
      }
    });

    it("a branch's next step starts when its own reply arrives, not when the slowest sibling's does", async () => {
      // Branch X (two 1-minute steps) finishes at 2m; branch Y at 1h. Concurrent branches mean X2 is
      // requested at 1m, and the join starts at 1h.
      const { sim, record } = await runInlineWorkflow(UNEVEN, {
        context: ORDER,
        mocks: {
          'x#first': { delay: '1m' },
          'x#second': { delay: '1m' },
          'y#only': { delay: '1h' },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(requestsOf(sim, 'X2').map((r) => r.sent_at)).toEqual([at(MINUTE)]);
      expect(onlyRunOf(record, 'X2')).toMatchObject({ started_at: at(MINUTE), ended_at: at(2 * MINUTE) });
      expect(onlyRunOf(record, 'Join').started_at).toBe(at(60 * MINUTE));
    });
  });

  describe('failing branches', () => {
    it('a FAILURE reply without its own on_failure routes to the parallel on_failure; the join never runs', async () => {
      const { sim, record } = await runInlineWorkflow(PAIR(), {
        context: ORDER,
        mocks: {
          'b#one': { delay: '1m', outputs: { b1: 'B1' } },
          'b#two': {
            delay: '2m',
            status: 'FAILURE',
            error: { code: 'REJECTED', message: 'licence refused' },
          },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toEqual({ code: 'REJECTED', message: 'licence refused', node: 'B2' });
      expect(steps(record)).toEqual([
        ['Accept', 'SUCCEEDED'],
        ['Split', 'SUCCEEDED'],
        ['B1', 'SUCCEEDED'],
        ['B2', 'FAILED'],
        ['Failed', 'FAILED'],
      ]);
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(2 * MINUTE));
      expect(requestsOf(sim, 'Join')).toEqual([]);
      expect(record.context.b1).toBe('B1');
      expect(record.waits).toEqual([]);
    });

    it('the status follows the route: an on_failure leading to a SUCCEEDED end succeeds', async () => {
      const yaml = PAIR('Handled').concat('  Handled:\n    type: end\n    output_keys: [b1]\n');
      const { sim, record } = await runInlineWorkflow(withoutNode(yaml, 'Failed'), {
        context: ORDER,
        mocks: {
          'b#one': { outputs: { b1: 'B1' } },
          'b#two': { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.error).toBeNull();
      expect(record.output).toEqual({ b1: 'B1' });
      expect(runsOf(record, 'Join')).toEqual([]);
      expect(requestsOf(sim, 'Join')).toEqual([]);
      expect(onlyRunOf(record, 'Handled').status).toBe('SUCCEEDED');
    });

    it('a branch timeout without on_timeout routes to the parallel on_failure with TIMEOUT', async () => {
      const { record } = await runInlineWorkflow(PAIR(), {
        context: ORDER,
        mocks: {
          'b#one': { delay: '1m' },
          'b#two': { reply: false },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'TIMEOUT', node: 'B2' });
      expect(onlyRunOf(record, 'B2')).toMatchObject({ status: 'TIMED_OUT', ended_at: at(180 * MINUTE) });
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(180 * MINUTE));
      expect(runsOf(record, 'Join')).toEqual([]);
    });

    it('a failing branch ends the instance when it fails, without waiting for a slower sibling', async () => {
      const { sim, record } = await runInlineWorkflow(PAIR(), {
        context: ORDER,
        mocks: {
          'b#one': { delay: '1h', outputs: { b1: 'late' } },
          'b#two': { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(MINUTE));
      // The sibling's reply comes after the instance ended: stale, not applied.
      expect(record.context.b1).toBeUndefined();
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it('a FAILED instance lists no open waits: an unfinished sibling is abandoned, its reply stale', async () => {
      const { sim, record } = await runInlineWorkflow(UNEVEN, {
        context: ORDER,
        mocks: {
          'x#first': { delay: '1m' },
          'x#second': { delay: '2h' },
          'y#only': { delay: '1h', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'REJECTED', node: 'Y' });
      expect(record.waits).toEqual([]);
      expect(runsOf(record, 'Join')).toEqual([]);
      expect(record.context.x2).toBeUndefined();
      expect(sim.metrics.total('StaleReplies')).toBe(requestsOf(sim, 'X2').length);
    });

    it('an entry-point parallel whose every failure has a route compiles and runs', async () => {
      // No node can reach the workflow-level failure node here: every failure goes to Split's on_failure.
      const yaml = `
workflow_name: split_first
workflow_id: split_first_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [B1, B2]
    join: Done
    on_failure: Failed
${task('B1', 'b#one', 'b1', 'Done')}${task('B2', 'b#two', 'b2', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
`;
      const ok = await runInlineWorkflow(yaml);
      expect(ok.sim.deadLetters.map((d) => d.reason)).toEqual([]);
      expect(ok.record.status).toBe('SUCCEEDED');
      expect(onlyRunOf(ok.record, 'Done').status).toBe('SUCCEEDED');

      const failing = await runInlineWorkflow(yaml, { mocks: { 'b#two': { status: 'FAILURE' } } });
      expect(failing.record.status).toBe('FAILED');
      expect(failing.record.error).toMatchObject({ code: 'MOCK_FAILURE', node: 'B2' });
      expect(runsOf(failing.record, 'Done')).toEqual([]);
    });
  });

  describe('nested parallels', () => {
    // Outer runs A beside Inner; Inner runs B and C, joined by D, which leads on to Outer's join.
    const NESTED = (innerFailure = '') =>
      workflow(
        'nested_v1',
        '    branches: [A, Inner]\n    join: Join\n    on_failure: Failed',
        task('A', 'a#one', 'a', 'Join') +
          `  Inner:\n    type: parallel\n    branches: [B, C]\n    join: D\n${innerFailure}` +
          task('B', 'b#one', 'b', 'D') +
          task('C', 'c#one', 'c', 'D') +
          task('D', 'd#one', 'd', 'Join'),
      );

    it('each join runs once, after its own branches, with every output kept', async () => {
      const { sim, record } = await runInlineWorkflow(NESTED(), {
        context: ORDER,
        mocks: {
          'a#one': { delay: '1m' },
          'b#one': { delay: '2m' },
          'c#one': { delay: '3m' },
          'd#one': { delay: '1m' },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      for (const node of ['Split', 'Inner', 'A', 'B', 'C', 'D', 'Join', 'Done']) onlyRunOf(record, node);
      expect(onlyRunOf(record, 'D').started_at).toBe(lastEnd(record, ['B', 'C']));
      expect(onlyRunOf(record, 'Join').started_at).toBe(lastEnd(record, ['A', 'D']));
      expect(requestsOf(sim, 'D')).toHaveLength(1);
      expect(requestsOf(sim, 'Join')).toHaveLength(1);
      expect(Object.keys(record.context).sort()).toEqual(['a', 'b', 'c', 'd', 'merged', 'orderId']);
    });

    it('the outer join waits for the inner join even when the outer sibling is slowest', async () => {
      const { sim, record } = await runInlineWorkflow(NESTED(), {
        context: ORDER,
        mocks: {
          'a#one': { delay: '10m' },
          'b#one': { delay: '1m' },
          'c#one': { delay: '2m' },
          'd#one': { delay: '1m' },
        },
      });
      expect(sim.deadLetters.map((d) => d.reason)).toEqual([]);
      expect(record.status).toBe('SUCCEEDED');
      expect(onlyRunOf(record, 'B')).toMatchObject({ status: 'SUCCEEDED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'C')).toMatchObject({ status: 'SUCCEEDED', ended_at: at(2 * MINUTE) });
      expect(onlyRunOf(record, 'D').started_at).toBe(at(2 * MINUTE));
      expect(onlyRunOf(record, 'Join').started_at).toBe(at(10 * MINUTE));
    });

    it('an inner branch failure without an inner on_failure goes to the outer on_failure', async () => {
      const { record } = await runInlineWorkflow(NESTED(), {
        context: ORDER,
        mocks: {
          'a#one': { delay: '1m' },
          'b#one': { delay: '2m' },
          'c#one': { delay: '3m', status: 'FAILURE', error: { code: 'C_FAILED', message: 'c' } },
        },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'C_FAILED', node: 'C' });
      expect(onlyRunOf(record, 'Failed').started_at).toBe(at(3 * MINUTE));
      expect(runsOf(record, 'D')).toEqual([]);
      expect(runsOf(record, 'Join')).toEqual([]);
    });

    it('an inner branch failure stops its siblings at every depth at once, and the record shows it', async () => {
      // B fails at 1 minute; C (inner sibling) and A (outer sibling) would reply only after hours, and C
      // never does: neither may hold the failure back.
      const { sim, record } = await runInlineWorkflow(NESTED(), {
        context: ORDER,
        mocks: {
          'a#one': { delay: '2h' },
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
      expect(record.waits).toEqual([]);
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it("an inner branch failure takes the inner parallel's on_failure, which can rejoin the outer join", async () => {
      const yaml = NESTED('    on_failure: Compensate\n').replace(
        '  Done:\n',
        task('Compensate', 'comp#undo', 'undone', 'Join') + '  Done:\n',
      );
      const { record } = await runInlineWorkflow(yaml, {
        context: ORDER,
        mocks: {
          'a#one': { delay: '1m' },
          'b#one': { delay: '2m' },
          'c#one': { delay: '3m', status: 'FAILURE', error: { code: 'C_FAILED', message: 'c' } },
          'comp#undo': { delay: '1m' },
        },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(onlyRunOf(record, 'C').status).toBe('FAILED');
      expect(onlyRunOf(record, 'Compensate').started_at).toBe(at(3 * MINUTE));
      expect(onlyRunOf(record, 'Join').started_at).toBe(at(4 * MINUTE));
      expect(runsOf(record, 'D')).toEqual([]);
      expect(runsOf(record, 'Failed')).toEqual([]);
    });
  });

  describe('a branch containing a choice', () => {
    // Branch Check either goes straight to the join (express) or through Review; branch Y is one request.
    const CHOOSING = workflow(
      'choosing_v1',
      '    branches: [Check, Y]\n    join: Join\n    on_failure: Failed',
      `  Check:
    type: choice
    choices:
      - when: 'express = true'
        next: Join
      - when: '$number(priority) > 5'
        next: Review
    default: Review
${task('Review', 'review#manual', 'review', 'Join')}${task('Y', 'y#only', 'y', 'Join')}`,
    );

    it('reaching the join straight from the choice: the join runs once, after the other branch', async () => {
      const { sim, record } = await runInlineWorkflow(CHOOSING, {
        context: { ...ORDER, express: true, priority: '1' },
        mocks: { 'y#only': { delay: '5m' } },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.history.map((h) => h.node)).toEqual(['Accept', 'Split', 'Check', 'Y', 'Join', 'Done']);
      expect(onlyRunOf(record, 'Join').started_at).toBe(at(5 * MINUTE));
      expect(requestsOf(sim, 'Join')).toHaveLength(1);
      expect(requestsOf(sim, 'Review')).toEqual([]);
    });

    it('reaching the join through another node: the join still runs once, after both', async () => {
      const { sim, record } = await runInlineWorkflow(CHOOSING, {
        context: { ...ORDER, express: false, priority: '1' },
        mocks: { 'y#only': { delay: '1m' }, 'review#manual': { delay: '5m' } },
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(record.history.map((h) => h.node)).toEqual([
        'Accept',
        'Split',
        'Check',
        'Y',
        'Review',
        'Join',
        'Done',
      ]);
      expect(onlyRunOf(record, 'Join').started_at).toBe(lastEnd(record, ['Review', 'Y']));
      expect(requestsOf(sim, 'Join')).toHaveLength(1);
      expect(Object.keys(record.context).sort()).toEqual(
        ['express', 'merged', 'orderId', 'priority', 'review', 'y'].sort(),
      );
    });

    it('the request after the choice is applied even when the other branch replies much later', async () => {
      const { sim, record } = await runInlineWorkflow(CHOOSING, {
        context: { ...ORDER, express: false, priority: '1' },
        mocks: { 'y#only': { delay: '1h' }, 'review#manual': { delay: '1m' } },
      });
      expect(sim.deadLetters.map((d) => d.reason)).toEqual([]);
      expect(record.status).toBe('SUCCEEDED');
      expect(onlyRunOf(record, 'Review')).toMatchObject({ status: 'SUCCEEDED', ended_at: at(MINUTE) });
      expect(onlyRunOf(record, 'Join').started_at).toBe(at(60 * MINUTE));
    });

    it('an expression failing in a branch routes to the parallel on_failure', async () => {
      const { record } = await runInlineWorkflow(CHOOSING, {
        context: { ...ORDER, express: false, priority: 'high' },
        mocks: { 'y#only': { delay: '1m' } },
      });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Check' });
      expect(onlyRunOf(record, 'Check').status).toBe('FAILED');
      expect(onlyRunOf(record, 'Failed').status).toBe('FAILED');
      expect(runsOf(record, 'Join')).toEqual([]);
    });
  });

  it('a parallel listing the same branch twice is refused at START as an invalid definition (never compiled): the instance FAILS with INVALID_DEFINITION naming the repeated entry', async () => {
    const sim = new WorkflowSimulation();
    sim.definitions.put(
      'dup.yaml',
      `workflow_name: dup
workflow_id: dup_v1
entry_point: Fan
nodes:
  Fan:
    type: parallel
    branches: [A, A]
    join: J
${task('A', 'a#one', 'a', 'J')}  J: { type: end }
`,
    );
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'dup_v1',
      definition_key: 'dup.yaml',
      instance_id: 'inst-1',
      context: {},
    });
    await sim.drain();
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('FAILED');
    expect(record?.error).toEqual({
      code: 'INVALID_DEFINITION',
      message:
        "dup.yaml:7:19: error: nodes.Fan.branches.1: branch 'A' is listed twice in parallel 'Fan' (also at branches[0]); no two branches may share a node, so list each branch once",
    });
    expect(sim.dispatcher.sent).toEqual([]);
  });
});
