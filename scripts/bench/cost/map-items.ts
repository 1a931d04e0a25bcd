import { performance } from 'node:perf_hooks';
import { WorkflowSimulation } from '../../../orchestrator/src/runtime/memory/workflow-simulation';
import type { BenchWorkflow } from './bench-workflows';
import { usageDelta, type MeteredEngine } from './metered-engine';
import { kb, met, num, ratio, type Section } from './report-table';

/*
 * Figure 9 (issue 14): a map's cost per item as the list grows. A map of N items, 20 at a time, each item
 * a child instance that ends at once with its index as output. On the embedded stack (the Lambda's
 * adapters, metered): DynamoDB requests, WCU, RCU and bytes read per item, over the first and the last
 * tenth of the items to end, at 100 and 1,000 items. In memory (the same runtime on in-memory ports): a
 * 10,000-item map run to its end, CPU time per item over the first and the last tenth, and the parent's
 * state at its largest (open waits in its record).
 */

export const MAP_SIZES = [100, 1000] as const;
const LARGE_MAP = 10_000;
const WINDOW = 20;
const FLAT_TARGET = 1.2;

const ITEM: BenchWorkflow = {
  workflowId: 'bench_map_item_v1',
  text: `workflow_name: 'Bench: one map item'
workflow_id: bench_map_item_v1
entry_point: Done
nodes:
  Done:
    type: end
    output_keys: [index]
`,
};

function mapOf(items: number): BenchWorkflow {
  const workflowId = `bench_map_${items}_v1`;
  return {
    workflowId,
    text: `workflow_name: 'Bench: a map of ${items} items'
workflow_id: ${workflowId}
entry_point: Each
initial_context: [items]
nodes:
  Each:
    type: map
    items: 'items'
    workflow_id: bench_map_item_v1
    max_concurrency: ${WINDOW}
    output_key: out
    next: Done
  Done:
    type: end
    output_keys: [out]
`,
  };
}

interface PerItem {
  readonly requests: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly bytesRead: number;
}

export interface MapSizeResult {
  readonly items: number;
  readonly status: string;
  /** Every DynamoDB request of the run (children included), per item. */
  readonly whole: PerItem;
  /** The parent's handling of an item's end (the resume that starts the next item), first tenth, last tenth. */
  readonly firstTenth: PerItem;
  readonly lastTenth: PerItem;
  readonly seconds: number;
}

export interface LargeMapResult {
  readonly items: number;
  readonly status: string;
  readonly msPerItemFirstTenth: number;
  readonly msPerItemLastTenth: number;
  readonly largestOpenWaits: number;
  readonly outputLength: number;
  readonly seconds: number;
}

export interface MapItemsResult {
  readonly sizes: readonly MapSizeResult[];
  readonly large?: LargeMapResult;
}

export async function measureMapItems(engine: MeteredEngine, budgetMs: number): Promise<MapItemsResult> {
  await engine.upload(ITEM);
  const sizes: MapSizeResult[] = [];
  for (const items of MAP_SIZES) sizes.push(await measureSize(engine, items));
  const large = budgetMs > 0 ? await measureLargeMap(budgetMs) : undefined;
  return { sizes, ...(large ? { large } : {}) };
}

async function measureSize(engine: MeteredEngine, items: number): Promise<MapSizeResult> {
  const began = performance.now();
  const workflow = mapOf(items);
  await engine.upload(workflow);
  const instanceId = `bench-map-${items}`;
  const start = engine.usage();
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: instanceId,
    context: { items: Array.from({ length: items }, (_, i) => i) },
  });
  // An item's end reaches the parent as an ASYNC_RESP on the reply queue: that delivery is the parent's
  // cost of the item (its children's own cost is in `whole`).
  const itemEnds: PerItem[] = [];
  for (;;) {
    const before = engine.usage().dynamodb;
    const delivered = await engine.deliverNext();
    if (!delivered) break;
    if (delivered.type === 'ASYNC_RESP' && !delivered.failed) {
      const d = usageDelta(engine.usage(), { ...engine.usage(), dynamodb: before }).dynamodb;
      itemEnds.push({ requests: d.requests, wcu: d.wcu, rcu: d.rcu, bytesRead: d.bytesRead });
    }
  }
  const whole = usageDelta(engine.usage(), start).dynamodb;
  const record = await engine.record(instanceId);
  const tenth = Math.max(1, Math.floor(items / 10));
  // The last item's end also collects every output: left out of the tenths (it is the map's one O(N) step).
  const ends = itemEnds.slice(0, -1);
  return {
    items,
    status: record?.status ?? 'missing',
    whole: {
      requests: whole.requests / items,
      wcu: whole.wcu / items,
      rcu: whole.rcu / items,
      bytesRead: whole.bytesRead / items,
    },
    firstTenth: mean(ends.slice(0, tenth)),
    lastTenth: mean(ends.slice(-tenth)),
    seconds: (performance.now() - began) / 1000,
  };
}

/** A 10,000-item map on in-memory ports, to its end (or until the budget runs out: then undefined). */
async function measureLargeMap(budgetMs: number): Promise<LargeMapResult | undefined> {
  const began = performance.now();
  // An item's end reaches the parent as its reply: the time between two is what one item costs.
  const itemEnds: number[] = [];
  const sim = new WorkflowSimulation({
    mocks: false,
    onOutcome: (delivery) => {
      if (delivery.message.type === 'ASYNC_RESP' && delivery.message.instance_id === 'large') {
        itemEnds.push(performance.now());
      }
    },
  });
  const workflow = mapOf(LARGE_MAP);
  sim.definitions.put(`${workflow.workflowId}.yaml`, workflow.text);
  sim.definitions.put(`${ITEM.workflowId}.yaml`, ITEM.text);
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: 'large',
    context: { items: Array.from({ length: LARGE_MAP }, (_, i) => i) },
  });
  let largestOpenWaits = 0;
  for (let step = 0; await sim.step(); step++) {
    if (performance.now() - began > budgetMs) return undefined;
    if (step % 100 === 0) {
      const record = await sim.instances.load('large');
      largestOpenWaits = Math.max(largestOpenWaits, record?.waits.length ?? 0);
    }
  }
  const endTimes = itemEnds.slice(1).map((t, i) => t - (itemEnds[i] ?? t));
  const record = await sim.instances.get('large');
  const tenth = Math.floor(endTimes.length / 10);
  const avg = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    items: LARGE_MAP,
    status: record?.status ?? 'missing',
    msPerItemFirstTenth: avg(endTimes.slice(0, tenth)),
    // The last item's end also collects every output: left out.
    msPerItemLastTenth: avg(endTimes.slice(-tenth - 1, -1)),
    largestOpenWaits,
    outputLength: Array.isArray(record?.output?.out) ? record.output.out.length : 0,
    seconds: (performance.now() - began) / 1000,
  };
}

function mean(values: readonly PerItem[]): PerItem {
  const n = Math.max(1, values.length);
  const sum = (f: (v: PerItem) => number) => values.reduce((a, v) => a + f(v), 0) / n;
  return {
    requests: sum((v) => v.requests),
    wcu: sum((v) => v.wcu),
    rcu: sum((v) => v.rcu),
    bytesRead: sum((v) => v.bytesRead),
  };
}

export function mapItemsSection(result: MapItemsResult): Section {
  const rows: string[][] = result.sizes.map((s) => [
    String(s.items),
    s.status,
    num(s.whole.requests, 1),
    num(s.whole.wcu, 1),
    num(s.whole.rcu, 1),
    `${num(s.firstTenth.requests, 1)} / ${num(s.lastTenth.requests, 1)}`,
    `${num(s.firstTenth.wcu, 1)} / ${num(s.lastTenth.wcu, 1)}`,
    `${num(s.firstTenth.rcu, 1)} / ${num(s.lastTenth.rcu, 1)}`,
    `${kb(s.firstTenth.bytesRead)} / ${kb(s.lastTenth.bytesRead)}`,
    s.seconds.toFixed(1),
  ]);
  const small = result.sizes[0];
  const big = result.sizes.at(-1);
  const notes: string[] = [];
  if (small && big && small !== big) {
    const worst = Math.max(
      big.whole.requests / small.whole.requests,
      big.whole.wcu / small.whole.wcu,
      big.whole.rcu / small.whole.rcu,
    );
    notes.push(
      `per item, ${big.items} vs ${small.items} items: requests ${ratio(big.whole.requests, small.whole.requests)}, ` +
        `WCU ${ratio(big.whole.wcu, small.whole.wcu)}, RCU ${ratio(big.whole.rcu, small.whole.rcu)} ` +
        `(target ≤ ${FLAT_TARGET}x: ${met(worst <= FLAT_TARGET)}); last tenth vs first tenth of the ${big.items}: ` +
        `RCU ${ratio(big.lastTenth.rcu, big.firstTenth.rcu)}, bytes read ${ratio(big.lastTenth.bytesRead, big.firstTenth.bytesRead)}`,
    );
  }
  const large = result.large;
  notes.push(
    large
      ? `in memory, ${num(large.items)} items: ${large.status}, ${num(large.outputLength)} outputs in order, ` +
          `${large.msPerItemFirstTenth.toFixed(1)} ms per item in the first tenth, ${large.msPerItemLastTenth.toFixed(1)} in the last ` +
          `(${ratio(large.msPerItemLastTenth, large.msPerItemFirstTenth)}), at most ${large.largestOpenWaits} open waits in the record, ${large.seconds.toFixed(0)} s`
      : `in memory, ${num(LARGE_MAP)} items: not run (pnpm bench --only 9 runs it), or not to its end within the budget`,
  );
  notes.push(
    `each item is a child instance (START, its end, the parent's resume); ${WINDOW} at a time; the last item's end also reads every child's output once (left out of the tenths)`,
  );
  return {
    title: '9. map: cost per item as the list grows (issue 14)',
    header: [
      'items',
      'status',
      'req/item',
      'WCU/item',
      'RCU/item',
      'parent req first/last tenth',
      'WCU',
      'RCU',
      'KB read',
      's',
    ],
    rows,
    notes,
  };
}
