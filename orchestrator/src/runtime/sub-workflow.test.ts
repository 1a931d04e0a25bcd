import { WorkflowSimulation, ENGINE_SENDER_ID } from './memory/workflow-simulation';
import { CrashPlan, type Boundary, type Phase } from './testing/fault-injection';
import type { CapabilityMocks } from '../capability-mocks/capability-mocks';
import { senderPrincipal } from './reply-senders';
import { childState } from '../operations/child-state';
import { describeInstance } from '../operations/describe-instance';
import type { InstanceQueryPort } from '../operations/operations-ports';

/** Issue 14 item 2: a sub_workflow starts a child instance, waits for its end and maps its output. */

const PARENT = `
workflow_name: Order
workflow_id: order
entry_point: Screen
initial_context: [customer, amount]
nodes:
  Screen:
    type: sub_workflow
    workflow_id: screening
    input: '{"name": customer, "limit": amount * 2}'
    result:
      verdict: decision
    next: Decide
    on_failure: Rejected
    timeout: 1h
    on_timeout: TimedOut
  Decide:
    type: end
    output_keys: [verdict]
  Rejected:
    type: end
    status: FAILED
  TimedOut:
    type: end
    status: FAILED
`;

const CHILD = `
workflow_name: Screening
workflow_id: screening
entry_point: Check
initial_context: [name, limit]
nodes:
  Check:
    type: async_request
    capability_id: sanctions#check
    input_keys: [name, limit]
    request_output_keys: [decision]
    on_response: Done
    timeout: 1d
    on_timeout: Done
  Done:
    type: end
    output_keys: [decision, name]
`;

const simulation = (mocks: CapabilityMocks, options: { decorate?: CrashPlan['decorate'] } = {}) => {
  const sim = new WorkflowSimulation({ mocks, ...options });
  sim.definitions.put('order.yaml', PARENT);
  sim.definitions.put('screening.yaml', CHILD);
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: 'order',
    instance_id: 'ord-1',
    context: { customer: 'ACME', amount: 50 },
  });
  return sim;
};

const CHILD_ID = 'ord-1.Screen.1';

describe('sub_workflow', () => {
  it('starts the child with the mapped input, waits for its end, and maps its output', async () => {
    const sim = simulation({ 'sanctions#check': { outputs: { decision: 'clear' } } });
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    const child = await sim.instances.get(CHILD_ID);
    expect(child?.status).toBe('SUCCEEDED');
    expect(child?.parent?.request_id.startsWith('ord-1:Screen:1:')).toBe(true);
    expect({ ...child?.parent, request_id: '' }).toEqual({
      instance_id: 'ord-1',
      request_id: '',
      node: 'Screen',
      depth: 1,
    });
    expect(sim.dispatcher.sent.find((r) => r.instance_id === CHILD_ID)?.input).toEqual({
      name: 'ACME',
      limit: 100,
    });
    expect(parent?.status).toBe('SUCCEEDED');
    expect(parent?.output).toEqual({ verdict: 'clear' });
    expect(parent?.history.find((h) => h.node === 'Screen')).toMatchObject({
      status: 'SUCCEEDED',
      child_instance_id: CHILD_ID,
    });
    expect(sim.engineMessages.map((m) => m.type)).toEqual(['START_WORKFLOW', 'ASYNC_RESP']);
    expect(sim.deadLetters).toEqual([]);
  });

  it('wf describe links parent and child both ways, while the child runs and after', async () => {
    const sim = simulation({ 'sanctions#check': { delay: '1m', outputs: { decision: 'clear' } } });
    const port: InstanceQueryPort = {
      queryIndex: () => Promise.reject(new Error('not used')),
      records: async (ids) =>
        new Map(
          (await Promise.all(ids.map((id) => sim.instances.get(id)))).flatMap((r) =>
            r ? [[r.instance_id, r] as const] : [],
          ),
        ),
      leases: () => Promise.reject(new Error('not used')),
      instance: (id) => sim.instances.get(id),
      pinnedDefinition: (sha256) => sim.definitions.loadPinned(sha256),
    };
    while ((await sim.instances.load('ord-1'))?.status !== 'WAITING') await sim.step();
    const starting = await describeInstance(port, 'ord-1', sim.clock.now());
    expect(starting?.children.map(childState)).toEqual(['WAITING (the child has not started yet)']);
    while ((await sim.instances.load(CHILD_ID))?.status !== 'WAITING') await sim.step();
    const waiting = await describeInstance(port, 'ord-1', sim.clock.now());
    expect(waiting?.children).toEqual([
      { node: 'Screen', instance_id: CHILD_ID, status: 'WAITING', instance_status: 'WAITING' },
    ]);
    expect(waiting?.parent).toBeNull();
    // The child ended, its end not yet handled by the parent: the line says where to look.
    const isChildEnd = (d: { message: { type: string; instance_id?: string } }) =>
      d.message.type === 'ASYNC_RESP' && d.message.instance_id === 'ord-1';
    while (!sim.pending().some(isChildEnd)) await sim.step();
    const ended = await describeInstance(port, 'ord-1', sim.clock.now());
    expect(ended?.children).toEqual([
      { node: 'Screen', instance_id: CHILD_ID, status: 'WAITING', instance_status: 'SUCCEEDED' },
    ]);
    expect(ended?.children.map(childState)).toEqual([
      'WAITING (the child ended SUCCEEDED; its end has not reached this instance)',
    ]);
    await sim.drain();
    const parent = await describeInstance(port, 'ord-1', sim.clock.now());
    expect(parent?.children).toEqual([{ node: 'Screen', instance_id: CHILD_ID, status: 'SUCCEEDED' }]);
    const child = await describeInstance(port, CHILD_ID, sim.clock.now());
    expect(child?.parent?.instance_id).toBe('ord-1');
    expect(child?.parent?.node).toBe('Screen');
    expect(child?.children).toEqual([]);
    expect(child?.graph).toContain('Check');
  });

  it('a child that fails takes the parent to on_failure with CHILD_FAILED and the reason', async () => {
    const sim = simulation({
      'sanctions#check': { status: 'FAILURE', error: { code: 'LIST_DOWN', message: 'list unavailable' } },
    });
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    expect((await sim.instances.get(CHILD_ID))?.status).toBe('FAILED');
    expect(parent?.status).toBe('FAILED');
    expect(parent?.history.map((h) => h.node)).toEqual(['Screen', 'Rejected']);
    expect(parent?.error).toMatchObject({ code: 'CHILD_FAILED', node: 'Screen' });
    expect(parent?.error?.message).toContain('LIST_DOWN: list unavailable');
  });

  it('a child of a definition that does not exist fails, and so does the step: nothing waits forever', async () => {
    const sim = simulation({});
    sim.definitions.put('order.yaml', PARENT.replace('workflow_id: screening', 'workflow_id: screenin'));
    await sim.drain();
    const child = await sim.instances.get(CHILD_ID);
    expect(child?.error?.code).toBe('UNKNOWN_WORKFLOW');
    const parent = await sim.instances.get('ord-1');
    expect(parent?.status).toBe('FAILED');
    expect(parent?.error?.message).toContain("no definition 'screenin.yaml'");
    expect(sim.deadLetters).toEqual([]);
  });

  it.each([
    ['another context', { name: 'Someone else', limit: 1 }],
    ['the very context the parent sends', { name: 'ACME', limit: 100 }],
  ])(
    "a child whose id a user's instance took already (%s) fails the step: the parent is not left waiting, the other instance is untouched",
    async (_, context) => {
      const sim = new WorkflowSimulation({
        mocks: { 'sanctions#check': { outputs: { decision: 'clear' } } },
      });
      sim.definitions.put('order.yaml', PARENT);
      sim.definitions.put('screening.yaml', CHILD);
      sim.send({ type: 'START_WORKFLOW', workflow_id: 'screening', instance_id: CHILD_ID, context });
      await sim.drain();
      const before = await sim.instances.get(CHILD_ID);
      expect(before?.status).toBe('SUCCEEDED');
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'order',
        instance_id: 'ord-1',
        context: { customer: 'ACME', amount: 50 },
      });
      await sim.drain();
      const parent = await sim.instances.get('ord-1');
      expect(parent?.status).toBe('FAILED');
      expect(parent?.history.map((h) => [h.node, h.status])).toEqual([
        ['Screen', 'FAILED'],
        ['Rejected', 'FAILED'],
      ]);
      expect(parent?.error).toMatchObject({ code: 'CHILD_FAILED', node: 'Screen' });
      expect(parent?.error?.message).toContain(
        `child ${CHILD_ID} could not start: that id names an instance already (screening, SUCCEEDED), started not by a sub_workflow`,
      );
      const after = await sim.instances.get(CHILD_ID);
      expect(after).toEqual(before);
      expect(sim.deadLetters).toEqual([]);
      expect(sim.metrics.total('StartConflicts')).toBe(1);
    },
  );

  it("a parent cancelled before its child's START arrives leaves alone a user's instance that holds the child's id", async () => {
    const sim = new WorkflowSimulation({ mocks: { 'sanctions#check': { reply: false } } });
    sim.definitions.put('order.yaml', PARENT);
    sim.definitions.put('screening.yaml', CHILD);
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'screening',
      instance_id: CHILD_ID,
      context: { name: 'Someone else', limit: 1 },
    });
    while ((await sim.instances.load(CHILD_ID))?.status !== 'WAITING') await sim.step();
    const before = await sim.instances.get(CHILD_ID);
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'order',
      instance_id: 'ord-1',
      context: { customer: 'ACME', amount: 50 },
    });
    while ((await sim.instances.load('ord-1'))?.status !== 'WAITING') await sim.step();
    // The child's START is on its way when the parent is cancelled, and arrives after the cancel's notice.
    const isChildStart = (d: { message: { type: string; instance_id?: string } }) =>
      d.message.type === 'START_WORKFLOW' && d.message.instance_id === CHILD_ID;
    expect(sim.postpone(isChildStart, 60_000)).toBe(1);
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'ord-1', reason: 'order withdrawn' });
    // Up to the postponed START, the user's instance still within its one-day timeout.
    while (sim.pending().some((d) => !isChildStart(d))) await sim.step();
    expect((await sim.instances.get('ord-1'))?.status).toBe('CANCELLED');
    const sent = sim.engineMessages.filter((m) => m.type === 'CANCEL_WORKFLOW');
    expect(sent.map((m) => [m.instance_id, m.type === 'CANCEL_WORKFLOW' && m.parent?.instance_id])).toEqual([
      [CHILD_ID, 'ord-1'],
    ]);
    let after = await sim.instances.get(CHILD_ID);
    expect(after?.status).toBe('WAITING');
    expect(after?.history).toEqual(before?.history);
    expect(sim.dispatcher.notices).toEqual([]);
    // The START, refused as a conflict, changes nothing either.
    await sim.step();
    after = await sim.instances.get(CHILD_ID);
    expect(after?.status).toBe('WAITING');
    expect(after?.history).toEqual(before?.history);
    expect(sim.deadLetters).toEqual([]);
  });

  it("a START naming a parent's wait is refused unless that wait started it: no forged child answers it", async () => {
    const sim = simulation({ 'sanctions#check': { reply: false } });
    while ((await sim.instances.load(CHILD_ID))?.status !== 'WAITING') await sim.step();
    const waitId = (await sim.instances.load('ord-1'))?.waits[0]?.request_id ?? '';
    const forged = (instanceId: string, parent: string, requestId: string) =>
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'screening',
        instance_id: instanceId,
        context: { name: 'ACME', limit: 1 },
        parent: { instance_id: parent, request_id: requestId, node: 'Screen', depth: 1 },
      });
    forged('forged-1', 'ord-1', waitId);
    forged('forged-2', 'ord-1', 'ord-1:Screen:7:made-up');
    forged('forged-3', 'no-such-parent', waitId);
    for (let i = 0; i < 3; i++) await sim.step();
    expect(sim.deadLetters.map((d) => [d.delivery.message.instance_id, d.reason])).toEqual([
      [
        'forged-1',
        `START_WORKFLOW names request ${waitId} of ord-1, which awaits child ${CHILD_ID}, not forged-1; only a parent starts its children`,
      ],
      [
        'forged-2',
        'START_WORKFLOW names request ord-1:Screen:7:made-up of ord-1, which it never awaited; only a parent starts its children',
      ],
      [
        'forged-3',
        'START_WORKFLOW names parent instance no-such-parent, which does not exist; only a parent starts its children',
      ],
    ]);
    for (const id of ['forged-1', 'forged-2', 'forged-3'])
      expect(await sim.instances.get(id)).toBeUndefined();
    const parent = await sim.instances.get('ord-1');
    expect([parent?.status, parent?.waits.map((w) => w.child_instance_id)]).toEqual(['WAITING', [CHILD_ID]]);
  });

  it('a START naming a request its parent never awaited is refused after the parent ended too', async () => {
    const sim = simulation({});
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    expect(parent?.status).toBe('SUCCEEDED');
    const awaited = (await sim.instances.get(CHILD_ID))?.parent?.request_id ?? '';
    expect(awaited).not.toBe('');
    const start = (instanceId: string, requestId: string) =>
      sim.send({
        type: 'START_WORKFLOW',
        workflow_id: 'screening',
        instance_id: instanceId,
        context: { name: 'ACME', limit: 1 },
        parent: { instance_id: 'ord-1', request_id: requestId, node: 'Screen', depth: 1 },
      });
    start('late-1', awaited);
    start('forged-4', 'ord-1:X:1:AAAAAAAAAAAAAAAAAAAAAA');
    await sim.drain();
    // The wait it did have is closed: a START for it is acknowledged; one it never had goes to the DLQ.
    expect(sim.deadLetters.map((d) => [d.delivery.message.instance_id, d.reason])).toEqual([
      [
        'forged-4',
        'START_WORKFLOW names request ord-1:X:1:AAAAAAAAAAAAAAAAAAAAAA of ord-1, which it never awaited; only a parent starts its children',
      ],
    ]);
    for (const id of ['late-1', 'forged-4']) expect(await sim.instances.get(id)).toBeUndefined();
  });

  it("a child's START that arrives after its parent stopped awaiting it starts nothing, and the parent's cancel is acknowledged", async () => {
    const sim = simulation({ 'sanctions#check': { reply: false } });
    while ((await sim.instances.load('ord-1'))?.status !== 'WAITING') await sim.step();
    const isChildStart = (d: { message: { type: string; instance_id?: string } }) =>
      d.message.type === 'START_WORKFLOW' && d.message.instance_id === CHILD_ID;
    expect(sim.postpone(isChildStart, 60_000)).toBe(1);
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'ord-1', reason: 'order withdrawn' });
    await sim.drain();
    expect((await sim.instances.get('ord-1'))?.status).toBe('CANCELLED');
    expect(await sim.instances.get(CHILD_ID)).toBeUndefined();
    expect(sim.dispatcher.sent).toEqual([]);
    expect(sim.deadLetters).toEqual([]);
  });

  it('cancelling the parent while its child waits cancels the child', async () => {
    const sim = simulation({ 'sanctions#check': { reply: false } });
    while ((await sim.instances.load(CHILD_ID))?.status !== 'WAITING') await sim.step();
    expect((await sim.instances.load('ord-1'))?.waits).toEqual([
      expect.objectContaining({ kind: 'child', node: 'Screen', child_instance_id: CHILD_ID }),
    ]);
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'ord-1', reason: 'order withdrawn' });
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    expect(parent?.status).toBe('CANCELLED');
    // The step it waited in ends CANCELLED and keeps its child: `wf describe` links it.
    expect(parent?.history.at(-1)).toMatchObject({
      node: 'Screen',
      status: 'CANCELLED',
      child_instance_id: CHILD_ID,
    });
    const child = await sim.instances.get(CHILD_ID);
    expect(child?.status).toBe('CANCELLED');
    expect(child?.error?.message).toContain('order withdrawn');
    // The child's capability is told in turn.
    expect(sim.dispatcher.notices.map((n) => n.instance_id)).toEqual([CHILD_ID]);
    expect(sim.metrics.total('StaleReplies')).toBe(1); // the child's end, no longer awaited
    expect(sim.deadLetters).toEqual([]);
  });

  it('a parent that times out cancels its child and takes on_timeout', async () => {
    const sim = simulation({ 'sanctions#check': { reply: false } });
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    expect(parent?.history.map((h) => [h.node, h.status])).toEqual([
      ['Screen', 'TIMED_OUT'],
      ['TimedOut', 'FAILED'],
    ]);
    expect((await sim.instances.get(CHILD_ID))?.status).toBe('CANCELLED');
    expect(sim.deadLetters).toEqual([]);
  });

  it('a child cancelled on its own fails the step with CHILD_CANCELLED', async () => {
    const sim = simulation({ 'sanctions#check': { reply: false } });
    while ((await sim.instances.load(CHILD_ID))?.status !== 'WAITING') await sim.step();
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: CHILD_ID, reason: 'operator' });
    await sim.drain();
    const parent = await sim.instances.get('ord-1');
    expect(parent?.error?.code).toBe('CHILD_CANCELLED');
    expect(parent?.history.map((h) => h.node)).toEqual(['Screen', 'Rejected']);
  });

  it("the child's end is accepted only from the orchestrator when senders are checked", async () => {
    const sim = new WorkflowSimulation({
      mocks: { 'sanctions#check': { outputs: { decision: 'clear' } } },
      replySenders: {
        byDomain: { sanctions: ['AROASANCTIONS'] },
        engine: [senderPrincipal(ENGINE_SENDER_ID)],
      },
      mockSenderId: 'AROASANCTIONS:lambda',
    });
    sim.definitions.put('order.yaml', PARENT);
    sim.definitions.put('screening.yaml', CHILD);
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'order',
      instance_id: 'ord-1',
      context: { customer: 'A', amount: 1 },
    });
    // A capability team forging the child's end with the parent's (leaked) request id is refused.
    while ((await sim.instances.load('ord-1'))?.status !== 'WAITING') await sim.step();
    const wait = (await sim.instances.load('ord-1'))?.waits[0];
    const forged = await sim.runtime.handle(
      {
        type: 'ASYNC_RESP',
        instance_id: 'ord-1',
        request_id: wait?.request_id ?? '',
        status: 'SUCCESS',
        outputs: { decision: 'forged' },
      },
      undefined,
      { senderId: 'AROASANCTIONS:lambda' },
    );
    expect(forged.kind).toBe('reject');
    expect(forged.kind === 'reject' ? forged.reason : '').toContain('REPLY_WRONG_SENDER');
    await sim.drain();
    expect((await sim.instances.get('ord-1'))?.output).toEqual({ verdict: 'clear' });
  });

  it('a failing branch stops its sibling: the sibling child is cancelled, and a redrive starts a new child', async () => {
    const sim = new WorkflowSimulation({
      mocks: {
        'sanctions#check': { reply: false },
        'credit#check': [
          { status: 'FAILURE', error: { code: 'NO_LINE', message: 'no credit line' } },
          { outputs: { decision: 'ok' } },
        ],
      },
    });
    sim.definitions.put('screening.yaml', CHILD);
    sim.definitions.put(
      'credit.yaml',
      CHILD.replace('workflow_id: screening', 'workflow_id: credit').replace(
        'sanctions#check',
        'credit#check',
      ),
    );
    sim.definitions.put(
      'both.yaml',
      `
workflow_name: Both
workflow_id: both
entry_point: Fan
nodes:
  Fan:
    type: parallel
    branches: [Screen, Credit]
    join: Done
  Screen:
    type: sub_workflow
    workflow_id: screening
    input: '{"name": "n", "limit": 1}'
    next: Done
  Credit:
    type: sub_workflow
    workflow_id: credit
    input: '{"name": "n", "limit": 1}'
    next: Done
  Done:
    type: end
`,
    );
    sim.send({ type: 'START_WORKFLOW', workflow_id: 'both', instance_id: 'b', context: {} });
    await sim.drain();
    const parent = await sim.instances.get('b');
    expect(parent?.status).toBe('FAILED');
    expect(parent?.error?.code).toBe('CHILD_FAILED');
    expect((await sim.instances.get('b.Credit.1'))?.status).toBe('FAILED');
    const sibling = await sim.instances.get('b.Screen.1');
    expect(sibling?.status).toBe('CANCELLED');
    expect(sibling?.error?.message).toContain('parent b stopped waiting at Screen');
    expect(parent?.history.find((h) => h.node === 'Screen')?.status).toBe('CANCELLED');

    sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: 'b', redrive_id: 'r1' });
    await sim.drain();
    // Both stopped branches run again, each with a new child (the failed one succeeds this time).
    expect((await sim.instances.get('b.Credit.2'))?.status).toBe('SUCCEEDED');
    // The screening child gets no reply: its own 1d timeout ends it (SUCCEEDED, by its route).
    expect((await sim.instances.get('b.Screen.2'))?.status).toBe('SUCCEEDED');
    const redriven = await sim.instances.get('b');
    expect(redriven?.status).toBe('SUCCEEDED');
    expect(redriven?.history.filter((h) => h.node === 'Credit').map((h) => h.status)).toEqual([
      'FAILED',
      'REDRIVEN',
      'SUCCEEDED',
    ]);
    expect(sim.deadLetters).toEqual([]);
  });

  it('a definition that starts itself stops at the depth limit', async () => {
    const sim = new WorkflowSimulation({});
    // Behind a choice, as wf validate requires (a recursion that could end), but one that never does.
    sim.definitions.put(
      'loop.yaml',
      `
workflow_name: Loop
workflow_id: loop
entry_point: Deeper
nodes:
  Deeper:
    type: choice
    choices: [{ when: 'true', next: Again }]
    default: Done
  Again:
    type: sub_workflow
    workflow_id: loop
    next: Done
  Done:
    type: end
`,
    );
    sim.send({ type: 'START_WORKFLOW', workflow_id: 'loop', instance_id: 'l', context: {} });
    await sim.drain();
    const top = await sim.instances.get('l');
    expect(top?.status).toBe('FAILED');
    expect(top?.error?.message).toContain('SUB_WORKFLOW_TOO_DEEP');
    expect(sim.engineMessages.filter((m) => m.type === 'START_WORKFLOW')).toHaveLength(11);
  });

  // Crash points inside a sub_workflow, as a real process dies: at each pass through each boundary.
  describe('a process that dies at any boundary still ends parent and child exactly once', () => {
    const mocks = { 'sanctions#check': { outputs: { decision: 'clear' } } };
    const counter = new CrashPlan('message', 'before', Number.POSITIVE_INFINITY);
    const points: [Boundary, Phase, number][] = [];
    beforeAll(async () => {
      await simulation(mocks, { decorate: counter.decorate }).drain();
    });
    const boundaries: Boundary[] = ['message', 'save', 'dispatch', 'checkpoint'];
    it.each(boundaries.flatMap((b) => (['before', 'after'] as const).map((p) => [b, p] as const)))(
      'at every pass through %s, %s it',
      async (boundary, phase) => {
        const total = counter.passes(boundary);
        expect(total).toBeGreaterThan(0);
        for (let n = 1; n <= total; n++) points.push([boundary, phase, n]);
        for (let n = 1; n <= total; n++) {
          const plan = new CrashPlan(boundary, phase, n);
          const sim = simulation(mocks, { decorate: plan.decorate });
          await sim.drain();
          expect([boundary, phase, n, plan.crashed, sim.deaths]).toEqual([boundary, phase, n, true, 1]);
          const parent = await sim.instances.get('ord-1');
          const child = await sim.instances.get(CHILD_ID);
          expect([boundary, phase, n, parent?.status, child?.status]).toEqual([
            boundary,
            phase,
            n,
            'SUCCEEDED',
            'SUCCEEDED',
          ]);
          expect(parent?.output).toEqual({ verdict: 'clear' });
          expect(parent?.history.map((h) => h.node)).toEqual(['Screen', 'Decide']);
          expect(child?.history.map((h) => h.node)).toEqual(['Check', 'Done']);
          expect(child?.parent_notified).toBe(true);
          expect(sim.deadLetters).toEqual([]);
        }
      },
    );
  });

  describe('a redrive of a sub_workflow that failed outside a parallel', () => {
    const TOP = (input: string) => `
workflow_name: Pay
workflow_id: pay
entry_point: Pay
nodes:
  Pay:
    type: sub_workflow
    workflow_id: screening
    input: '${input}'
    next: Done
  Done:
    type: end
`;

    it('runs the step again: a failed child is replaced by a new one', async () => {
      const sim = new WorkflowSimulation({
        mocks: {
          'sanctions#check': [
            { status: 'FAILURE', error: { code: 'DOWN', message: 'screening is down' } },
            { outputs: { decision: 'clear' } },
          ],
        },
      });
      sim.definitions.put(
        'screening.yaml',
        CHILD.replace('on_timeout: Done', 'on_timeout: Done\n    on_failure: Failed').replace(
          '  Done:\n',
          '  Failed:\n    type: end\n    status: FAILED\n  Done:\n',
        ),
      );
      sim.definitions.put('pay.yaml', TOP('{"name": "n", "limit": 1}'));
      sim.send({ type: 'START_WORKFLOW', workflow_id: 'pay', instance_id: 'p', context: {} });
      await sim.drain();
      expect((await sim.instances.get('p'))?.error?.code).toBe('CHILD_FAILED');

      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: 'p', redrive_id: 'r1' });
      await sim.drain();
      expect((await sim.instances.get('p.Pay.2'))?.status).toBe('SUCCEEDED');
      const redriven = await sim.instances.get('p');
      expect(redriven?.status).toBe('SUCCEEDED');
      expect(redriven?.history.map((h) => [h.node, h.status])).toEqual([
        ['Pay', 'FAILED'],
        ['Pay', 'REDRIVEN'],
        ['Pay', 'SUCCEEDED'],
        ['Done', 'SUCCEEDED'],
      ]);
      expect(sim.deadLetters).toEqual([]);
    });

    it('evaluates its input again: the same failing expression fails the step again, nothing dead-lettered', async () => {
      const sim = new WorkflowSimulation({ mocks: {} });
      sim.definitions.put('screening.yaml', CHILD);
      sim.definitions.put('pay.yaml', TOP('{"amount": $sum(x)}'));
      sim.send({ type: 'START_WORKFLOW', workflow_id: 'pay', instance_id: 'q', context: { x: 'abc' } });
      await sim.drain();
      expect((await sim.instances.get('q'))?.error?.code).toBe('EXPRESSION_FAILED');

      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: 'q', redrive_id: 'r1' });
      await sim.drain();
      const redriven = await sim.instances.get('q');
      expect(redriven?.status).toBe('FAILED');
      expect(redriven?.error?.code).toBe('EXPRESSION_FAILED');
      expect(redriven?.history.map((h) => [h.node, h.status])).toEqual([
        ['Pay', 'FAILED'],
        ['Pay', 'REDRIVEN'],
        ['Pay', 'FAILED'],
      ]);
      expect(sim.deadLetters).toEqual([]);
    });
  });
});
