import { WorkflowSimulation } from './memory/workflow-simulation';
import { CrashPlan, type Boundary, type Phase } from './testing/fault-injection';

/**
 * The language v2 steps under the crash-proof fault model: a process that stops at any pass through any
 * boundary (no `finally`, its lease kept) is replaced, and the instance still ends exactly as without the
 * crash: a set computed once, a mapped request sent and applied once, a wait node's timer honoured.
 */
const DEFINITION = `
workflow_name: V2 steps
workflow_id: v2_steps
entry_point: Price
initial_context: [order]
nodes:
  Price:
    type: set
    values:
      total: '$sum(order.lines.(qty * price))'
    next: Screen
  Screen:
    type: async_request
    capability_id: 'risk#screening'
    input: '{"orderId": order.id, "amount": total}'
    request_output_keys: [score]
    result:
      risk: 'score * 100'
    on_response: Settle
    timeout: 1h
  Settle:
    type: wait
    duration: 10m
    next: Done
  Done:
    type: end
    output_keys: [total, risk]
`;

const run = async (decorate?: CrashPlan['decorate']) => {
  const sim = new WorkflowSimulation({
    mocks: { 'risk#screening': { outputs: { score: 0.5 } } },
    ...(decorate ? { decorate } : {}),
  });
  sim.definitions.put('v2_steps.yaml', DEFINITION);
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: 'v2_steps',
    instance_id: 'v2',
    context: { order: { id: 'O-1', lines: [{ qty: 2, price: 5 }] } },
  });
  await sim.drain();
  return sim;
};

describe('set, mapped request and wait: a process that dies at any boundary', () => {
  const counter = new CrashPlan('save', 'before', Number.POSITIVE_INFINITY);
  beforeAll(async () => {
    await run(counter.decorate);
  });
  const points = (['checkpoint', 'save', 'dispatch'] as Boundary[]).flatMap((boundary) =>
    (['before', 'after'] as Phase[]).map((phase) => [boundary, phase] as const),
  );

  it.each(points)('at every pass through %s, %s it, ends the same, once', async (boundary, phase) => {
    const total = counter.passes(boundary);
    expect(total).toBeGreaterThan(0);
    for (let n = 1; n <= total; n++) {
      const plan = new CrashPlan(boundary, phase, n);
      const sim = await run(plan.decorate);
      expect([n, plan.crashed, sim.deaths]).toEqual([n, true, 1]);
      const record = await sim.instances.get('v2');
      expect([n, record?.status, record?.output]).toEqual([n, 'SUCCEEDED', { total: 10, risk: 50 }]);
      expect(record?.history.map((h) => h.node)).toEqual(['Price', 'Screen', 'Settle', 'Done']);
      const settle = record?.history.find((h) => h.node === 'Settle');
      expect(
        Date.parse(settle?.ended_at ?? '') - Date.parse(settle?.started_at ?? ''),
      ).toBeGreaterThanOrEqual(10 * 60_000);
      // The request went out with the mapped input; a copy sent again after a crash has the same id.
      const sent = sim.dispatcher.sent;
      expect(new Set(sent.map((r) => r.request_id)).size).toBe(1);
      expect(sent[0]?.input).toEqual({ orderId: 'O-1', amount: 10 });
      expect(sim.deadLetters).toEqual([]);
    }
  });
});
