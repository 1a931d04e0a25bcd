import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { WorkflowSimulation, type SimulationOptions } from '../memory/workflow-simulation';
import { simulatedRequestId } from '../memory/simulation-request-ids';
import { CrashPlan, type Boundary, type Phase } from './fault-injection';
import { exampleText, SHIPMENT_CONTEXT, startExample } from './example-workflows';

/**
 * DESIGN.md section 5, as tests. Run against any checkpointer: MemorySaver for speed, DynamoDBSaver over
 * dynalite to prove the same guarantees hold on the real storage.
 */
export function describeExecutionGuarantees(
  label: string,
  newCheckpointer: () => BaseCheckpointSaver | Promise<BaseCheckpointSaver>,
  defaults: SimulationOptions = {},
): void {
  const simulation = async (options: SimulationOptions = {}) =>
    new WorkflowSimulation({ checkpointer: await newCheckpointer(), ...defaults, ...options });

  const nodeRuns = async (sim: WorkflowSimulation, node: string, instanceId = 'inst-1') =>
    ((await sim.instances.get(instanceId))?.history ?? []).filter((h) => h.node === node).length;

  describe(`execution guarantees (${label})`, () => {
    describe('durable progress: a crash at any boundary is repaired by redelivery', () => {
      const points: [Boundary, Phase][] = [
        ['checkpoint', 'before'],
        ['checkpoint', 'after'],
        ['dispatch', 'before'],
        ['dispatch', 'after'],
        ['save', 'before'],
        ['save', 'after'],
      ];
      // How often the fan-out passes each boundary in a crash-free run, measured below.
      const passes = new Map<Boundary, number>();

      beforeAll(async () => {
        const counter = new CrashPlan('checkpoint', 'before', Number.POSITIVE_INFINITY);
        const sim = await simulation({ decorate: counter.decorate });
        startExample(sim, 'fanout_a_b_c_v1');
        await sim.drain();
        for (const boundary of ['checkpoint', 'dispatch', 'save'] as const) {
          passes.set(boundary, counter.passes(boundary));
        }
      });

      it.each(points)(
        'process dies %s, %s the write (lease kept, nothing more done): every occurrence, the fan-out still completes once',
        async (boundary, phase) => {
          const total = passes.get(boundary) ?? 0;
          expect(total).toBeGreaterThan(2);
          for (let occurrence = 1; occurrence <= total; occurrence++) {
            const plan = new CrashPlan(boundary, phase, occurrence);
            const sim = await simulation({ decorate: plan.decorate });
            startExample(sim, 'fanout_a_b_c_v1');
            await sim.drain();
            const record = await sim.instances.get('inst-1');
            const where = `${phase} ${boundary} #${occurrence}`;
            expect([where, plan.crashed, sim.deaths]).toEqual([where, true, 1]);
            // The dead process kept its lease: the redelivered message waited for it without using up receives.
            expect([where, sim.metrics.total('LeaseConflicts') > 0]).toEqual([where, true]);
            expect([where, record?.status]).toEqual([where, 'SUCCEEDED']);
            // Every wait the crash left open was closed by its redelivered message, none lost.
            expect([where, sim.metrics.total('WaitsVanished')]).toEqual([where, 0]);
            for (const node of ['Task_A', 'Fan_Out', 'Task_B1', 'Task_B2', 'Task_B3', 'Task_C', 'Done']) {
              expect([where, node, await nodeRuns(sim, node)]).toEqual([where, node, 1]);
            }
            expect(Object.keys(record?.context ?? {}).sort()).toEqual(
              [
                'a_result',
                'b1_result',
                'b2_result',
                'b3_result',
                'c_result',
                ...Object.keys(SHIPMENT_CONTEXT),
              ].sort(),
            );
            expect(new Set(sim.dispatcher.sent.map((r) => r.request_id)).size).toBe(5);
            expect(sim.deadLetters).toEqual([]);
          }
        },
      );
    });

    describe('outbox: requests leave only after the state awaiting them is durable', () => {
      it('every request is in a durable checkpoint when sent', async () => {
        let sim: WorkflowSimulation | undefined = undefined;
        const durableAtSend: boolean[] = [];
        sim = await simulation({
          decorate: (ports) => ({
            ...ports,
            dispatcher: {
              dispatch: async (requests) => {
                for (const request of requests) {
                  // The open waits are the interrupts recorded against the latest top-level checkpoint.
                  const tuple = await ports.checkpointer.getTuple({
                    configurable: { thread_id: request.instance_id },
                  });
                  const durable = (tuple?.pendingWrites ?? []).some(
                    ([, channel, value]) =>
                      channel === '__interrupt__' &&
                      JSON.stringify(value).includes(JSON.stringify(request.request_id)),
                  );
                  durableAtSend.push(durable);
                }
                return ports.dispatcher.dispatch(requests);
              },
            },
          }),
        });
        startExample(sim, 'fanout_a_b_c_v1');
        await sim.drain();
        expect(durableAtSend).toHaveLength(5);
        expect(durableAtSend.every(Boolean)).toBe(true);
      });

      it('a request sent again after a crash carries the same request_id and input', async () => {
        // Dies once the request has left, before its lease release could mark it sent.
        const plan = new CrashPlan('dispatch', 'after', 1);
        const sim = await simulation({ decorate: plan.decorate, mocks: false });
        startExample(sim, 'import_vn_memphis_v1');
        await sim.drain();
        const sent = sim.dispatcher.sent;
        expect(sent).toHaveLength(2);
        expect(sent[1]?.request_id).toBe(sent[0]?.request_id);
        expect(sent[1]?.input).toEqual(sent[0]?.input);
        expect(sent[0]?.request_id).toBe(simulatedRequestId('inst-1', 'Prepare_Import_Enrichment', 1));
      });
    });

    describe('replies', () => {
      it('a duplicate reply is acknowledged, counted and ignored', async () => {
        const sim = await simulation({ mocks: { 'import#enrichment': { duplicates: 2 } } });
        startExample(sim, 'import_vn_memphis_v1');
        await sim.drain();
        expect((await sim.instances.get('inst-1'))?.status).toBe('SUCCEEDED');
        expect(sim.metrics.total('DuplicateReplies')).toBe(2);
        expect(await nodeRuns(sim, 'Process_Import_Enrichment_Response')).toBe(1);
      });

      it('an early reply (before its wait is durable) is retried, not dropped', async () => {
        const sim = await simulation({ mocks: false });
        sim.send({
          type: 'ASYNC_RESP',
          instance_id: 'inst-1',
          request_id: simulatedRequestId('inst-1', 'Prepare_Import_Enrichment', 1),
          status: 'SUCCESS',
          outputs: { import_enrichment_uri: 's3://early' },
        });
        await sim.step();
        expect(sim.pending()).toHaveLength(1);
        startExample(sim, 'import_vn_memphis_v1');
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('SUCCEEDED');
        expect(record?.context.import_enrichment_uri).toBe('s3://early');
        expect(sim.deadLetters).toEqual([]);
      });

      it('a reply for a request that does not exist ends in the dead letters after its retries', async () => {
        const sim = await simulation({ maxReceiveCount: 3 });
        sim.send({
          type: 'ASYNC_RESP',
          instance_id: 'ghost',
          request_id: simulatedRequestId('ghost', 'X', 1),
          status: 'SUCCESS',
          outputs: {},
        });
        await sim.drain();
        expect(sim.deadLetters.map((d) => d.reason)).toEqual(['ASYNC_RESP for unknown instance ghost']);
      });

      it('a reply after a timeout is stale: acknowledged, counted, not applied', async () => {
        const sim = await simulation({ mocks: { 'prepare#shipment': { delay: '20m' } } });
        startExample(sim, 'fanout_a_b_c_v1');
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('FAILED');
        expect(record?.history.map((h) => [h.node, h.status])).toEqual([
          ['Task_A', 'TIMED_OUT'],
          ['Timed_Out', 'FAILED'],
        ]);
        expect(record?.error).toMatchObject({ code: 'TIMEOUT', node: 'Task_A' });
        expect(record?.context.a_result).toBeUndefined();
        expect(sim.metrics.total('StaleReplies')).toBe(1);
      });

      it('a reply after a cancel is stale', async () => {
        const sim = await simulation({ mocks: { 'import#enrichment': { delay: '1h' } } });
        startExample(sim, 'import_vn_memphis_v1');
        sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'inst-1', reason: 'customer withdrew' }, 60_000);
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('CANCELLED');
        expect(record?.error).toEqual({ code: 'CANCELLED', message: 'customer withdrew' });
        expect(record?.waits).toEqual([]);
        expect(sim.metrics.total('StaleReplies')).toBe(1);
        expect(await nodeRuns(sim, 'Process_Import_Enrichment_Response')).toBe(0);
      });
    });

    describe('one writer per instance', () => {
      it('the last two replies of a fan-out, processed concurrently, both apply and C runs once', async () => {
        const sim = await simulation({ mocks: false });
        startExample(sim, 'fanout_a_b_c_v1');
        await sim.step();
        const reply = (capability: string, key: string) => {
          const request = sim.dispatcher.sent.find((r) => r.capability_id === capability);
          if (!request) throw new Error(`no request to ${capability}`);
          return {
            type: 'ASYNC_RESP' as const,
            instance_id: 'inst-1',
            request_id: request.request_id,
            status: 'SUCCESS' as const,
            outputs: { [key]: `${key}-value` },
          };
        };
        await sim.runtime.handle(reply('prepare#shipment', 'a_result'));
        await sim.runtime.handle(reply('classify#goods', 'b1_result'));
        const outcomes = await Promise.all([
          sim.runtime.handle(reply('duty#valuation', 'b2_result')),
          sim.runtime.handle(reply('licence#check', 'b3_result')),
        ]);
        expect(outcomes.map((o) => o.kind).sort()).toEqual(['ack', 'defer']);
        expect(sim.metrics.total('LeaseConflicts')).toBe(1);
        const retried =
          outcomes[0]?.kind === 'defer'
            ? reply('duty#valuation', 'b2_result')
            : reply('licence#check', 'b3_result');
        expect((await sim.runtime.handle(retried)).kind).toBe('ack');
        await sim.runtime.handle(reply('declaration#file', 'c_result'));
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('SUCCEEDED');
        expect(record?.context).toMatchObject({
          b1_result: 'b1_result-value',
          b2_result: 'b2_result-value',
          b3_result: 'b3_result-value',
        });
        expect(await nodeRuns(sim, 'Task_C')).toBe(1);
      });
    });

    describe('timers', () => {
      it('a timer delivered before its time (SQS delays at most 15 minutes) is re-armed, then fires', async () => {
        const sim = await simulation({ mocks: { 'review#manual': { reply: false } } });
        startExample(sim, 'export_screening_v1');
        await sim.step();
        await sim.step();
        const timer = sim.timers.scheduled.find((t) => t.request_id.includes('Manual_Review'));
        expect(timer?.fire_at).toBe('2026-01-08T00:00:00.000Z');
        // Delivered 15 minutes in, as an SQS-delayed message would be.
        sim.clock.advance(15 * 60 * 1000);
        expect(await sim.runtime.handle(timer!)).toEqual({ kind: 'ack', note: 'timer re-armed' });
        expect(sim.timers.scheduled.filter((t) => t.request_id === timer!.request_id)).toHaveLength(2);
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.history.map((h) => [h.node, h.status]).slice(-2)).toEqual([
          ['Manual_Review', 'TIMED_OUT'],
          ['Rejected', 'FAILED'],
        ]);
        expect(record?.history.find((h) => h.node === 'Manual_Review')?.ended_at).toBe(
          '2026-01-08T00:00:00.000Z',
        );
      });
    });

    describe('a worker that dies holding the lease', () => {
      it('blocks its instance only until the lease expires; then the next message proceeds', async () => {
        const sim = await simulation({ mocks: { 'import#enrichment': { delay: '1m' } } });
        startExample(sim, 'import_vn_memphis_v1');
        await sim.step();
        // A worker took the lease and died without releasing it.
        expect(await sim.instances.acquireLease('inst-1', 2 * 60 * 1000)).toBeDefined();
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('SUCCEEDED');
        expect(sim.metrics.total('LeaseConflicts')).toBeGreaterThanOrEqual(1);
        expect(sim.deadLetters).toEqual([]);
        // The reply came at 1 minute and had to wait for the dead holder's lease to run out at 2 minutes.
        const ended = record?.history.find((h) => h.node === 'Prepare_Import_Enrichment')?.ended_at ?? '';
        expect(Date.parse(ended) - Date.parse('2026-01-01T00:00:00.000Z')).toBeGreaterThanOrEqual(
          2 * 60 * 1000,
        );
      });
    });

    describe('pinned definitions', () => {
      it('an instance finishes on the definition it started with, even if the YAML changes mid-run', async () => {
        const sim = await simulation({ mocks: { 'import#enrichment': { delay: '5m' } } });
        startExample(sim, 'import_vn_memphis_v1');
        await sim.step();
        const changed = exampleText('import_vn_memphis_v1')
          .replace('on_success: End_Workflow', 'on_success: Rejected')
          .concat('  Rejected:\n    type: end\n    status: FAILED\n');
        sim.definitions.put('import_vn_memphis_v1.yaml', changed);
        await sim.drain();
        const first = await sim.instances.get('inst-1');
        expect(first?.status).toBe('SUCCEEDED');
        expect(first?.history.map((h) => h.node)).toContain('End_Workflow');

        sim.send({
          type: 'START_WORKFLOW',
          workflow_id: 'import_vn_memphis_v1',
          instance_id: 'inst-2',
          context: SHIPMENT_CONTEXT,
        });
        await sim.drain();
        const second = await sim.instances.get('inst-2');
        expect(second?.status).toBe('FAILED');
        expect(second?.definition.sha256).not.toBe(first?.definition.sha256);
      });
    });

    describe('START', () => {
      it('missing initial_context keys fail the instance cleanly, with the reason, sending nothing', async () => {
        const sim = await simulation();
        sim.definitions.put('import_vn_memphis_v1.yaml', exampleText('import_vn_memphis_v1'));
        sim.send({
          type: 'START_WORKFLOW',
          workflow_id: 'import_vn_memphis_v1',
          instance_id: 'inst-1',
          context: { shipmentId: 'S' },
        });
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('FAILED');
        expect(record?.error).toEqual({
          code: 'MISSING_CONTEXT',
          message:
            'the start context lacks required keys originCountry, destinationCountry (initial_context)',
        });
        expect(sim.dispatcher.sent).toEqual([]);
      });

      it('a bad definition fails the instance with every error and its line and column', async () => {
        const sim = await simulation();
        sim.definitions.put(
          'bad.yaml',
          'workflow_name: x\nworkflow_id: bad\nentry_point: A\nnodes:\n  A:\n    type: end\n    colour: red\n',
        );
        sim.send({
          type: 'START_WORKFLOW',
          workflow_id: 'bad',
          definition_key: 'bad.yaml',
          instance_id: 'inst-1',
          context: {},
        });
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect(record?.status).toBe('FAILED');
        expect(record?.error?.code).toBe('INVALID_DEFINITION');
        expect(record?.error?.message).toBe(
          "bad.yaml:7:5: error: nodes.A.colour: unknown field 'colour' in an end node; allowed: type, title, status, output_keys",
        );
      });

      it('an unknown workflow starts nothing and dead-letters the command', async () => {
        const sim = await simulation({ maxReceiveCount: 2 });
        sim.send({ type: 'START_WORKFLOW', workflow_id: 'nope', instance_id: 'inst-1', context: {} });
        await sim.drain();
        expect(await sim.instances.get('inst-1')).toBeUndefined();
        expect(sim.deadLetters.map((d) => d.reason)).toEqual([
          "unknown workflow: no definition 'nope.yaml' for workflow_id 'nope'",
        ]);
      });

      it('a START without instance_id, redelivered after a crash, still starts exactly one instance', async () => {
        const plan = new CrashPlan('dispatch', 'before', 1);
        const sim = await simulation({ decorate: plan.decorate });
        sim.definitions.put('import_vn_memphis_v1.yaml', exampleText('import_vn_memphis_v1'));
        sim.send({ type: 'START_WORKFLOW', workflow_id: 'import_vn_memphis_v1', context: SHIPMENT_CONTEXT });
        await sim.drain();
        expect(plan.crashed).toBe(true);
        const records = (
          sim.instances as unknown as { all(): { instance_id: string; status: string }[] }
        ).all();
        expect(records).toHaveLength(1);
        expect(records[0]?.status).toBe('SUCCEEDED');
        expect(records[0]?.instance_id).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      });

      it('a second START for the same instance_id changes nothing', async () => {
        const sim = await simulation({ mocks: false });
        startExample(sim, 'import_vn_memphis_v1');
        await sim.drain();
        const before = await sim.instances.get('inst-1');
        sim.send({
          type: 'START_WORKFLOW',
          workflow_id: 'import_vn_memphis_v1',
          instance_id: 'inst-1',
          context: { other: 1 },
        });
        await sim.drain();
        expect(await sim.instances.get('inst-1')).toEqual(before);
        expect(sim.dispatcher.sent).toHaveLength(1);
      });
    });
  });
}
