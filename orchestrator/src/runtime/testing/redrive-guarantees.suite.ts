import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { CapabilityMocks } from '../../capability-mocks/capability-mocks';
import { nodeStates } from '../../operations/node-states';
import type { SyncCapability } from '../../sync-capabilities/registry';
import { builtinSyncCapabilities } from '../../sync-capabilities/registry';
import type { InstanceRecord } from '../instance-record';
import type { RedriveWorkflow } from '../messages';
import { WorkflowSimulation, type SimulationOptions } from '../memory/workflow-simulation';
import { simulatedRequestId } from '../memory/simulation-request-ids';
import type { RecordingLogger } from '../memory/recording-ports';
import { exampleText, SHIPMENT_CONTEXT } from './example-workflows';
import { CrashPlan, type Boundary, type Phase } from './fault-injection';

const INSTANCE = 'inst-1';
/** The id of the `visit`-th request of `node` (tagged with the simulation's key). */
const rid = (node: string, visit: number) => simulatedRequestId(INSTANCE, node, visit);

/** Three capability steps in a row; the middle one is the one that fails. */
const THREE_STEPS = `
workflow_name: three steps
workflow_id: three_steps_v1
entry_point: Step_A
initial_context: [shipmentId]
nodes:
  Step_A:
    type: async_request
    capability_id: 'alpha#op'
    request_output_keys: [a]
    on_response: Step_B
    timeout: 1h
  Step_B:
    type: async_request
    capability_id: 'beta#op'
    request_output_keys: [b]
    on_response: Step_C
    timeout: 1h
  Step_C:
    type: async_request
    capability_id: 'gamma#op'
    request_output_keys: [c]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [a, b, c] }
`;

/** A reply, then a sync capability that fails in the same invocation. */
const REPLY_THEN_SYNC = `
workflow_name: reply then sync
workflow_id: reply_then_sync_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'alpha#op'
    request_output_keys: [a]
    on_response: Compute
    timeout: 1h
  Compute:
    type: sync_call
    capability_id: flaky
    output_keys: [computed]
    on_success: Done
  Done: { type: end, output_keys: [a, computed] }
`;

/** B fails on its first call and succeeds on the next; the others always succeed. */
const B_FAILS_ONCE: CapabilityMocks = {
  'beta#op': [
    { status: 'FAILURE', error: { code: 'UPSTREAM_DOWN', message: 'beta is down' } },
    { outputs: { b: 'beta-ok' } },
  ],
};

/**
 * Three branches: First_A -> Then_B (B fails once, a minute in), Other_1 -> Other_2 (still waiting on its
 * first request when B fails, so it is stopped), and Solo (completes at once).
 */
const TWO_STEP_BRANCH = `
workflow_name: two-step branch
workflow_id: two_step_branch_v1
entry_point: Split
initial_context: [shipmentId]
nodes:
  Split: { type: parallel, branches: [First_A, Other_1, Solo], join: Done }
  First_A:
    type: async_request
    capability_id: 'alpha#op'
    request_output_keys: [a]
    on_response: Then_B
    timeout: 1h
  Then_B:
    type: async_request
    capability_id: 'beta#op'
    request_output_keys: [b]
    on_response: Done
    timeout: 1h
  Other_1:
    type: async_request
    capability_id: 'gamma#op'
    request_output_keys: [g1]
    on_response: Other_2
    timeout: 1h
  Other_2:
    type: async_request
    capability_id: 'delta#op'
    request_output_keys: [g2]
    on_response: Done
    timeout: 1h
  Solo:
    type: async_request
    capability_id: 'sigma#op'
    request_output_keys: [s]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [a, b, g1, g2, s] }
`;

const TWO_STEP_MOCKS: CapabilityMocks = {
  'beta#op': [
    { status: 'FAILURE', error: { code: 'BETA_DOWN', message: 'beta is down' }, delay: '1m' },
    { outputs: { b: 'beta-ok' } },
  ],
  'delta#op': [{ delay: '10m' }, { outputs: { g2: 'delta-ok' } }],
};

/**
 * A parallel inside a branch of a parallel. Left: Left_Step, then Inner (In_1 -> In_1b, which fails once;
 * In_2, which completes; In_3, stopped while it waits), then After_Inner. Right: Right_1, then Right_2,
 * stopped while it waits.
 */
const NESTED = `
workflow_name: nested parallels
workflow_id: nested_parallels_v1
entry_point: Outer
initial_context: [shipmentId]
nodes:
  Outer: { type: parallel, branches: [Left_Step, Right_1], join: Done }
  Left_Step:
    type: async_request
    capability_id: 'left#op'
    request_output_keys: [left]
    on_response: Inner
    timeout: 1h
  Inner: { type: parallel, branches: [In_1, In_2, In_3], join: After_Inner }
  In_1:
    type: async_request
    capability_id: 'in1#op'
    request_output_keys: [in1]
    on_response: In_1b
    timeout: 1h
  In_1b:
    type: async_request
    capability_id: 'in1b#op'
    request_output_keys: [in1b]
    on_response: After_Inner
    timeout: 1h
  In_2:
    type: async_request
    capability_id: 'in2#op'
    request_output_keys: [in2]
    on_response: After_Inner
    timeout: 1h
  In_3:
    type: async_request
    capability_id: 'in3#op'
    request_output_keys: [in3]
    on_response: After_Inner
    timeout: 1h
  After_Inner:
    type: async_request
    capability_id: 'merge#op'
    request_output_keys: [merged]
    on_response: Done
    timeout: 1h
  Right_1:
    type: async_request
    capability_id: 'right1#op'
    request_output_keys: [right1]
    on_response: Right_2
    timeout: 1h
  Right_2:
    type: async_request
    capability_id: 'right2#op'
    request_output_keys: [right2]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [left, in1, in1b, in2, in3, merged, right1, right2] }
`;

const NESTED_MOCKS: CapabilityMocks = {
  'in1b#op': [
    { status: 'FAILURE', error: { code: 'IN1B_DOWN', message: 'in1b is down' }, delay: '1m' },
    { outputs: { in1b: 'in1b-ok' } },
  ],
  'in3#op': [{ delay: '10m' }, { outputs: { in3: 'in3-ok' } }],
  'right2#op': [{ delay: '10m' }, { outputs: { right2: 'right2-ok' } }],
};

const CRASH_POINTS: [Boundary, Phase][] = [
  ['checkpoint', 'before'],
  ['checkpoint', 'after'],
  ['dispatch', 'before'],
  ['dispatch', 'after'],
  ['save', 'before'],
  ['save', 'after'],
];

const REDRIVE: RedriveWorkflow = {
  type: 'REDRIVE_WORKFLOW',
  instance_id: INSTANCE,
  redrive_id: 'redrive-1',
  by: 'ops@example.com',
  reason: 'beta is back',
};

/**
 * REDRIVE_WORKFLOW (issue 11): a FAILED instance re-run from the step that failed, under the same id, with
 * its completed steps not run again, through redelivery and process death. Run on any checkpointer.
 */
export function describeRedriveGuarantees(
  label: string,
  newCheckpointer: () => BaseCheckpointSaver | Promise<BaseCheckpointSaver>,
  defaults: SimulationOptions = {},
): void {
  const simulation = async (options: SimulationOptions = {}) =>
    new WorkflowSimulation({ checkpointer: await newCheckpointer(), ...defaults, ...options });

  const start = (sim: WorkflowSimulation, yaml: string, workflowId: string, context = {}) => {
    sim.definitions.put(`${workflowId}.yaml`, yaml);
    sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: INSTANCE, context });
  };
  const record = async (sim: WorkflowSimulation): Promise<InstanceRecord> => {
    const found = await sim.instances.get(INSTANCE);
    if (!found) throw new Error('no record');
    return found;
  };
  const requestIds = (sim: WorkflowSimulation, node: string) =>
    sim.dispatcher.sent.filter((r) => r.node === node).map((r) => r.request_id);
  const steps = (r: InstanceRecord) => r.history.map((h) => [h.node, h.status]);
  const failedThreeSteps = async (options: SimulationOptions = {}) => {
    const sim = await simulation({ mocks: B_FAILS_ONCE, ...options });
    start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
    await sim.drain();
    return sim;
  };

  /** The fan-out FAILED by B1 (after B2 completed), B3 stopped; both answer on their next request. */
  const failedFanOut = async (options: SimulationOptions = {}) => {
    const sim = await simulation({
      mocks: {
        'duty#valuation': { outputs: { b2_result: 'duties' } },
        'classify#goods': [
          { status: 'FAILURE', error: { code: 'CLASSIFY_DOWN', message: 'no' }, delay: '1m' },
          { outputs: { b1_result: 'classified' } },
        ],
        'licence#check': [{ delay: '10m' }, { outputs: { b3_result: 'licensed' } }],
      },
      ...options,
    });
    sim.definitions.put('fanout_a_b_c_v1.yaml', exampleText('fanout_a_b_c_v1'));
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'fanout_a_b_c_v1',
      instance_id: INSTANCE,
      context: SHIPMENT_CONTEXT,
    });
    await sim.drain();
    return sim;
  };

  const failedTwoStepBranch = async (options: SimulationOptions = {}) => {
    const sim = await simulation({ mocks: TWO_STEP_MOCKS, ...options });
    start(sim, TWO_STEP_BRANCH, 'two_step_branch_v1', { shipmentId: 'SHP-1' });
    await sim.drain();
    return sim;
  };
  const failedNested = async (options: SimulationOptions = {}) => {
    const sim = await simulation({ mocks: NESTED_MOCKS, ...options });
    start(sim, NESTED, 'nested_parallels_v1', { shipmentId: 'SHP-1' });
    await sim.drain();
    return sim;
  };
  /** The inputs of the requests sent for `node`, by request id. */
  const inputs = (sim: WorkflowSimulation, node: string) =>
    Object.fromEntries(
      sim.dispatcher.sent.filter((r) => r.node === node).map((r) => [r.request_id, r.input]),
    );

  describe(`redrive (${label})`, () => {
    it('a FAILED instance (the middle of three steps replied FAILURE) is redriven to SUCCEEDED: the earlier step gets no second request, the failed one a fresh request id', async () => {
      const sim = await failedThreeSteps();
      const failed = await record(sim);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'UPSTREAM_DOWN', node: 'Step_B' });
      expect(steps(failed)).toEqual([
        ['Step_A', 'SUCCEEDED'],
        ['Step_B', 'FAILED'],
      ]);

      sim.send(REDRIVE);
      await sim.drain();

      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.error).toBeNull();
      expect(after.context).toMatchObject({ a: 'mock://alpha#op/a', b: 'beta-ok', c: 'mock://gamma#op/c' });
      expect(requestIds(sim, 'Step_A')).toEqual([rid('Step_A', 1)]);
      expect(requestIds(sim, 'Step_B')).toEqual([rid('Step_B', 1), rid('Step_B', 2)]);
      expect(requestIds(sim, 'Step_C')).toEqual([rid('Step_C', 1)]);
      // The history is kept, and the redrive is an entry of it with who, when and why.
      expect(steps(after)).toEqual([
        ['Step_A', 'SUCCEEDED'],
        ['Step_B', 'FAILED'],
        ['Step_B', 'REDRIVEN'],
        ['Step_B', 'SUCCEEDED'],
        ['Step_C', 'SUCCEEDED'],
        ['Done', 'SUCCEEDED'],
      ]);
      expect(after.history[2]).toMatchObject({
        redrive: { id: 'redrive-1', by: 'ops@example.com', reason: 'beta is back' },
      });
      expect(after.redrives).toEqual([
        expect.objectContaining({
          id: 'redrive-1',
          node: 'Step_B',
          from_checkpoint: failed.checkpoints?.heads[''],
        }),
      ]);
      expect(after.expires_at).toBeDefined();
      expect(sim.metrics.total('WorkflowsRedriven')).toBe(1);
      expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
      expect(sim.metrics.total('WorkflowsSucceeded')).toBe(1);
      expect(sim.deadLetters).toEqual([]);

      // A late copy of the failed request's reply changes nothing.
      const late = await sim.runtime.handle({
        type: 'ASYNC_RESP',
        instance_id: INSTANCE,
        request_id: rid('Step_B', 1),
        status: 'SUCCESS',
        outputs: { b: 'too late' },
      });
      expect(late).toEqual({ kind: 'ack', note: 'duplicate' });
      expect((await record(sim)).context.b).toBe('beta-ok');
    });

    it('the redriven instance is live until it ends: waiting on the fresh request, with no expiry', async () => {
      const sim = await simulation({
        mocks: { 'beta#op': [{ status: 'FAILURE', error: { code: 'X', message: 'no' } }, { reply: false }] },
      });
      start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
      await sim.drain();
      expect((await record(sim)).expires_at).toBeDefined();
      await sim.runtime.handle(REDRIVE, 'm-redrive');
      const waiting = await record(sim);
      expect(waiting.status).toBe('WAITING');
      expect(waiting.waits.map((w) => w.request_id)).toEqual([rid('Step_B', 2)]);
      expect(waiting.expires_at).toBeUndefined();
      expect(waiting.error).toBeNull();
    });

    it('a sync_call that failed in the same invocation as the reply before it is re-run alone: that reply is not asked for again', async () => {
      let calls = 0;
      const flaky: SyncCapability = () => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('flaky failed')) : Promise.resolve({ computed: calls });
      };
      const sim = await simulation({ syncCapabilities: { ...builtinSyncCapabilities, flaky } });
      start(sim, REPLY_THEN_SYNC, 'reply_then_sync_v1');
      await sim.drain();
      expect((await record(sim)).status).toBe('FAILED');

      sim.send({ type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE });
      await sim.drain();

      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(calls).toBe(2);
      expect(requestIds(sim, 'Ask')).toEqual([rid('Ask', 1)]);
      expect(steps(after)).toEqual([
        ['Ask', 'SUCCEEDED'],
        ['Compute', 'FAILED'],
        ['Compute', 'REDRIVEN'],
        ['Compute', 'SUCCEEDED'],
        ['Done', 'SUCCEEDED'],
      ]);
      expect(after.history[2]).toMatchObject({ redrive: { by: 'unknown', reason: null } });
    });

    it('a wait that timed out (FAILED with TIMEOUT) is redriven: the step is asked again and the instance succeeds', async () => {
      const sim = await simulation({
        mocks: { 'beta#op': [{ reply: false }, { outputs: { b: 'late but fine' } }] },
      });
      start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
      await sim.drain();
      const failed = await record(sim);
      expect([failed.status, failed.error?.code]).toEqual(['FAILED', 'TIMEOUT']);

      sim.send(REDRIVE);
      await sim.drain();
      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(requestIds(sim, 'Step_A')).toHaveLength(1);
      expect(steps(after).slice(1, 4)).toEqual([
        ['Step_B', 'TIMED_OUT'],
        ['Step_B', 'REDRIVEN'],
        ['Step_B', 'SUCCEEDED'],
      ]);
    });

    it('an instance that fails again after a redrive can be redriven again, from its new failure', async () => {
      const sim = await simulation({
        mocks: {
          'beta#op': [
            { status: 'FAILURE', error: { code: 'X', message: 'first' } },
            { status: 'FAILURE', error: { code: 'Y', message: 'second' } },
            { outputs: { b: 'third time' } },
          ],
        },
      });
      start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
      await sim.drain();
      sim.send({ ...REDRIVE, redrive_id: 'first' });
      await sim.drain();
      expect((await record(sim)).error?.code).toBe('Y');
      sim.send({ ...REDRIVE, redrive_id: 'second' });
      await sim.drain();
      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(requestIds(sim, 'Step_B')).toEqual([1, 2, 3].map((v) => rid('Step_B', v)));
      expect(after.redrives?.map((r) => r.id)).toEqual(['first', 'second']);
    });

    it('a redelivered REDRIVE (same redrive_id, or the same queue message without one) is applied once', async () => {
      const sim = await failedThreeSteps({
        mocks: { 'beta#op': [{ status: 'FAILURE', error: { code: 'X', message: 'no' } }, { reply: false }] },
      });
      const first = await sim.runtime.handle(REDRIVE, 'm-1');
      const again = await sim.runtime.handle(REDRIVE, 'm-2');
      expect([first, again]).toEqual([{ kind: 'ack' }, { kind: 'ack', note: 'redrive already applied' }]);
      const anonymous: RedriveWorkflow = { type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE };
      // Another redrive while the redriven run is under way is refused: the instance is not FAILED.
      expect(await sim.runtime.handle(anonymous, 'm-3')).toEqual({ kind: 'ack', note: 'redrive refused' });
      expect(sim.metrics.total('RedrivesRefused')).toBe(1);
      const r = await record(sim);
      expect(r.history.filter((h) => h.status === 'REDRIVEN')).toHaveLength(1);
      expect(requestIds(sim, 'Step_B')).toEqual([rid('Step_B', 1), rid('Step_B', 2)]);
    });

    it('the same queue message without a redrive_id, delivered twice after a new failure, does not redrive twice', async () => {
      const sim = await simulation({
        mocks: {
          'beta#op': [
            { status: 'FAILURE', error: { code: 'X', message: 'first' } },
            { status: 'FAILURE', error: { code: 'Y', message: 'second' } },
          ],
        },
      });
      start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
      await sim.drain();
      const anonymous: RedriveWorkflow = { type: 'REDRIVE_WORKFLOW', instance_id: INSTANCE };
      expect(await sim.runtime.handle(anonymous, 'queue-message-7')).toEqual({ kind: 'ack' });
      await sim.drain();
      expect((await record(sim)).status).toBe('FAILED');
      expect(await sim.runtime.handle(anonymous, 'queue-message-7')).toEqual({
        kind: 'ack',
        note: 'redrive already applied',
      });
      expect(requestIds(sim, 'Step_B')).toHaveLength(2);
    });

    it('a redrive of an instance that is not FAILED is refused with a clear log and a metric, and changes nothing', async () => {
      const sim = await simulation({ mocks: false });
      start(sim, THREE_STEPS, 'three_steps_v1', { shipmentId: 'SHP-1' });
      await sim.step(); // the START only: the wait's timer is not due
      const before = await sim.instances.load(INSTANCE);
      expect(before?.status).toBe('WAITING');
      expect(await sim.runtime.handle(REDRIVE, 'm-1')).toEqual({ kind: 'ack', note: 'redrive refused' });
      expect(await sim.instances.load(INSTANCE)).toEqual(before);
      expect(sim.metrics.points.filter((p) => p.name === 'RedrivesRefused')).toEqual([
        { name: 'RedrivesRefused', value: 1, dimensions: { workflow_id: 'three_steps_v1' } },
      ]);
      const line = (sim.logger as RecordingLogger).lines.find((l) =>
        l.message.startsWith('REDRIVE_WORKFLOW refused'),
      );
      expect(line).toMatchObject({
        level: 'warn',
        message: 'REDRIVE_WORKFLOW refused: the instance is WAITING; only a FAILED instance can be redriven',
        fields: { instance_id: INSTANCE, workflow_id: 'three_steps_v1', redrive_id: 'redrive-1' },
      });

      sim.send({
        type: 'ASYNC_RESP',
        instance_id: INSTANCE,
        request_id: rid('Step_A', 1),
        status: 'SUCCESS',
        outputs: { a: 1 },
      });
      sim.send({ type: 'CANCEL_WORKFLOW', instance_id: INSTANCE }, 1000);
      await sim.drain();
      expect((await record(sim)).status).toBe('CANCELLED');
      expect(await sim.runtime.handle({ ...REDRIVE, redrive_id: 'r-2' }, 'm-2')).toEqual({
        kind: 'ack',
        note: 'redrive refused',
      });
      expect(sim.metrics.total('RedrivesRefused')).toBe(2);
    });

    it('a redrive of an instance that failed before its first step, or at an end node, is refused', async () => {
      const sim = await simulation();
      start(sim, THREE_STEPS, 'three_steps_v1', {});
      await sim.drain();
      expect((await record(sim)).error?.code).toBe('MISSING_CONTEXT');
      expect(await sim.runtime.handle(REDRIVE, 'm-1')).toEqual({ kind: 'ack', note: 'redrive refused' });
      const refusal = (sim.logger as RecordingLogger).lines.find((l) =>
        l.message.startsWith('REDRIVE_WORKFLOW refused'),
      );
      expect(refusal?.message).toContain('failed before its first step (MISSING_CONTEXT)');

      const ends = await simulation();
      start(
        ends,
        `
workflow_name: ends failed
workflow_id: ends_failed_v1
entry_point: Check
nodes:
  Check:
    type: choice
    choices: [{ when: 'ok = true', next: Done }]
    default: Rejected
  Done: { type: end }
  Rejected: { type: end, status: FAILED }
`,
        'ends_failed_v1',
        { ok: false },
      );
      await ends.drain();
      expect((await ends.instances.get(INSTANCE))?.status).toBe('FAILED');
      expect(await ends.runtime.handle(REDRIVE, 'm-1')).toEqual({ kind: 'ack', note: 'redrive refused' });
      expect(
        (ends.logger as RecordingLogger).lines.find((l) => l.message.startsWith('REDRIVE_WORKFLOW refused'))
          ?.message,
      ).toBe("REDRIVE_WORKFLOW refused: it ended at its end node 'Rejected': no step failed");
    });

    it('a step that failed in a parallel branch: the failed and the stopped branches run again, the completed one does not, the join runs once', async () => {
      const sim = await failedFanOut();
      const failed = await record(sim);
      expect([failed.status, failed.error?.code, failed.error?.node]).toEqual([
        'FAILED',
        'CLASSIFY_DOWN',
        'Task_B1',
      ]);
      expect(steps(failed)).toEqual(
        expect.arrayContaining([
          ['Task_B2', 'SUCCEEDED'],
          ['Task_B1', 'FAILED'],
          ['Task_B3', 'CANCELLED'],
        ]),
      );

      sim.send(REDRIVE);
      await sim.drain();

      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.output).toMatchObject({
        b1_result: 'classified',
        b2_result: 'duties',
        b3_result: 'licensed',
      });
      expect(requestIds(sim, 'Task_A')).toHaveLength(1);
      expect(requestIds(sim, 'Task_B2')).toEqual([rid('Task_B2', 1)]);
      expect(requestIds(sim, 'Task_B1')).toEqual([rid('Task_B1', 1), rid('Task_B1', 2)]);
      expect(requestIds(sim, 'Task_B3')).toEqual([rid('Task_B3', 1), rid('Task_B3', 2)]);
      expect(requestIds(sim, 'Task_C')).toHaveLength(1);
      const redriven = steps(after).slice(steps(after).findIndex(([, status]) => status === 'REDRIVEN'));
      expect(redriven[0]).toEqual(['Task_B1', 'REDRIVEN']);
      expect(redriven.slice(1).sort()).toEqual(
        [
          ['Task_B1', 'SUCCEEDED'],
          ['Task_B3', 'SUCCEEDED'],
          ['Task_C', 'SUCCEEDED'],
          ['Done', 'SUCCEEDED'],
        ].sort(),
      );
      expect(sim.deadLetters).toEqual([]);
    });

    it("a branch whose second step failed resumes at that step, with its context as it was then: its first step, a stopped sibling's completed step and a completed sibling are not run again", async () => {
      const sim = await failedTwoStepBranch();
      const failed = await record(sim);
      expect([failed.status, failed.error?.code, failed.error?.node]).toEqual([
        'FAILED',
        'BETA_DOWN',
        'Then_B',
      ]);
      const states = (r: InstanceRecord) =>
        nodeStates(['First_A', 'Then_B', 'Other_1', 'Other_2', 'Solo', 'Done'], r);
      expect(states(failed)).toEqual({
        First_A: 'done',
        Then_B: 'failed',
        Other_1: 'done',
        Other_2: 'cancelled',
        Solo: 'done',
        Done: 'not_reached',
      });

      sim.send(REDRIVE);
      await sim.drain();

      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      // The same final context as if nothing had failed.
      expect(after.output).toEqual({
        a: 'mock://alpha#op/a',
        b: 'beta-ok',
        g1: 'mock://gamma#op/g1',
        g2: 'delta-ok',
        s: 'mock://sigma#op/s',
      });
      // Completed steps get no second request; the failed and the stopped steps a new one.
      expect(requestIds(sim, 'First_A')).toEqual([rid('First_A', 1)]);
      expect(requestIds(sim, 'Other_1')).toEqual([rid('Other_1', 1)]);
      expect(requestIds(sim, 'Solo')).toEqual([rid('Solo', 1)]);
      expect(requestIds(sim, 'Then_B')).toEqual([1, 2].map((v) => rid('Then_B', v)));
      expect(requestIds(sim, 'Other_2')).toEqual([1, 2].map((v) => rid('Other_2', v)));
      // Each resumed step sees its branch's context as it was before it (no sibling's outputs).
      const thenB = inputs(sim, 'Then_B');
      expect(thenB[rid('Then_B', 2)]).toEqual(thenB[rid('Then_B', 1)]);
      expect(thenB[rid('Then_B', 2)]).toEqual({ shipmentId: 'SHP-1', a: 'mock://alpha#op/a' });
      const other2 = inputs(sim, 'Other_2');
      expect(other2[rid('Other_2', 2)]).toEqual(other2[rid('Other_2', 1)]);
      const redriven = steps(after).slice(steps(after).findIndex(([, status]) => status === 'REDRIVEN'));
      expect(redriven[0]).toEqual(['Then_B', 'REDRIVEN']);
      expect(redriven.slice(1).sort()).toEqual(
        [
          ['Then_B', 'SUCCEEDED'],
          ['Other_2', 'SUCCEEDED'],
          ['Done', 'SUCCEEDED'],
        ].sort(),
      );
      expect(after.history.filter((h) => h.node === 'Done')).toHaveLength(1);
      expect(Object.values(states(after))).toEqual(Array(6).fill('done'));
      expect(sim.deadLetters).toEqual([]);
    });

    it('a branch that fails again after a redrive is redriven again: a sibling that completed in the first redrive is not run again', async () => {
      const sim = await failedTwoStepBranch({
        mocks: {
          ...TWO_STEP_MOCKS,
          'beta#op': [
            { status: 'FAILURE', error: { code: 'X', message: 'first' }, delay: '1m' },
            { status: 'FAILURE', error: { code: 'Y', message: 'second' }, delay: '1m' },
            { outputs: { b: 'third time' } },
          ],
        },
      });
      sim.send({ ...REDRIVE, redrive_id: 'first' });
      await sim.drain();
      const again = await record(sim);
      expect([again.status, again.error?.code, again.error?.node]).toEqual(['FAILED', 'Y', 'Then_B']);
      sim.send({ ...REDRIVE, redrive_id: 'second' });
      await sim.drain();
      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.output).toMatchObject({ b: 'third time', g2: 'delta-ok' });
      expect(requestIds(sim, 'Then_B')).toEqual([1, 2, 3].map((v) => rid('Then_B', v)));
      expect(requestIds(sim, 'Other_2')).toEqual([1, 2].map((v) => rid('Other_2', v)));
      expect(requestIds(sim, 'First_A')).toHaveLength(1);
      expect(after.redrives?.map((r) => r.id)).toEqual(['first', 'second']);
    });

    it('a step that failed in a parallel nested in a branch of a parallel: every branch resumes where it stopped, at every depth, and no completed step runs again', async () => {
      const sim = await failedNested();
      const failed = await record(sim);
      expect([failed.status, failed.error?.code, failed.error?.node]).toEqual([
        'FAILED',
        'IN1B_DOWN',
        'In_1b',
      ]);
      expect(steps(failed)).toEqual(
        expect.arrayContaining([
          ['In_1', 'SUCCEEDED'],
          ['In_1b', 'FAILED'],
          ['In_2', 'SUCCEEDED'],
          ['In_3', 'CANCELLED'],
          ['Right_1', 'SUCCEEDED'],
          ['Right_2', 'CANCELLED'],
        ]),
      );

      sim.send(REDRIVE);
      await sim.drain();

      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.output).toEqual({
        left: 'mock://left#op/left',
        in1: 'mock://in1#op/in1',
        in1b: 'in1b-ok',
        in2: 'mock://in2#op/in2',
        in3: 'in3-ok',
        merged: 'mock://merge#op/merged',
        right1: 'mock://right1#op/right1',
        right2: 'right2-ok',
      });
      for (const node of ['Left_Step', 'In_1', 'In_2', 'Right_1', 'After_Inner']) {
        expect([node, requestIds(sim, node)]).toEqual([node, [rid(node, 1)]]);
      }
      for (const node of ['In_1b', 'In_3', 'Right_2']) {
        expect([node, requestIds(sim, node)]).toEqual([node, [1, 2].map((v) => rid(node, v))]);
      }
      const in1b = inputs(sim, 'In_1b');
      expect(in1b[rid('In_1b', 2)]).toEqual(in1b[rid('In_1b', 1)]);
      const redriven = steps(after).slice(steps(after).findIndex(([, status]) => status === 'REDRIVEN'));
      expect(redriven[0]).toEqual(['In_1b', 'REDRIVEN']);
      // The inner join's step and the outer join each run once, after the branches.
      expect(redriven.slice(1).sort()).toEqual(
        [
          ['In_1b', 'SUCCEEDED'],
          ['In_3', 'SUCCEEDED'],
          ['After_Inner', 'SUCCEEDED'],
          ['Right_2', 'SUCCEEDED'],
          ['Done', 'SUCCEEDED'],
        ].sort(),
      );
      expect(after.history.filter((h) => h.node === 'After_Inner')).toHaveLength(1);
      const all = ['Outer', 'Left_Step', 'Inner', 'In_1', 'In_1b', 'In_2', 'In_3', 'After_Inner'];
      expect(Object.values(nodeStates([...all, 'Right_1', 'Right_2', 'Done'], after))).toEqual(
        Array(11).fill('done'),
      );
      expect(sim.deadLetters).toEqual([]);
    });

    it('two redrives raced by two workers (a lease shorter than the step, clocks 5 minutes apart): exactly one is applied', async () => {
      let calls = 0;
      let entered: () => void = () => undefined;
      let release: () => void = () => undefined;
      const reached = new Promise<void>((r) => (entered = r));
      const released = new Promise<void>((r) => (release = r));
      // Fails the first time; the second call (worker A's redrive) blocks until released; later calls pass.
      const flakySlow: SyncCapability = async () => {
        calls++;
        if (calls === 1) throw new Error('down');
        if (calls === 2) {
          entered();
          await released;
        }
        return { computed: calls };
      };
      const sim = await simulation({ syncCapabilities: { ...builtinSyncCapabilities, flaky: flakySlow } });
      start(sim, REPLY_THEN_SYNC, 'reply_then_sync_v1');
      await sim.drain();
      expect((await record(sim)).status).toBe('FAILED');
      const a = sim.newWorker({ leaseTtlMs: 5_000 });
      const b = sim.newWorker({ leaseTtlMs: 5_000, clockOffsetMs: 5 * 60_000 });
      const first: RedriveWorkflow = { ...REDRIVE, redrive_id: 'by-a' };
      const second: RedriveWorkflow = { ...REDRIVE, redrive_id: 'by-b' };
      const slow = a.handle(first).then(
        (outcome) => outcome,
        (error: unknown) => error as Error,
      );
      await reached;
      sim.clock.advance(10_000);
      expect(await b.handle(second)).toEqual({ kind: 'ack' });
      release();
      const lost = await slow;
      expect((lost as Error & { code?: string }).code).toBe('STALE_COMMIT');
      // A's message comes back: the instance is no longer FAILED, so it is refused, not applied.
      sim.send(first);
      await sim.drain();
      const after = await record(sim);
      expect(after.status).toBe('SUCCEEDED');
      expect(after.redrives?.map((r) => r.id)).toEqual(['by-b']);
      expect(steps(after)).toEqual([
        ['Ask', 'SUCCEEDED'],
        ['Compute', 'FAILED'],
        ['Compute', 'REDRIVEN'],
        ['Compute', 'SUCCEEDED'],
        ['Done', 'SUCCEEDED'],
      ]);
      expect(sim.metrics.total('RedrivesRefused')).toBe(1);
      expect(requestIds(sim, 'Ask')).toEqual([rid('Ask', 1)]);
    });

    /**
     * The process dies at every write of the redrive and of the run after it (each boundary, before and
     * after the write); the redelivered REDRIVE must apply once and the instance end SUCCEEDED, then
     * `check` asserts what else must hold of it.
     */
    const describeRedriveCrashes = (
      title: string,
      itTitle: string,
      failed: (options: SimulationOptions) => Promise<WorkflowSimulation>,
      check: (sim: WorkflowSimulation, after: InstanceRecord, where: string) => void,
    ) =>
      describe(title, () => {
        // Passes through each boundary up to the failure, and up to the end of the redriven run.
        const failedAt = new Map<Boundary, number>();
        const endedAt = new Map<Boundary, number>();

        beforeAll(async () => {
          const counter = new CrashPlan('checkpoint', 'before', Number.POSITIVE_INFINITY);
          const sim = await failed({ decorate: counter.decorate });
          for (const b of ['checkpoint', 'dispatch', 'save'] as const) failedAt.set(b, counter.passes(b));
          sim.send(REDRIVE);
          await sim.drain();
          expect((await record(sim)).status).toBe('SUCCEEDED');
          for (const b of ['checkpoint', 'dispatch', 'save'] as const) endedAt.set(b, counter.passes(b));
        });

        it.each(CRASH_POINTS)(itTitle, async (boundary, phase) => {
          const from = (failedAt.get(boundary) ?? 0) + 1;
          const to = endedAt.get(boundary) ?? 0;
          expect(to).toBeGreaterThan(from);
          for (let occurrence = from; occurrence <= to; occurrence++) {
            const plan = new CrashPlan(boundary, phase, occurrence);
            const sim = await failed({ decorate: plan.decorate });
            expect((await record(sim)).status).toBe('FAILED');
            sim.send(REDRIVE);
            await sim.drain();
            const where = `${phase} ${boundary} #${occurrence}`;
            const after = await record(sim);
            expect([where, plan.crashed, sim.deaths, after.status]).toEqual([where, true, 1, 'SUCCEEDED']);
            check(sim, after, where);
          }
        });
      });

    describeRedriveCrashes(
      'a process that dies mid-redrive (at every write of the redrive and of the run after it, before and after it)',
      'dies %s, %s the write: the redrive is applied once and the instance SUCCEEDS',
      failedThreeSteps,
      (sim, after, where) => {
        expect([where, steps(after)]).toEqual([
          where,
          [
            ['Step_A', 'SUCCEEDED'],
            ['Step_B', 'FAILED'],
            ['Step_B', 'REDRIVEN'],
            ['Step_B', 'SUCCEEDED'],
            ['Step_C', 'SUCCEEDED'],
            ['Done', 'SUCCEEDED'],
          ],
        ]);
        // Requests may be sent again after a crash, always with the same ids; A is never asked again.
        expect([where, [...new Set(requestIds(sim, 'Step_A'))]]).toEqual([where, [rid('Step_A', 1)]]);
        expect([where, [...new Set(requestIds(sim, 'Step_B'))]]).toEqual([
          where,
          [rid('Step_B', 1), rid('Step_B', 2)],
        ]);
        expect([where, after.redrives?.length, sim.deadLetters]).toEqual([where, 1, []]);
      },
    );

    describeRedriveCrashes(
      'a process that dies mid-redrive of a failed parallel branch (every write, before and after it)',
      'dies %s, %s the write: the redrive is applied once and the fan-out SUCCEEDS',
      failedFanOut,
      (sim, after, where) => {
        const runs = (node: string, status: string) => runsOf(after, node, status);
        expect([
          where,
          runs('Task_B1', 'REDRIVEN'),
          runs('Task_B2', 'SUCCEEDED'),
          runs('Task_C', 'SUCCEEDED'),
        ]).toEqual([where, 1, 1, 1]);
        expect([where, [...new Set(requestIds(sim, 'Task_B2'))]]).toEqual([where, [rid('Task_B2', 1)]]);
        expect([where, [...new Set(requestIds(sim, 'Task_B1'))]]).toEqual([
          where,
          [1, 2].map((v) => rid('Task_B1', v)),
        ]);
        expect([where, sim.deadLetters]).toEqual([where, []]);
      },
    );

    describeRedriveCrashes(
      'a process that dies mid-redrive of a failure in nested parallels (every write, before and after it)',
      'dies %s, %s the write: the redrive is applied once, no completed step runs again, and the instance SUCCEEDS',
      failedNested,
      (sim, after, where) => {
        const runs = (node: string, status: string) => runsOf(after, node, status);
        expect([
          where,
          runs('In_1b', 'REDRIVEN'),
          runs('In_1b', 'SUCCEEDED'),
          runs('In_2', 'SUCCEEDED'),
          runs('After_Inner', 'SUCCEEDED'),
          runs('Done', 'SUCCEEDED'),
          after.redrives?.length,
        ]).toEqual([where, 1, 1, 1, 1, 1, 1]);
        // Requests may be sent again after a crash, always with the same ids; completed steps never.
        for (const node of ['Left_Step', 'In_1', 'In_2', 'Right_1', 'After_Inner']) {
          expect([where, node, [...new Set(requestIds(sim, node))]]).toEqual([where, node, [rid(node, 1)]]);
        }
        for (const node of ['In_1b', 'In_3', 'Right_2']) {
          expect([where, node, [...new Set(requestIds(sim, node))]]).toEqual([
            where,
            node,
            [1, 2].map((v) => rid(node, v)),
          ]);
        }
        expect([where, after.output?.in1b, after.output?.right2, sim.deadLetters]).toEqual([
          where,
          'in1b-ok',
          'right2-ok',
          [],
        ]);
      },
    );
  });
}

/** How often `node` ended with `status` in the instance's history. */
function runsOf(record: InstanceRecord, node: string, status: string): number {
  return record.history.filter((h) => h.node === node && h.status === status).length;
}
