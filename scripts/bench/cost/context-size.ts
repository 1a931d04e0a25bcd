import { performance } from 'node:perf_hooks';
import { counterLoop } from './bench-workflows';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { usageDelta, type MeteredEngine } from './metered-engine';
import { kb, met, num, ratio, type Section } from './report-table';

/*
 * Figure 3: what a step writes as the context grows while the step changes one small key. The counter loop
 * again, its START context carrying a document of 1 KB, 100 KB or 1 MB besides `counter`; each reply
 * changes `counter` only. Per step = mean over steps 2..STEPS (step 1 may still write what START left).
 * The document is pseudo-random text, so compression cannot hide its size.
 */

export const CONTEXT_SIZES = [
  { label: '1 KB', bytes: 1024 },
  { label: '100 KB', bytes: 100 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
] as const;
const STEPS = 6;
const TARGET = 1.2;

export interface ContextSizeRow {
  readonly label: string;
  readonly contextBytes: number;
  readonly requests: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  readonly steps: number;
}

export interface ContextSizeResult {
  readonly rows: readonly ContextSizeRow[];
  readonly seconds: number;
}

export async function measureContextSizes(engine: MeteredEngine): Promise<ContextSizeResult> {
  const began = performance.now();
  const workflow = counterLoop(1_000_000);
  await engine.upload(workflow);
  const rows: ContextSizeRow[] = [];
  for (const size of CONTEXT_SIZES) {
    const instanceId = `bench-context-${size.label.replace(/\W+/g, '')}`;
    const context = { counter: 0, document: documentOfSize(size.bytes - 20, 7) };
    engine.send({
      type: 'START_WORKFLOW',
      workflow_id: workflow.workflowId,
      instance_id: instanceId,
      context,
    });
    await engine.deliverNext();
    const measured: ReturnType<typeof usageDelta>['dynamodb'][] = [];
    for (let step = 1; step <= STEPS; step += 1) {
      const request = engine.takeRequests()[0];
      if (!request) throw new Error(`context ${size.label}, step ${step}: no request went out`);
      engine.send(
        {
          type: 'ASYNC_RESP',
          instance_id: instanceId,
          request_id: request.request_id,
          status: 'SUCCESS',
          outputs: { counter: step },
        },
        1000,
      );
      const before = engine.usage();
      const delivered = await engine.deliverNext();
      if (!delivered || delivered.failed)
        throw new Error(`context ${size.label}, step ${step}: reply failed`);
      if (step >= 2) measured.push(usageDelta(engine.usage(), before).dynamodb);
    }
    engine.dropPending();
    engine.takeRequests();
    const mean = (f: (d: (typeof measured)[number]) => number) =>
      measured.reduce((s, d) => s + f(d), 0) / measured.length;
    rows.push({
      label: size.label,
      contextBytes: Buffer.byteLength(JSON.stringify(context)),
      requests: mean((d) => d.requests),
      wcu: mean((d) => d.wcu),
      rcu: mean((d) => d.rcu),
      bytesWritten: mean((d) => d.bytesWritten),
      bytesRead: mean((d) => d.bytesRead),
      steps: measured.length,
    });
  }
  return { rows, seconds: (performance.now() - began) / 1000 };
}

/** A JSON document of about `bytes` bytes of pseudo-random records (deterministic for a seed). */
export function documentOfSize(bytes: number, seed: number): Record<string, unknown> {
  const random = mulberry32(seed);
  const text = (n: number) =>
    Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)]).join(
      '',
    );
  const items: Record<string, unknown>[] = [];
  const document = { items };
  let size = JSON.stringify(document).length;
  while (size < bytes) {
    const item = { id: items.length, sku: text(12), qty: Math.floor(random() * 1000), note: text(40) };
    const itemSize = JSON.stringify(item).length + 1;
    if (size + itemSize > bytes && items.length > 0) break;
    items.push(item);
    size += itemSize;
  }
  return document;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function contextSizeSection({ rows, seconds }: ContextSizeResult): Section {
  const base = ISSUE_10_BASELINE.wcuPerStepByContext;
  const table = rows.map((r) => [
    r.label,
    kb(r.contextBytes),
    num(r.requests, 1),
    num(r.wcu, 1),
    kb(r.bytesWritten),
    num(r.rcu, 1),
    kb(r.bytesRead),
    num(base[r.label]),
    ratio(r.wcu, base[r.label]),
  ]);
  const small = rows.find((r) => r.label === '1 KB');
  const large = rows.find((r) => r.label === '1 MB');
  if (small && large) {
    table.push([
      '1 MB / 1 KB',
      '',
      ratio(large.requests, small.requests),
      ratio(large.wcu, small.wcu),
      ratio(large.bytesWritten, small.bytesWritten),
      ratio(large.rcu, small.rcu),
      ratio(large.bytesRead, small.bytesRead),
      `target ~1x (<= ${TARGET}x)`,
      `met: ${met(large.wcu / small.wcu <= TARGET && large.bytesWritten / small.bytesWritten <= TARGET)}`,
    ]);
  }
  return {
    title: '3. Context size: DynamoDB per step when one small key changes',
    header: [
      'context',
      'KB',
      'requests',
      'WCU',
      'KB written',
      'RCU',
      'KB read',
      'baseline WCU',
      'WCU vs baseline',
    ],
    rows: table,
    notes: [
      `Counter loop with a pseudo-random document in the START context; per step = mean of steps 2..${STEPS} ` +
        `(${seconds.toFixed(1)} s in all). KB written: item bytes sent (whole items for puts, key + values for ` +
        'updates); WCU as DynamoDB bills them (an update is billed on the whole item, before or after).',
      'The target is about writes; reads are shown too (RCU and KB read per step, same rules).',
      `${BASELINE_LABEL}: WCU per step 11 / 561 / 1,035.`,
    ],
  };
}
