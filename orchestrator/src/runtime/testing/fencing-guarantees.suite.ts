import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { WorkflowSimulation, type SimulationOptions } from '../memory/workflow-simulation';
import type { OrchestratorRuntime } from '../orchestrator-runtime';
import type { AsyncResponse, InboundMessage } from '../messages';
import { builtinSyncCapabilities, type SyncCapability } from '../../sync-capabilities/registry';

/**
 * DESIGN.md section 5.4 as amended by issue 9: correctness never depends on clocks or timeouts. Two
 * workers process one instance at the same time because the first one's step outlives its lease, and the
 * second one's clock runs minutes ahead; whatever they do, at most one commits each step, the loser sends
 * nothing, and the instance ends with every reply applied once.
 */
export function describeFencingGuarantees(
  label: string,
  newCheckpointer: () => BaseCheckpointSaver | Promise<BaseCheckpointSaver>,
): void {
  const MINUTE = 60_000;

  /** A sync capability that blocks until the test opens its gate: a step slower than any lease. */
  class Gate {
    calls = 0;
    private open: (() => void) | undefined;
    private entered: (() => void) | undefined;
    readonly reached = new Promise<void>((resolve) => {
      this.entered = resolve;
    });
    private readonly released = new Promise<void>((resolve) => {
      this.open = resolve;
    });
    readonly capability: SyncCapability = async ({ context }) => {
      this.calls++;
      if (this.calls === 1) {
        this.entered?.();
        await this.released;
      }
      return { slow_done: `after ${Object.keys(context).length} keys` };
    };
    release(): void {
      this.open?.();
    }
  }

  const setUp = async (yaml: string, options: SimulationOptions = {}) => {
    const gate = new Gate();
    const sim = new WorkflowSimulation({
      checkpointer: await newCheckpointer(),
      mocks: false,
      syncCapabilities: { ...builtinSyncCapabilities, 'slow-step': gate.capability },
      ...options,
    });
    const workflowId = /^workflow_id: (\S+)$/m.exec(yaml)?.[1] ?? 'missing';
    sim.definitions.put(`${workflowId}.yaml`, yaml);
    sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: 'inst-1', context: {} });
    await sim.step();
    // Worker A's lease is far shorter than its slow step; worker B's clock runs five minutes ahead.
    const a = sim.newWorker({ leaseTtlMs: 5_000 });
    const b = sim.newWorker({ leaseTtlMs: 5_000, clockOffsetMs: 5 * MINUTE });
    return { sim, gate, a, b };
  };

  const replyTo = (sim: WorkflowSimulation, capability: string, outputs: Record<string, unknown>) => {
    const request = sim.dispatcher.sent.find((r) => r.capability_id === capability);
    if (!request) throw new Error(`no request to ${capability}`);
    return {
      type: 'ASYNC_RESP',
      instance_id: 'inst-1',
      request_id: request.request_id,
      status: 'SUCCESS',
      outputs,
    } satisfies AsyncResponse;
  };

  /** Worker A takes `first` and blocks in the slow step; while it is stuck, B handles `second`. */
  const race = async (
    setup: Awaited<ReturnType<typeof setUp>>,
    first: InboundMessage,
    second: InboundMessage,
  ) => {
    const { sim, gate, a, b } = setup;
    const slow = a.handle(first).then(
      (outcome) => outcome,
      (error: unknown) => error as Error,
    );
    await gate.reached;
    sim.clock.advance(10_000);
    const fast = await b.handle(second);
    gate.release();
    return { slow: await slow, fast };
  };

  /** Everything still queued (redeliveries of the loser's message included) is delivered. */
  const settle = async (sim: WorkflowSimulation, requeue: InboundMessage[], worker?: OrchestratorRuntime) => {
    if (worker) sim.runtime = worker;
    for (const message of requeue) sim.send(message);
    await sim.drain();
    return sim.instances.get('inst-1');
  };

  const historyOf = async (sim: WorkflowSimulation) =>
    ((await sim.instances.get('inst-1'))?.history ?? []).map((h) => `${h.node}:${h.status}`);

  /**
   * FAN_OUT_WITH_A_SLOW_BRANCH after both branch replies: the join's request went out once (from the commit
   * that completed both branches); answered, the instance SUCCEEDS with each step run once.
   */
  const expectFanOutDoneOnce = async (sim: WorkflowSimulation) => {
    expect(sim.dispatcher.sent.filter((r) => r.capability_id === 'join#op')).toHaveLength(1);
    sim.send(replyTo(sim, 'join#op', {}));
    await sim.drain();
    const record = await sim.instances.get('inst-1');
    expect([record?.status, record?.error]).toEqual(['SUCCEEDED', null]);
    expect(record?.context).toMatchObject({ one: 1, two: 2 });
    const history = await historyOf(sim);
    for (const node of ['B1:SUCCEEDED', 'B2:SUCCEEDED', 'Slow:SUCCEEDED', 'Join:SUCCEEDED']) {
      expect([node, history.filter((h) => h === node).length]).toEqual([node, 1]);
    }
  };

  /** Two branches; B1's reply is followed by the slow step. */
  const FAN_OUT_WITH_A_SLOW_BRANCH = `
workflow_name: w
workflow_id: fan
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [B1, B2]
    join: Join
  B1:
    type: async_request
    capability_id: 'one#op'
    request_output_keys: [one]
    on_response: Slow
    timeout: 1h
  Slow:
    type: sync_call
    capability_id: slow-step
    output_keys: [slow_done]
    on_success: Join
  B2:
    type: async_request
    capability_id: 'two#op'
    request_output_keys: [two]
    on_response: Join
    timeout: 1h
  Join:
    type: async_request
    capability_id: 'join#op'
    on_response: Done
    timeout: 1h
  Done: { type: end }
`;

  describe(`one writer per instance, fenced (${label}): two workers, a lease shorter than a step, clocks 5 minutes apart`, () => {
    it('a reply and the timer of the same wait: exactly one is applied, the history does not fork', async () => {
      const setup = await setUp(`
workflow_name: w
workflow_id: reply_vs_timer
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'ask#question'
    request_output_keys: [answer]
    on_response: Slow
    timeout: 1m
    on_timeout: TimedOut
  Slow:
    type: sync_call
    capability_id: slow-step
    output_keys: [slow_done]
    on_success: Next
  Next:
    type: async_request
    capability_id: 'next#step'
    on_response: Done
    timeout: 1h
  Done: { type: end }
  TimedOut: { type: end, status: FAILED }
`);
      const { sim } = setup;
      const reply = replyTo(sim, 'ask#question', { answer: 42 });
      const timer = sim.timers.scheduled.find((t) => t.request_id === reply.request_id);
      expect(timer).toBeDefined();
      const { slow, fast } = await race(setup, reply, timer!);
      // B (clock ahead) found the lease expired, applied the timeout and committed; A lost the instance.
      expect(fast).toEqual({ kind: 'ack' });
      expect(slow).toBeInstanceOf(Error);
      expect((slow as Error & { code?: string }).code).toBe('STALE_COMMIT');
      const record = await settle(sim, [reply]);
      expect(record?.status).toBe('FAILED');
      expect(await historyOf(sim)).toEqual(['Ask:TIMED_OUT', 'TimedOut:FAILED']);
      expect(record?.context.answer).toBeUndefined();
      // The loser's next request was never sent.
      expect(sim.dispatcher.sent.map((r) => r.capability_id)).toEqual(['ask#question']);
      expect(sim.deadLetters).toEqual([]);
    });

    it('two replies of a fan-out: both applied once, the join once, nothing left waiting', async () => {
      const setup = await setUp(FAN_OUT_WITH_A_SLOW_BRANCH);
      const { sim } = setup;
      const one = replyTo(sim, 'one#op', { one: 1 });
      const two = replyTo(sim, 'two#op', { two: 2 });
      const { slow, fast } = await race(setup, one, two);
      expect(fast).toEqual({ kind: 'ack' });
      expect((slow as Error & { code?: string }).code).toBe('STALE_COMMIT');
      // A's reply comes back (it was never acknowledged) and is applied now, by a healthy worker.
      sim.send(one);
      await sim.step();
      await expectFanOutDoneOnce(sim);
      expect(sim.deadLetters).toEqual([]);
    });

    it('two replies of a fan-out applied together, raced by one of them alone: each applied once, the join once', async () => {
      const setup = await setUp(FAN_OUT_WITH_A_SLOW_BRANCH);
      const { sim, gate, a, b } = setup;
      const one = replyTo(sim, 'one#op', { one: 1 });
      const two = replyTo(sim, 'two#op', { two: 2 });
      // A takes both replies of one batch and blocks in B1's slow step; B, its clock ahead, applies B2's
      // copy alone and commits.
      const together = a.handleReplies([{ message: one }, { message: two }]).then(
        (outcomes) => outcomes,
        (error: unknown) => error as Error & { code?: string },
      );
      await gate.reached;
      sim.clock.advance(10_000);
      expect(await b.handle(two)).toEqual({ kind: 'ack' });
      gate.release();
      const lost = await together;
      expect((lost as Error & { code?: string }).code).toBe('STALE_COMMIT');
      expect(sim.dispatcher.sent.filter((r) => r.capability_id === 'join#op')).toHaveLength(0);
      // A's batch was never acknowledged: it comes back, together, to a healthy worker.
      sim.runtime = b;
      await sim.deliverReplies(
        [one, two].map((message, i) => ({ id: `m-${i}`, message, at: 0, receives: 1 })),
      );
      await expectFanOutDoneOnce(sim);
      expect(sim.metrics.total('DuplicateReplies')).toBe(1);
      expect(sim.deadLetters).toEqual([]);
    });

    it('a cancel while a slow step runs: the instance is CANCELLED and the loser sends no request', async () => {
      const setup = await setUp(`
workflow_name: w
workflow_id: cancel_race
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'ask#question'
    on_response: Slow
    timeout: 1h
  Slow:
    type: sync_call
    capability_id: slow-step
    output_keys: [slow_done]
    on_success: Next
  Next:
    type: async_request
    capability_id: 'next#step'
    on_response: Done
    timeout: 1h
  Done: { type: end }
`);
      const { sim } = setup;
      const reply = replyTo(sim, 'ask#question', {});
      const { slow, fast } = await race(setup, reply, {
        type: 'CANCEL_WORKFLOW',
        instance_id: 'inst-1',
        reason: 'stop',
      });
      expect(fast).toEqual({ kind: 'ack' });
      expect((slow as Error & { code?: string }).code).toBe('STALE_COMMIT');
      const record = await settle(sim, [reply]);
      expect(record?.status).toBe('CANCELLED');
      expect(sim.dispatcher.sent.map((r) => r.capability_id)).toEqual(['ask#question']);
      expect(sim.metrics.total('StaleReplies')).toBe(1);
    });

    it('the loser of a race commits nothing even when it holds the lease again later', async () => {
      // A worker whose lease expired and was taken, then taken back by yet another message, must still
      // fail: the record's version moved on.
      const setup = await setUp(`
workflow_name: w
workflow_id: version_fence
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'ask#question'
    request_output_keys: [answer]
    on_response: Slow
    timeout: 1h
  Slow:
    type: sync_call
    capability_id: slow-step
    output_keys: [slow_done]
    on_success: Done
  Done: { type: end, output_keys: [answer, slow_done] }
`);
      const { sim } = setup;
      const reply = replyTo(sim, 'ask#question', { answer: 1 });
      const { slow, fast } = await race(setup, reply, reply);
      // B applied the same reply (its own run of the slow step went through at once).
      expect(fast).toEqual({ kind: 'ack' });
      expect((slow as Error & { code?: string }).code).toBe('STALE_COMMIT');
      const record = await settle(sim, [reply]);
      expect(record?.status).toBe('SUCCEEDED');
      expect(await historyOf(sim)).toEqual(['Ask:SUCCEEDED', 'Slow:SUCCEEDED', 'Done:SUCCEEDED']);
      expect(sim.metrics.total('DuplicateReplies')).toBe(1);
    });
  });
}
