import { performance } from 'node:perf_hooks';
import { asyncChain, counterLoop } from './bench-workflows';
import type { DynamoDbUsage } from './dynamodb-meter';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { usageDelta, type MeteredEngine } from './metered-engine';
import { kb, met, num, ratio, type Section } from './report-table';

/*
 * Figure 1: DynamoDB cost per step as ONE instance's history grows, each reply one message and one step.
 * Two workflows, because they grow different things:
 * - `loop`: a counter loop (one async_request and a choice, revisited every turn): the history grows, the
 *   set of nodes that ran does not;
 * - `chain`: async_requests in a row, each a node of its own, every reply rewriting the same key: the
 *   nodes that ran grow with the history, as in a long workflow without loops.
 * "At step k" is the mean over steps k-4..k. Each series stops when its time budget is spent.
 */

const WINDOW = 5;
/**
 * The checkpoint body is stored as a delta per step, and now and then as a larger link (every change since
 * the whole body, or the whole body again, in an item of its own), so a 5-step window may or may not hold
 * such a step: the notes also give the mean of the last steps, over several of those periods.
 */
const LONG_WINDOW = 45;
const FLAT_TARGET = 1.2;
/**
 * A definition has at most 500 nodes: the chain has 499 steps and its end. Its last step ends the instance
 * (other work than a step in the middle): it is reported apart, and the chain's last point is step 498.
 */
const SERIES = [
  { name: 'loop', steps: 500, points: [1, 10, 100, 500] },
  { name: 'chain', steps: 499, points: [1, 10, 100, 498] },
] as const;

export interface StepCost {
  readonly requests: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
}

export interface HistorySeries {
  readonly name: string;
  readonly points: readonly { readonly step: number; readonly cost: StepCost }[];
  readonly stepsRun: number;
  readonly stepsWanted: number;
  readonly seconds: number;
  readonly operationsAtLastStep: Readonly<Record<string, number>>;
  /** Mean of the last LONG_WINDOW steps of the series (the chain's final step excluded), when it ran them. */
  readonly lastStepsMean?: { readonly from: number; readonly to: number; readonly cost: StepCost };
  /** The chain's final step, which ends the instance, when it ran. */
  readonly finalStep?: StepCost;
}

export interface HistoryGrowthResult {
  readonly series: readonly HistorySeries[];
}

export async function measureHistoryGrowth(
  engine: MeteredEngine,
  budgetMs: (series: string) => number,
): Promise<HistoryGrowthResult> {
  const series: HistorySeries[] = [];
  for (const s of SERIES) series.push(await measureSeries(engine, s, budgetMs(s.name)));
  return { series };
}

async function measureSeries(
  engine: MeteredEngine,
  spec: (typeof SERIES)[number],
  budgetMs: number,
): Promise<HistorySeries> {
  const began = performance.now();
  const workflow = spec.name === 'loop' ? counterLoop(1_000_000) : asyncChain(spec.steps, { lean: true });
  await engine.upload(workflow);
  const instanceId = `bench-history-${spec.name}`;
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: instanceId,
    context: spec.name === 'loop' ? { counter: 0 } : { shipmentId: 'SHP-1' },
  });
  await engine.deliverNext();
  const costs: StepCost[] = [];
  let operationsAtLastStep: Record<string, number> = {};
  for (let step = 1; step <= spec.steps; step += 1) {
    if (performance.now() - began > budgetMs) break;
    const requests = engine.takeRequests();
    const request = requests[0];
    if (requests.length !== 1 || !request) {
      throw new Error(`${spec.name}, step ${step}: expected one request, got ${requests.length}`);
    }
    const outputs =
      spec.name === 'loop'
        ? { counter: step }
        : Object.fromEntries(request.expected_output_keys.map((k) => [k, `result of step ${step}`]));
    engine.send(
      {
        type: 'ASYNC_RESP',
        instance_id: instanceId,
        request_id: request.request_id,
        status: 'SUCCESS',
        outputs,
      },
      1000,
    );
    const before = engine.usage();
    const delivered = await engine.deliverNext();
    if (!delivered || delivered.failed)
      throw new Error(`${spec.name}, step ${step}: the reply was not handled`);
    const d = usageDelta(engine.usage(), before).dynamodb;
    costs.push(costOf(d));
    operationsAtLastStep = { ...d.byOperation };
  }
  engine.dropPending();
  engine.takeRequests();
  const lastPoint = Math.min(costs.length, spec.points[spec.points.length - 1] ?? costs.length);
  return {
    name: spec.name,
    points: spec.points
      .filter((step) => step <= costs.length)
      .map((step) => ({ step, cost: meanCost(costs.slice(Math.max(0, step - WINDOW), step)) })),
    stepsRun: costs.length,
    stepsWanted: spec.steps,
    seconds: (performance.now() - began) / 1000,
    operationsAtLastStep,
    ...(lastPoint >= LONG_WINDOW
      ? {
          lastStepsMean: {
            from: lastPoint - LONG_WINDOW + 1,
            to: lastPoint,
            cost: meanCost(costs.slice(lastPoint - LONG_WINDOW, lastPoint)),
          },
        }
      : {}),
    ...(spec.name === 'chain' && costs.length === spec.steps ? { finalStep: costs[spec.steps - 1] } : {}),
  };
}

function costOf(d: DynamoDbUsage): StepCost {
  return {
    requests: d.requests,
    wcu: d.wcu,
    rcu: d.rcu,
    bytesWritten: d.bytesWritten,
    bytesRead: d.bytesRead,
  };
}

function meanCost(costs: readonly StepCost[]): StepCost {
  const mean = (f: (c: StepCost) => number) => costs.reduce((s, c) => s + f(c), 0) / costs.length;
  return {
    requests: mean((c) => c.requests),
    wcu: mean((c) => c.wcu),
    rcu: mean((c) => c.rcu),
    bytesWritten: mean((c) => c.bytesWritten),
    bytesRead: mean((c) => c.bytesRead),
  };
}

/** The issue measured at step 499 where the bench measures the loop at 500 and the chain at 498. */
const baselineStep = (step: number) => (step >= 498 ? 499 : step);

export function historyGrowthSection(result: HistoryGrowthResult): Section {
  const b = ISSUE_10_BASELINE;
  const rows: string[][] = [];
  const notes = [
    'loop: a counter loop, one async_request and a choice revisited every turn; chain: 499 async_requests in a ' +
      'row, each a node of its own, every reply rewriting one key. One instance each, one reply = one step; ' +
      `per step = mean of the ${WINDOW} steps ending at that step.`,
    `${BASELINE_LABEL}: WCU / RCU at steps 10, 100, 499 and KB read per resume at 1, 100, 499 (one instance).`,
  ];
  for (const series of result.series) {
    for (const { step, cost } of series.points) {
      const base = b.perStep[baselineStep(step)];
      const baseKb = b.kbReadPerResume[baselineStep(step)];
      rows.push([
        series.name,
        String(step),
        num(cost.requests, 1),
        num(cost.wcu, 1),
        num(cost.rcu, 1),
        kb(cost.bytesWritten),
        kb(cost.bytesRead),
        base ? `${base.wcu} / ${base.rcu}` : '-',
        baseKb === undefined ? '-' : num(baseKb),
        base ? `${ratio(cost.wcu, base.wcu)} / ${ratio(cost.rcu, base.rcu)}` : '-',
        baseKb === undefined ? '-' : ratio(cost.bytesRead / 1024, baseKb),
      ]);
    }
    const first = series.points.find((p) => p.step === 10)?.cost;
    const last = series.points[series.points.length - 1];
    if (first && last && last.step > 10) {
      const c = last.cost;
      const worst = Math.max(
        c.wcu / first.wcu,
        c.rcu / first.rcu,
        c.bytesWritten / first.bytesWritten,
        c.bytesRead / first.bytesRead,
      );
      rows.push([
        series.name,
        `${last.step} / 10`,
        ratio(c.requests, first.requests),
        ratio(c.wcu, first.wcu),
        ratio(c.rcu, first.rcu),
        ratio(c.bytesWritten, first.bytesWritten),
        ratio(c.bytesRead, first.bytesRead),
        `${(107 / 11).toFixed(1)}x / ${(540 / 21).toFixed(1)}x`,
        `${(3731 / 81).toFixed(1)}x (499/1)`,
        `target <= ${FLAT_TARGET}x`,
        `met: ${met(worst <= FLAT_TARGET)}`,
      ]);
    }
    notes.push(
      `${series.name}: ${series.stepsRun} of ${series.stepsWanted} steps in ${series.seconds.toFixed(1)} s` +
        (series.stepsRun < series.stepsWanted ? ' (time budget spent: the per-step cost grows)' : '') +
        `; DynamoDB requests of the last step: ` +
        Object.entries(series.operationsAtLastStep)
          .map(([op, n]) => `${op} ${n}`)
          .join(', ') +
        (series.finalStep
          ? `; that final step, which ends the instance: ${num(series.finalStep.requests)} requests, ` +
            `${num(series.finalStep.wcu)} WCU, ${num(series.finalStep.rcu)} RCU, ${kb(series.finalStep.bytesRead)} KB read`
          : '') +
        (series.lastStepsMean
          ? `; mean of steps ${series.lastStepsMean.from}-${series.lastStepsMean.to} (now and then a step ` +
            `writes a larger link of the checkpoint body, which a ${WINDOW}-step window may hold or not): ` +
            `${num(series.lastStepsMean.cost.wcu, 1)} WCU, ${num(series.lastStepsMean.cost.rcu, 1)} RCU, ` +
            `${kb(series.lastStepsMean.cost.bytesWritten)} KB written, ${kb(series.lastStepsMean.cost.bytesRead)} KB read`
          : '') +
        '.',
    );
  }
  return {
    title: '1. History length: DynamoDB per step of one instance (one reply = one step)',
    header: [
      'workflow',
      'step',
      'requests',
      'WCU',
      'RCU',
      'KB written',
      'KB read',
      'baseline WCU / RCU',
      'baseline KB read',
      'WCU / RCU vs baseline',
      'KB read vs baseline',
    ],
    rows,
    notes,
  };
}
