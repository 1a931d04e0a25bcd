import type { RecordingLogger } from './memory/recording-ports';
import { WorkflowSimulation } from './memory/workflow-simulation';
import { exampleText, SHIPMENT_CONTEXT, startExample } from './testing/example-workflows';

/** Issue 11: a START whose instance_id exists with another workflow or context is a conflict, not ignored. */
describe('START_WORKFLOW for an instance id that exists', () => {
  const started = async () => {
    const sim = new WorkflowSimulation();
    startExample(sim, 'import_vn_memphis_v1');
    await sim.drain();
    sim.definitions.put('fanout_a_b_c_v1.yaml', exampleText('fanout_a_b_c_v1'));
    const record = await sim.instances.load('inst-1');
    expect(record?.status).toBe('SUCCEEDED');
    return { sim, record };
  };
  const conflictLines = (sim: WorkflowSimulation) =>
    (sim.logger as RecordingLogger).lines.filter((l) => l.message.startsWith('START_WORKFLOW conflicts'));

  it('the same START again (its context keys in another order) is acknowledged and ignored, no conflict', async () => {
    const { sim, record } = await started();
    const reordered = Object.fromEntries(Object.entries(SHIPMENT_CONTEXT).reverse());
    const outcome = await sim.runtime.handle({
      type: 'START_WORKFLOW',
      workflow_id: 'import_vn_memphis_v1',
      instance_id: 'inst-1',
      context: reordered,
    });
    expect(outcome).toEqual({ kind: 'ack', note: 'instance exists' });
    expect(sim.metrics.total('StartConflicts')).toBe(0);
    expect(conflictLines(sim)).toEqual([]);
    expect(await sim.instances.load('inst-1')).toEqual(record);
  });

  it('another context is a conflict: logged with what differs, counted, the instance untouched', async () => {
    const { sim, record } = await started();
    const outcome = await sim.runtime.handle({
      type: 'START_WORKFLOW',
      workflow_id: 'import_vn_memphis_v1',
      instance_id: 'inst-1',
      context: { ...SHIPMENT_CONTEXT, shipmentId: 'SHP-2' },
    });
    expect(outcome).toEqual({ kind: 'ack', note: 'start conflicts with the existing instance' });
    expect(sim.metrics.points.filter((p) => p.name === 'StartConflicts')).toEqual([
      { name: 'StartConflicts', value: 1, dimensions: { workflow_id: 'import_vn_memphis_v1' } },
    ]);
    const lines = conflictLines(sim);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      [
        'warn',
        'START_WORKFLOW conflicts with the existing instance (different context): acknowledged, not applied',
      ],
    ]);
    expect(lines[0]?.fields).toMatchObject({
      instance_id: 'inst-1',
      conflicts: ['context'],
      status: 'SUCCEEDED',
    });
    expect(await sim.instances.load('inst-1')).toEqual(record);
  });

  it("a child's START for an instance its parent did not start is a conflict, and the parent is told at once", async () => {
    const { sim, record } = await started();
    const parent = { instance_id: 'ord-9', request_id: 'ord-9:Import:1:tag', node: 'Import', depth: 1 };
    const outcome = await sim.runtime.handle({
      type: 'START_WORKFLOW',
      workflow_id: 'import_vn_memphis_v1',
      instance_id: 'inst-1',
      context: SHIPMENT_CONTEXT,
      parent,
    });
    expect(outcome).toEqual({ kind: 'ack', note: 'start conflicts with the existing instance' });
    expect(conflictLines(sim)[0]?.fields).toMatchObject({ conflicts: ['parent'] });
    expect(sim.engineMessages).toEqual([
      {
        type: 'ASYNC_RESP',
        instance_id: 'ord-9',
        request_id: parent.request_id,
        status: 'FAILURE',
        error: {
          code: 'CHILD_FAILED',
          message:
            'child inst-1 could not start: that id names an instance already (import_vn_memphis_v1, SUCCEEDED), started not by a sub_workflow',
        },
      },
    ]);
    expect(await sim.instances.load('inst-1')).toEqual(record);
  });

  it('another workflow is a conflict, and nothing of that workflow runs', async () => {
    const { sim } = await started();
    const sent = sim.dispatcher.sent.length;
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'fanout_a_b_c_v1',
      instance_id: 'inst-1',
      context: SHIPMENT_CONTEXT,
    });
    await sim.drain();
    expect(conflictLines(sim).map((l) => l.fields.conflicts)).toEqual([['workflow_id']]);
    expect(sim.metrics.total('StartConflicts')).toBe(1);
    expect(sim.dispatcher.sent.length).toBe(sent);
    expect((await sim.instances.get('inst-1'))?.workflow_id).toBe('import_vn_memphis_v1');
    expect(sim.deadLetters).toEqual([]);
  });

  it('another definition key of the same workflow is a conflict', async () => {
    const { sim } = await started();
    sim.definitions.put('import_v2.yaml', exampleText('import_vn_memphis_v1'));
    await sim.runtime.handle({
      type: 'START_WORKFLOW',
      workflow_id: 'import_vn_memphis_v1',
      definition_key: 'import_v2.yaml',
      instance_id: 'inst-1',
      context: SHIPMENT_CONTEXT,
    });
    expect(conflictLines(sim).map((l) => l.fields.conflicts)).toEqual([['definition_key']]);
  });
});
