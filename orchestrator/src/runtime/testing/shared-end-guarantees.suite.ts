import type { BaseCheckpointSaver } from '@langchain/langgraph';
import {
  INSTANCE,
  recordOf,
  requestId,
  requestsOf,
  runsOf,
  steps,
} from '../../graph/testing/run-inline-workflow';
import { NESTED_SHARED_END, ORDER, SHARED_ENDS } from '../../graph/testing/shared-end-workflows';
import { WorkflowSimulation, type SimulationOptions } from '../memory/workflow-simulation';
import type { RecordingLogger } from '../memory/recording-ports';
import { CrashPlan, type Boundary, type Phase } from './fault-injection';

/**
 * Shared end nodes (issue 14 item 6) under the fault model: an instance FAILED at a shared end is
 * redriven from the step that failed (or the redrive is refused with the reason), and a worker that dies
 * anywhere while a branch ends the instance leaves it to the redelivery, which ends it once. Run on any
 * checkpointer (the terminations are a channel of the checkpoint).
 */
export function describeSharedEndGuarantees(
  label: string,
  newCheckpointer: () => BaseCheckpointSaver | Promise<BaseCheckpointSaver>,
  defaults: SimulationOptions = {},
): void {
  const simulation = async (options: SimulationOptions) =>
    new WorkflowSimulation({ checkpointer: await newCheckpointer(), ...defaults, ...options });

  describe(`shared end nodes (${label})`, () => {
    describe('redrive of an instance FAILED at a shared end', () => {
      it('runs the failed step again, resumes the stopped sibling where it stopped, and can complete', async () => {
        const sim = await simulation({
          mocks: {
            'b#one': [{ delay: '1h' }, { delay: '1m', outputs: { b1: 'B1' } }],
            'b#two': [
              { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
              { delay: '2m', outputs: { b2: 'little' } },
            ],
            'join#merge': { outputs: { merged: 'M' } },
          },
        });
        sim.definitions.put('shared_ends_v1.yaml', SHARED_ENDS);
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
        const sim = await simulation({
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
        sim.definitions.put('nested_shared_v1.yaml', NESTED_SHARED_END);
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
          expect([node, runsOf(record, node).map((h) => h.status)]).toEqual([
            node,
            ['CANCELLED', 'SUCCEEDED'],
          ]);
        }
        expect(runsOf(record, 'B').map((h) => h.status)).toEqual(['FAILED', 'REDRIVEN', 'SUCCEEDED']);
        for (const node of ['Split', 'Inner', 'D', 'Join', 'Done', 'Failed']) {
          expect([node, runsOf(record, node).length]).toEqual([node, 1]);
        }
      });

      it('is refused, with the reason, when the FAILED end names no step that failed', async () => {
        // Enough, FAILED here, is reached by a choice: no step failed on the way.
        const yaml = SHARED_ENDS.replace(
          '  Enough:\n    type: end\n',
          '  Enough:\n    type: end\n    status: FAILED\n',
        );
        const sim = await simulation({ mocks: { 'b#two': { outputs: { b2: 'enough' } } } });
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
        const sim = await simulation({ mocks: MOCKS, decorate: plan.decorate });
        sim.definitions.put('shared_ends_v1.yaml', SHARED_ENDS);
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
}
