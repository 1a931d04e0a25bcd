import { WorkflowSimulation, type Delivery } from './memory/workflow-simulation';
import type { AsyncResponse } from './messages';

/**
 * Replies handed over together against the same replies one at a time: the end state (status, context,
 * each node's history, each request's resolution, duplicates, stale replies, dead letters, requests sent)
 * must be one that some order of one-at-a-time delivery gives.
 */

const I = 'inst-1';
const task = (name: string, key: string, next: string, extra = '') => `  ${name}:
    type: async_request
    capability_id: 'cap#${name.toLowerCase()}'
    request_output_keys: [${key}]
    on_response: ${next}
    timeout: 3h
${extra}`;

function sim(yaml: string, extra: Record<string, string> = {}) {
  const s = new WorkflowSimulation({ mocks: false, repliesTogether: true });
  const id = /^workflow_id: (\S+)$/m.exec(yaml)?.[1] ?? 'x';
  s.definitions.put(`${id}.yaml`, yaml);
  for (const [k, v] of Object.entries(extra)) s.definitions.put(k, v);
  s.send({ type: 'START_WORKFLOW', workflow_id: id, instance_id: I, context: {} });
  return s;
}
async function settle(s: WorkflowSimulation) {
  const now = s.clock.now().getTime();
  while (s.pending().some((d) => d.at <= now)) await s.step();
}
const rid = (s: WorkflowSimulation, node: string, inst = I) => {
  const r = s.dispatcher.sent.filter((m) => m.node === node && m.instance_id === inst).at(-1);
  if (!r) throw new Error(`no request for ${node}`);
  return r.request_id;
};
const ok = (
  s: WorkflowSimulation,
  node: string,
  outputs: Record<string, unknown>,
  inst = I,
): AsyncResponse => ({
  type: 'ASYNC_RESP',
  instance_id: inst,
  request_id: rid(s, node, inst),
  status: 'SUCCESS',
  outputs,
});
const fail = (s: WorkflowSimulation, node: string): AsyncResponse => ({
  type: 'ASYNC_RESP',
  instance_id: I,
  request_id: rid(s, node),
  status: 'FAILURE',
  error: { code: 'BOOM', message: 'boom' },
});
let n = 0;
const d = (message: AsyncResponse, senderId?: string): Delivery => ({
  id: `m${++n}`,
  message,
  at: 0,
  receives: 1,
  ...(senderId ? { senderId } : {}),
});
async function deliver(s: WorkflowSimulation, batch: AsyncResponse[], together: boolean) {
  if (together) await s.deliverReplies(batch.map((m) => d(m)));
  else for (const m of batch) await s.deliverReplies([d(m)]);
  await settle(s);
}
async function state(s: WorkflowSimulation) {
  const r = await s.instances.get(I);
  return {
    status: r?.status,
    context: r?.context,
    output: r?.output,
    error: r?.error,
    steps: r?.history.map((h) => `${h.node}:${h.status}`).sort(),
    waits: r?.waits.map((w) => w.node).sort(),
    // record.resolved is "the last commit's" only: ask the store for each request's resolution.
    resolved: (
      await Promise.all(
        s.dispatcher.sent
          .filter((m) => m.instance_id === I)
          .map(
            async (m) =>
              `${m.node}=${String(r?.resolved[m.request_id] ?? (await s.instances.resolution(I, m.request_id)))}`,
          ),
      )
    ).sort(),
    dup: s.metrics.total('DuplicateReplies'),
    stale: s.metrics.total('StaleReplies'),
    dead: s.deadLetters.map((x) => x.reason),
    sentNodes: s.dispatcher.sent.map((m) => m.node).sort(),
  };
}

type Batch = (s: WorkflowSimulation) => Promise<AsyncResponse[]> | AsyncResponse[];

/**
 * Runs the workflow once with each batch handed over together and once with its replies one at a time, and
 * returns both end states. `first` is built once the instance waits; each of `later` once the batch before
 * it was applied, so the request ids it issued exist.
 */
async function compare(
  yaml: string,
  first: Batch,
  later: readonly Batch[] = [],
  extra: Record<string, string> = {},
) {
  const results = [];
  for (const together of [true, false]) {
    const s = sim(yaml, extra);
    await settle(s);
    for (const batch of [first, ...later]) await deliver(s, await batch(s), together);
    results.push({ s, st: await state(s) });
  }
  return { together: results[0]!, alone: results[1]! };
}

const NESTED = `
workflow_name: nested
workflow_id: nested_v1
entry_point: Outer
nodes:
  Outer:
    type: parallel
    branches: [A, Inner]
    join: Join
${task('A', 'a', 'Join')}  Inner:
    type: parallel
    branches: [B, C]
    join: D
${task('B', 'b', 'D')}${task('C', 'c', 'D')}${task('D', 'd', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
    output_keys: [a, b, c, d, j]
`;

describe('replies together end as some order of them one at a time', () => {
  it('nested parallel: replies for two inner branches and the outer sibling in one batch', async () => {
    const { together, alone } = await compare(
      NESTED,
      (s) => [ok(s, 'B', { b: 2 }), ok(s, 'A', { a: 1 }), ok(s, 'C', { c: 3 })],
      [(s) => [ok(s, 'D', { d: 4 })], (s) => [ok(s, 'Join', { j: 5 })]],
    );
    expect(together.s.together.sizes[0]).toBe(3);
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.status).toBe('SUCCEEDED');
  });

  it('nested parallel: inner branch B together with outer A, then C alone, then D', async () => {
    const { together, alone } = await compare(NESTED, (s) => [ok(s, 'B', { b: 2 }), ok(s, 'A', { a: 1 })], [
      (s) => [ok(s, 'C', { c: 3 })],
      (s) => [ok(s, 'D', { d: 4 }), ok(s, 'D', { d: 4 })],
      (s) => [ok(s, 'Join', { j: 5 })],
    ]);
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.status).toBe('SUCCEEDED');
    expect(together.st.dup).toBe(1);
  });

  const CHAIN = `
workflow_name: chain
workflow_id: chain_v1
entry_point: P
nodes:
  P:
    type: parallel
    branches: [B1, B2]
    join: Join
${task('B1', 'b1', 'B1b')}${task('B1b', 'b1b', 'Join')}${task('B2', 'b2', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
    output_keys: [b1, b1b, b2, j]
`;
  it('two async steps in a row in a branch: B1 with B2 together, then B1b', async () => {
    const { together, alone } = await compare(
      CHAIN,
      (s) => [ok(s, 'B1', { b1: 1 }), ok(s, 'B2', { b2: 2 })],
      [(s) => [ok(s, 'B1b', { b1b: 'x' })], (s) => [ok(s, 'Join', { j: 1 })]],
    );
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.status).toBe('SUCCEEDED');
    expect(together.st.sentNodes).toEqual(['B1', 'B1b', 'B2', 'Join']);
  });
  it('two async steps in a row: B1b is issued by the batch; its reply in a later batch with a stale duplicate of B1', async () => {
    const { together, alone } = await compare(
      CHAIN,
      (s) => [ok(s, 'B2', { b2: 2 }), ok(s, 'B1', { b1: 1 })],
      [(s) => [ok(s, 'B1', { b1: 1 }), ok(s, 'B1b', { b1b: 'x' })], (s) => [ok(s, 'Join', { j: 1 })]],
    );
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.status).toBe('SUCCEEDED');
  });

  /**
   * P = [B1, B2, B3] joined by Join; B2's reply `b2 = "enough"` goes to the shared end Enough. `b1OnFailure`:
   * B1's failure goes to the shared end Failed (FAILED) instead of failing the parallel.
   */
  const sharedEnds = (workflowId: string, b1OnFailure = false) => `
workflow_name: shared ends
workflow_id: ${workflowId}
entry_point: P
nodes:
  P:
    type: parallel
    branches: [B1, B2, B3]
    join: Join
${task('B1', 'b1', 'Join', b1OnFailure ? '    on_failure: Failed\n' : '')}${task('B2', 'b2', 'Check')}  Check:
    type: choice
    choices:
      - when: 'b2 = "enough"'
        next: Enough
    default: Join
${task('B3', 'b3', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
  Enough:
    type: end
    output_keys: [b1, b2, b3]
${b1OnFailure ? '  Failed:\n    type: end\n    status: FAILED\n    output_keys: [b2]\n' : ''}`;
  const SHARED = sharedEnds('shared_v1');

  /**
   * The end state of `yaml` after the batch `build` makes, handed over together or one at a time, in the
   * batch's order; with the simulation, to check how the batch was handed over.
   */
  const endOf = async (yaml: string, build: Batch, together: boolean) => {
    const s = sim(yaml);
    await settle(s);
    await deliver(s, await build(s), together);
    return { s, st: await state(s) };
  };

  /** The end states of the batch's replies one at a time, in each of the orders the builders give. */
  const endsOfEachOrder = async (yaml: string, orders: readonly Batch[]) => {
    const ends: unknown[] = [];
    for (const order of orders) ends.push((await endOf(yaml, order, false)).st);
    return ends;
  };

  const SHARED_END_BATCHES: Batch[] = [
    (s) => [ok(s, 'B1', { b1: 'one' }), ok(s, 'B2', { b2: 'enough' })],
    (s) => [ok(s, 'B2', { b2: 'enough' }), ok(s, 'B1', { b1: 'one' })],
  ];

  it("a reply routing to a shared end together with a sibling's reply (both batch orders): the outcome of one of the two orders", async () => {
    const orders = await endsOfEachOrder(SHARED, SHARED_END_BATCHES);
    for (const batch of SHARED_END_BATCHES) {
      const { s, st } = await endOf(SHARED, batch, true);
      // The run stops the parallel (B2 reaches Enough), so the replies are applied one at a time, in order.
      expect(s.together).toEqual({ sizes: [2], failed: 1 });
      expect(orders).toContainEqual(st);
    }
  });

  const TWO_ENDS = sharedEnds('two_ends_v1', true);

  it('two replies routing to two different shared ends in one batch: the outcome of one of the two orders', async () => {
    const orders = await endsOfEachOrder(TWO_ENDS, [
      (s) => [fail(s, 'B1'), ok(s, 'B2', { b2: 'enough' })],
      (s) => [ok(s, 'B2', { b2: 'enough' }), fail(s, 'B1')],
    ]);
    const { s, st } = await endOf(TWO_ENDS, (x) => [fail(x, 'B1'), ok(x, 'B2', { b2: 'enough' })], true);
    expect(s.together).toEqual({ sizes: [2], failed: 1 });
    expect(orders).toContainEqual(st);
  });

  it('two FAILURE replies of sibling branches in one batch: the outcome of one of the two orders', async () => {
    // B1 fails to the shared end Failed; B3 has no on_failure, so its failure fails the parallel.
    const orders = await endsOfEachOrder(TWO_ENDS, [
      (s) => [fail(s, 'B1'), fail(s, 'B3')],
      (s) => [fail(s, 'B3'), fail(s, 'B1')],
    ]);
    const { s, st } = await endOf(TWO_ENDS, (x) => [fail(x, 'B1'), fail(x, 'B3')], true);
    expect(s.together).toEqual({ sizes: [2], failed: 1 });
    expect(orders).toContainEqual(st);
  });

  it('a stale (timed out) reply and a live one together', async () => {
    const yaml = `
workflow_name: to
workflow_id: to_v1
entry_point: P
nodes:
  P:
    type: parallel
    branches: [B1, B2, B3]
    join: Join
${task('B1', 'b1', 'Join', '    on_timeout: Join\n').replace('3h', '1m')}${task('B2', 'b2', 'Join')}${task('B3', 'b3', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
    output_keys: [b1, b2, b3]
`;
    const { together, alone } = await compare(yaml, async (s) => {
      await s.step(); // the B1 timer fires
      await settle(s);
      return [ok(s, 'B1', { b1: 'late' }), ok(s, 'B2', { b2: 2 })];
    });
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.stale).toBe(1);
    expect(together.st.waits).toEqual(['B3']);
  });

  it('replies for an instance already CANCELLED / SUCCEEDED', async () => {
    const { together, alone } = await compare(NESTED, async (s) => {
      const msgs = [ok(s, 'A', { a: 1 }), ok(s, 'B', { b: 2 })];
      s.send({ type: 'CANCEL_WORKFLOW', instance_id: I } as never);
      await settle(s);
      expect((await s.instances.get(I))?.status).toBe('CANCELLED');
      return msgs;
    });
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
  });

  it('the same reply three times, and an unknown request id first', async () => {
    const { together, alone } = await compare(NESTED, (s) => {
      const a = ok(s, 'A', { a: 1 });
      const unknown: AsyncResponse = {
        ...ok(s, 'C', { c: 9 }),
        request_id: rid(s, 'C').replace(':C:1:', ':C:7:'),
      };
      return [unknown, a, a, a, ok(s, 'B', { b: 2 })];
    });
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.dup).toBe(2);
  });

  it('retry: a FAILURE that schedules a retry together with a sibling success', async () => {
    const yaml = `
workflow_name: retry
workflow_id: retry_v1
entry_point: P
nodes:
  P:
    type: parallel
    branches: [B1, B2]
    join: Join
${task('B1', 'b1', 'Join', '    retry: { max_attempts: 3, interval: 1m, backoff_rate: 1 }\n')}${task('B2', 'b2', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
    output_keys: [b1, b2, j]
`;
    const { together, alone } = await compare(yaml, (s) => [fail(s, 'B1'), ok(s, 'B2', { b2: 2 })], [
      async (s) => {
        await s.step(); // retry timer
        await settle(s);
        return [fail(s, 'B1'), fail(s, 'B1')];
      },
      async (s) => {
        await s.step();
        await settle(s);
        return [ok(s, 'B1', { b1: 1 })];
      },
      (s) => [ok(s, 'Join', { j: 1 })],
    ]);
    expect(together.s.together.failed).toBe(0);
    expect(together.st).toEqual(alone.st);
    expect(together.st.status).toBe('SUCCEEDED');
  });

  it('sub_workflow child end together with a capability reply in one parallel', async () => {
    const parent = `
workflow_name: par
workflow_id: par_v1
entry_point: P
nodes:
  P:
    type: parallel
    branches: [Sub, B]
    join: Join
  Sub:
    type: sub_workflow
    workflow_id: child_v1
    result:
      verdict: decision
    next: Join
    timeout: 1h
${task('B', 'b', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
    output_keys: [verdict, b, j]
`;
    const child = `
workflow_name: child
workflow_id: child_v1
entry_point: Check
nodes:
  Check:
    type: async_request
    capability_id: 'x#check'
    request_output_keys: [decision]
    on_response: Done
    timeout: 1d
  Done:
    type: end
    output_keys: [decision]
`;
    const results = [];
    for (const together of [true, false]) {
      const s = sim(parent, { 'child_v1.yaml': child });
      await settle(s);
      const childId = s.dispatcher.sent.find((m) => m.node === 'Check')!.instance_id;
      // The child's reply: its end goes to the parent's queue.
      await s.deliverReplies([d(ok(s, 'Check', { decision: 'clear' }, childId))]);
      const ends = s.pending().filter((p) => p.message.type === 'ASYNC_RESP' && p.message.instance_id === I);
      expect(ends).toHaveLength(1);
      const b = ok(s, 'B', { b: 2 });
      if (together) {
        s.send(b);
        await s.step();
        expect(s.together.sizes.at(-1)).toBe(2);
      } else {
        await s.step();
        await s.deliverReplies([d(b)]);
      }
      await settle(s);
      await deliver(s, [ok(s, 'Join', { j: 1 })], together);
      results.push(await state(s));
      expect(s.together.failed).toBe(0);
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.status).toBe('SUCCEEDED');
  });

  it('value limits: two replies each fine, over the limit together', async () => {
    const big = (tag: number) => ({
      [`k${tag}`]: Array.from({ length: 70_000 }, () => 0),
      [`l${tag}`]: Array.from({ length: 70_000 }, () => 0),
    });
    const yaml = `
workflow_name: vl
workflow_id: vl_v1
entry_point: P
nodes:
  P:
    type: parallel
    branches: [B1, B2]
    join: Join
    on_failure: Failed
${task('B1', 'k1, l1', 'Join')}${task('B2', 'k2, l2', 'Join')}${task('Join', 'j', 'Done')}  Done:
    type: end
  Failed:
    type: end
    status: FAILED
`;
    const { together, alone } = await compare(yaml, (s) => [ok(s, 'B1', big(1)), ok(s, 'B2', big(2))]);
    expect(together.s.together.failed).toBe(0);
    expect(together.st.error).toEqual(alone.st.error);
    expect(together.st.status).toEqual(alone.st.status);
    expect(together.st.steps).toEqual(alone.st.steps);
  }, 60_000);
});
