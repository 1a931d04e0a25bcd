import { validateDefinition } from '../definition/validate-definition';
import type { InstanceRecord } from '../runtime/instance-record';
import type { CapabilityMocks } from '../runtime/memory/capability-mocks';
import { FakeClock } from '../runtime/memory/fake-clock';
import { WorkflowSimulation } from '../runtime/memory/workflow-simulation';

/**
 * The history in the status record: one entry per node execution, with started_at / ended_at on the
 * engine's clock. An async node starts when its wait begins and ends when its reply (or timeout) applies.
 */

const INSTANCE = 'inst-1';
const T0 = new FakeClock().now().getTime();
const MINUTE = 60_000;
const at = (ms: number): string => new Date(T0 + ms).toISOString();

async function run(
  yaml: string,
  context: Record<string, unknown>,
  mocks: CapabilityMocks,
): Promise<{ sim: WorkflowSimulation; record: InstanceRecord }> {
  const { diagnostics } = validateDefinition('test.yaml', yaml);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const workflowId = /^workflow_id: (\S+)$/m.exec(yaml)?.[1] ?? 'missing';
  const sim = new WorkflowSimulation({ mocks });
  sim.definitions.put(`${workflowId}.yaml`, yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: INSTANCE, context });
  await sim.drain();
  const record = await sim.instances.get(INSTANCE);
  if (!record) throw new Error(`no record for ${INSTANCE}`);
  return { sim, record };
}

const FLOW = `
workflow_name: flow
workflow_id: flow_v1
entry_point: Enrich
nodes:
  Enrich:
    type: async_request
    capability_id: 'import#enrichment'
    request_output_keys: [enrichment_uri]
    on_response: Process
    timeout: 1h
  Process:
    type: sync_call
    capability_id: core-process-response
    output_keys: [enrichment_uri]
    on_success: Route
  Route:
    type: choice
    choices:
      - when: 'express = true'
        next: Done
    default: Classify
  Classify:
    type: async_request
    capability_id: 'classify#goods'
    request_output_keys: [hs_code]
    on_response: Done
    timeout: 1h
  Done:
    type: end
`;

describe('history', () => {
  it('has one entry per node execution, timed on the engine clock', async () => {
    const { record } = await run(
      FLOW,
      { express: false },
      { 'import#enrichment': { delay: '5m' }, 'classify#goods': { delay: '7m' } },
    );
    expect(record.history).toEqual([
      { node: 'Enrich', status: 'SUCCEEDED', started_at: at(0), ended_at: at(5 * MINUTE) },
      { node: 'Process', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(5 * MINUTE) },
      { node: 'Route', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(5 * MINUTE) },
      { node: 'Classify', status: 'SUCCEEDED', started_at: at(5 * MINUTE), ended_at: at(12 * MINUTE) },
      { node: 'Done', status: 'SUCCEEDED', started_at: at(12 * MINUTE), ended_at: at(12 * MINUTE) },
    ]);
  });

  it('lists only the nodes that ran', async () => {
    const { record } = await run(FLOW, { express: true }, {});
    expect(record.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route', 'Done']);
  });

  it('an async entry starts when its wait began, not when the reply arrived', async () => {
    const { sim, record } = await run(FLOW, { express: false }, { 'import#enrichment': { reply: false } });
    expect(record.status).toBe('FAILED');
    expect(record.history).toEqual([
      { node: 'Enrich', status: 'TIMED_OUT', started_at: at(0), ended_at: at(60 * MINUTE) },
    ]);
    expect(sim.dispatcher.sent[0]?.sent_at).toBe(record.history[0]?.started_at);
  });

  it('shows the entries so far while the instance waits, and nothing for the node still waiting', async () => {
    const sim = new WorkflowSimulation({ mocks: { 'classify#goods': { reply: false } } });
    sim.definitions.put('flow_v1.yaml', FLOW);
    sim.send({ type: 'START_WORKFLOW', workflow_id: 'flow_v1', instance_id: INSTANCE, context: {} });
    await sim.step();
    await sim.step();
    const record = await sim.instances.get(INSTANCE);
    expect(record?.status).toBe('WAITING');
    expect(record?.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route']);
    expect(record?.waits.map((w) => w.node)).toEqual(['Classify']);
  });

  it('duplicate and redelivered replies add no entries', async () => {
    const { sim, record } = await run(
      FLOW,
      { express: true },
      { 'import#enrichment': { duplicates: 3, delay: '1m' } },
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.history.map((h) => h.node)).toEqual(['Enrich', 'Process', 'Route', 'Done']);
    expect(sim.metrics.total('DuplicateReplies')).toBe(3);
  });
});
