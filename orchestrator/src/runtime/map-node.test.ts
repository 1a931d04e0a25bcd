import { WorkflowSimulation } from './memory/workflow-simulation';
import { CrashPlan, type Boundary, type Phase } from './testing/fault-injection';
import type { CapabilityMocks } from '../capability-mocks/capability-mocks';

/** Issue 14 item 1: a map runs a child instance per item, a window at a time, and collects in order. */

const parent = (extra = '') => `
workflow_name: Lines
workflow_id: lines
entry_point: Classify
initial_context: [order]
nodes:
  Classify:
    type: map
    items: 'order.lines'
    workflow_id: classify_line
    input_keys: [order_id]
    item_key: line
    index_key: n
    max_concurrency: 2
    output_key: classified
    next: Done
    on_failure: Failed
${extra}
  Done:
    type: end
    output_keys: [classified]
  Failed:
    type: end
    status: FAILED
`;

const CHILD = `
workflow_name: Classify a line
workflow_id: classify_line
entry_point: Classify
initial_context: [line, n]
nodes:
  Classify:
    type: async_request
    capability_id: 'classify#line'
    input: '{"sku": line.sku, "n": n}'
    request_output_keys: [hs]
    on_response: Done
    timeout: 1d
  Done:
    type: end
    output_keys: [hs, n]
`;

const LINES = ['a', 'b', 'c', 'd', 'e'].map((sku) => ({ sku }));

const simulation = (
  mocks: CapabilityMocks | false,
  options: {
    extra?: string;
    lines?: readonly unknown[];
    decorate?: CrashPlan['decorate'];
    repliesTogether?: boolean;
  } = {},
) => {
  const sim = new WorkflowSimulation({
    mocks,
    repliesTogether: options.repliesTogether ?? false,
    ...(options.decorate ? { decorate: options.decorate } : {}),
  });
  sim.definitions.put('lines.yaml', parent(options.extra));
  sim.definitions.put('classify_line.yaml', CHILD);
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: 'lines',
    instance_id: 'm',
    context: { order: { lines: options.lines ?? LINES }, order_id: 'O-1' },
  });
  return sim;
};

/** Every classify request answers with an hs code made from its sku. */
const classifyAll = (
  sim: WorkflowSimulation,
  status: (sku: string) => 'SUCCESS' | 'FAILURE' = () => 'SUCCESS',
) => {
  sim.dispatcher.onRequest((request) => {
    const sku = String(request.input.sku);
    sim.send(
      status(sku) === 'SUCCESS'
        ? {
            type: 'ASYNC_RESP',
            instance_id: request.instance_id,
            request_id: request.request_id,
            status: 'SUCCESS',
            outputs: { hs: `HS-${sku}` },
          }
        : {
            type: 'ASYNC_RESP',
            instance_id: request.instance_id,
            request_id: request.request_id,
            status: 'FAILURE',
            error: { code: 'UNKNOWN_SKU', message: `no code for ${sku}` },
          },
      1000,
    );
  });
};

describe('map', () => {
  it('runs every item as a child, at most max_concurrency at once, and collects the outputs in item order', async () => {
    const sim = simulation(false);
    classifyAll(sim);
    let most = 0;
    for (;;) {
      const record = await sim.instances.load('m');
      most = Math.max(most, record?.waits.length ?? 0);
      if (!(await sim.step())) break;
    }
    const record = await sim.instances.get('m');
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.output).toEqual({
      classified: LINES.map((l, n) => ({ hs: `HS-${l.sku}`, n })),
    });
    expect(most).toBe(2);
    // The item and its index reach the child under their keys, with the shared input_keys.
    const child = await sim.instances.get('m.Classify.1.3');
    expect(child?.status).toBe('SUCCEEDED');
    expect(
      sim.engineMessages.find((m) => m.type === 'START_WORKFLOW' && m.instance_id === 'm.Classify.1.3'),
    ).toMatchObject({
      context: { line: { sku: 'd' }, n: 3, order_id: 'O-1' },
    });
    // One history entry per item, naming its child, then the end.
    expect(record?.history.filter((h) => h.node === 'Classify')).toHaveLength(5);
    expect(
      new Set(record?.history.map((h) => ('child_instance_id' in h ? h.child_instance_id : undefined))),
    ).toEqual(new Set([undefined, ...LINES.map((_, n) => `m.Classify.1.${n}`)]));
    expect(sim.deadLetters).toEqual([]);
  });

  it("items that end together reach the map together (one batch of the parent's replies): each is collected once", async () => {
    const sim = simulation(false, { repliesTogether: true });
    classifyAll(sim);
    await sim.drain();
    const record = await sim.instances.get('m');
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.output).toEqual({
      classified: LINES.map((l, n) => ({ hs: `HS-${l.sku}`, n })),
    });
    // The children's ends share the map's one interrupt: the first is applied with the batch, the
    // others after it, one at a time, under the same lease.
    expect(sim.together.sizes.some((size) => size > 1)).toBe(true);
    expect(sim.together.failed).toBe(0);
    expect(record?.history.filter((h) => h.node === 'Classify')).toHaveLength(5);
    expect(sim.deadLetters).toEqual([]);
  });

  it('an empty list gives an empty output at once; a single value is a list of one', async () => {
    const empty = simulation(false, { lines: [] });
    await empty.drain();
    expect((await empty.instances.get('m'))?.output).toEqual({ classified: [] });
    const one = simulation(false, { lines: { sku: 'z' } as unknown as unknown[] });
    classifyAll(one);
    await one.drain();
    expect((await one.instances.get('m'))?.output).toEqual({ classified: [{ hs: 'HS-z', n: 0 }] });
  });

  it('fails fast by default: the first failed item fails the map and cancels the running items', async () => {
    const sim = simulation(false);
    classifyAll(sim, (sku) => (sku === 'b' ? 'FAILURE' : 'SUCCESS'));
    await sim.drain();
    const record = await sim.instances.get('m');
    expect(record?.status).toBe('FAILED');
    expect(record?.history.at(-1)?.node).toBe('Failed');
    expect(record?.error?.code).toBe('MAP_ITEM_FAILED');
    expect(record?.error?.message).toContain('item 1 (m.Classify.1.1): CHILD_FAILED');
    // Items after the failure were never started.
    expect(await sim.instances.get('m.Classify.1.4')).toBeUndefined();
    expect(sim.deadLetters).toEqual([]);
  });

  it('tolerates failures up to its bound; failed items collect as null', async () => {
    const sim = simulation(false, { extra: '' });
    sim.definitions.put(
      'lines.yaml',
      parent().replace('max_concurrency: 2', 'max_concurrency: 2\n    tolerated_failures: 2'),
    );
    classifyAll(sim, (sku) => (sku === 'b' || sku === 'd' ? 'FAILURE' : 'SUCCESS'));
    await sim.drain();
    const record = await sim.instances.get('m');
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.output).toEqual({
      classified: [{ hs: 'HS-a', n: 0 }, null, { hs: 'HS-c', n: 2 }, null, { hs: 'HS-e', n: 4 }],
    });
  });

  it('a percentage bound counts against all items', async () => {
    const sim = simulation(false);
    sim.definitions.put(
      'lines.yaml',
      parent().replace('max_concurrency: 2', 'max_concurrency: 2\n    tolerated_failure_percent: 20'),
    );
    classifyAll(sim, (sku) => (sku === 'b' || sku === 'd' ? 'FAILURE' : 'SUCCESS'));
    await sim.drain();
    // 20% of 5 tolerates one failure: the second fails the map.
    expect((await sim.instances.get('m'))?.error?.message).toContain('2 of 5 items failed');
  });

  it('cancelling the parent cancels every running child', async () => {
    const sim = simulation(false);
    while ((await sim.instances.load('m.Classify.1.1'))?.status !== 'WAITING') await sim.step();
    sim.send({ type: 'CANCEL_WORKFLOW', instance_id: 'm', reason: 'order withdrawn' });
    await sim.drain();
    expect((await sim.instances.get('m'))?.status).toBe('CANCELLED');
    expect((await sim.instances.get('m.Classify.1.0'))?.status).toBe('CANCELLED');
    expect((await sim.instances.get('m.Classify.1.1'))?.status).toBe('CANCELLED');
    expect(await sim.instances.get('m.Classify.1.2')).toBeUndefined();
    expect(sim.deadLetters).toEqual([]);
  });

  it('items that are no list of at most 10,000 fail the step with the reason', async () => {
    const sim = simulation(false, { lines: Array.from({ length: 10_001 }, (_, i) => i) });
    await sim.drain();
    const record = await sim.instances.get('m');
    expect(record?.error?.code).toBe('MAP_TOO_MANY_ITEMS');
    expect(record?.history.map((h) => h.node)).toEqual(['Classify', 'Failed']);
  });

  it('runs 200 items with its state the size of the window', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({ sku: `s${i}` }));
    const sim = simulation(false, { lines });
    sim.definitions.put('lines.yaml', parent().replace('max_concurrency: 2', 'max_concurrency: 20'));
    classifyAll(sim);
    let largestWaits = 0;
    while (await sim.step())
      largestWaits = Math.max(largestWaits, (await sim.instances.load('m'))?.waits.length ?? 0);
    const record = await sim.instances.get('m');
    expect(record?.status).toBe('SUCCEEDED');
    const out = record?.output?.classified as { hs: string; n: number }[];
    expect(out).toHaveLength(200);
    expect(out.every((o, n) => o.n === n && o.hs === `HS-s${n}`)).toBe(true);
    expect(largestWaits).toBe(20);
  }, 120_000);

  describe('a process that dies at any boundary still ends the map and every item exactly once', () => {
    const mocks: CapabilityMocks = { 'classify#line': { outputs: { hs: 'HS' } } };
    const lines = LINES.slice(0, 3);
    const counter = new CrashPlan('message', 'before', Number.POSITIVE_INFINITY);
    beforeAll(async () => {
      await simulation(mocks, { lines, decorate: counter.decorate }).drain();
    });
    const boundaries: Boundary[] = ['message', 'save', 'dispatch', 'checkpoint'];
    it.each(boundaries.flatMap((b) => (['before', 'after'] as Phase[]).map((p) => [b, p] as const)))(
      'at every pass through %s, %s it',
      async (boundary, phase) => {
        const total = counter.passes(boundary);
        expect(total).toBeGreaterThan(0);
        for (let n = 1; n <= total; n++) {
          const plan = new CrashPlan(boundary, phase, n);
          const sim = simulation(mocks, { lines, decorate: plan.decorate });
          await sim.drain();
          expect([n, plan.crashed, sim.deaths]).toEqual([n, true, 1]);
          const record = await sim.instances.get('m');
          expect([n, record?.status]).toEqual([n, 'SUCCEEDED']);
          expect(record?.output).toEqual({ classified: [0, 1, 2].map((i) => ({ hs: 'HS', n: i })) });
          expect(record?.history.filter((h) => h.node === 'Classify')).toHaveLength(3);
          expect(sim.deadLetters).toEqual([]);
        }
      },
      120_000,
    );
  });
});

describe('a map in a parallel nested in another, beside a branch of the outer one', () => {
  const NESTED = `
workflow_name: Quote
workflow_id: quote
entry_point: Fan
initial_context: [items]
nodes:
  Fan: { type: parallel, branches: [Credit, Inner], join: Done }
  Credit:
    type: async_request
    capability_id: 'insurance#credit-check'
    request_output_keys: [credit_score]
    on_response: Done
    timeout: 1h
  Inner: { type: parallel, branches: [Medical, Property], join: Combine }
  Medical:
    type: async_request
    capability_id: 'insurance#medical'
    request_output_keys: [medical_ok]
    on_response: Combine
    timeout: 1h
  Property: { type: map, items: items, workflow_id: item, output_key: scores, next: Combine }
  Combine: { type: set, values: { combined: 'true' }, next: Done }
  Done: { type: end, output_keys: [scores, credit_score, medical_ok, combined] }
`;
  const ITEM = `
workflow_name: Item
workflow_id: item
entry_point: Score
initial_context: [item]
nodes:
  Score:
    type: async_request
    capability_id: 'insurance#item-score'
    input_keys: [item]
    request_output_keys: [score]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [score] }
`;
  // Which reply comes first decides which branch runners a resume parks: the outer sibling's (Credit),
  // the inner sibling's (Medical), or an item's end.
  it.each([
    ['the outer sibling answers first', { credit: '1s', medical: '2m', items: '1m' }],
    ['the inner sibling answers first', { credit: '2m', medical: '1s', items: '1m' }],
    ['the items end first', { credit: '1m', medical: '2m', items: '1s' }],
  ])('%s: every item ends once, none is cancelled, the instance succeeds', async (_, delays) => {
    const sim = new WorkflowSimulation({
      mocks: {
        'insurance#credit-check': { delay: delays.credit, outputs: { credit_score: 700 } },
        'insurance#medical': { delay: delays.medical, outputs: { medical_ok: true } },
        'insurance#item-score': { delay: delays.items, outputs: { score: 5 } },
      },
    });
    sim.definitions.put('quote.yaml', NESTED);
    sim.definitions.put('item.yaml', ITEM);
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'quote',
      instance_id: 'q',
      context: { items: ['a', 'b'] },
    });
    await sim.drain();
    const record = await sim.instances.get('q');
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.output).toEqual({
      scores: [{ score: 5 }, { score: 5 }],
      credit_score: 700,
      medical_ok: true,
      combined: true,
    });
    expect(record?.history.filter((h) => h.node === 'Property').map((h) => h.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(sim.engineMessages.filter((m) => m.type === 'CANCEL_WORKFLOW')).toEqual([]);
    for (const child of ['q.Property.1.0', 'q.Property.1.1']) {
      expect((await sim.instances.get(child))?.status).toBe('SUCCEEDED');
    }
    expect(sim.deadLetters).toEqual([]);
  });
});
