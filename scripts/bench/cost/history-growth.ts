import { performance } from 'node:perf_hooks';
import { counterLoop } from './bench-workflows';
import type { DynamoDbUsage } from './dynamodb-meter';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { usageDelta, type MeteredEngine } from './metered-engine';
import { kb, met, num, ratio, type Section } from './report-table';

/*
 * Figure 1: DynamoDB cost per step as the history of ONE instance grows. A counter loop (one async_request
 * and a choice per turn) is driven reply by reply; each reply is one message, one step. The cost of a step
 * is what the handler did in DynamoDB for that message; "at step k" is the mean over steps k-4..k.
 */

export const HISTORY_POINTS = [1, 10, 100, 500] as const;
const WINDOW = 5;
const FLAT_TARGET = 1.2;

export interface StepCost {
  readonly requests: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
}

export interface HistoryGrowthResult {
  readonly points: readonly { readonly step: number; readonly cost: StepCost }[];
  readonly stepsRun: number;
  readonly stepsWanted: number;
  readonly seconds: number;
  readonly operationsAtLastStep: Readonly<Record<string, number>>;
}

export async function measureHistoryGrowth(
  engine: MeteredEngine,
  budgetMs: number,
): Promise<HistoryGrowthResult> {
  const began = performance.now();
  const last = HISTORY_POINTS[HISTORY_POINTS.length - 1] as number;
  const workflow = counterLoop(1_000_000);
  await engine.upload(workflow);
  const instanceId = 'bench-history-1';
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: instanceId,
    context: { counter: 0 },
  });
  await engine.deliverNext();
  const costs: StepCost[] = [];
  let operationsAtLastStep: Record<string, number> = {};
  for (let step = 1; step <= last; step += 1) {
    if (performance.now() - began > budgetMs) break;
    const requests = engine.takeRequests();
    const request = requests[0];
    if (requests.length !== 1 || !request) {
      throw new Error(`step ${step}: expected one request from the loop, got ${requests.length}`);
    }
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
    if (!delivered || delivered.failed) throw new Error(`step ${step}: the reply was not handled`);
    const d = usageDelta(engine.usage(), before).dynamodb;
    costs.push(costOf(d));
    operationsAtLastStep = { ...d.byOperation };
  }
  engine.dropPending();
  const points = HISTORY_POINTS.filter((step) => step <= costs.length).map((step) => {
    const window = costs.slice(Math.max(0, step - WINDOW), step);
    return { step, cost: meanCost(window) };
  });
  return {
    points,
    stepsRun: costs.length,
    stepsWanted: last,
    seconds: (performance.now() - began) / 1000,
    operationsAtLastStep,
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

/** The issue measured at step 499 where the bench measures at 500. */
const baselineStep = (step: number) => (step === 500 ? 499 : step);

export function historyGrowthSection(result: HistoryGrowthResult): Section {
  const b = ISSUE_10_BASELINE;
  const rows = result.points.map(({ step, cost }) => {
    const base = b.perStep[baselineStep(step)];
    const baseKb = b.kbReadPerResume[baselineStep(step)];
    return [
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
    ];
  });
  const first = result.points.find((p) => p.step === 10)?.cost;
  const lastPoint = result.points[result.points.length - 1];
  const notes = [
    `Counter loop (async_request + choice per turn), one instance, ${result.stepsRun} of ${result.stepsWanted} steps ` +
      `in ${result.seconds.toFixed(1)} s; per step = mean of the ${WINDOW} steps ending at that step.`,
    `${BASELINE_LABEL}: WCU / RCU at steps 10, 100, 499 and KB read per resume at 1, 100, 499.`,
  ];
  if (result.stepsRun < result.stepsWanted) {
    notes.push(`Stopped at step ${result.stepsRun}: time budget spent (the engine's per-step cost grows).`);
  }
  if (lastPoint) {
    notes.push(
      `DynamoDB requests at step ${result.stepsRun}: ` +
        Object.entries(result.operationsAtLastStep)
          .map(([op, n]) => `${op} ${n}`)
          .join(', '),
    );
  }
  if (first && lastPoint && lastPoint.step > 10) {
    const c = lastPoint.cost;
    const r = (a: number, b: number) => (b === 0 ? NaN : a / b);
    const worst = Math.max(
      r(c.wcu, first.wcu),
      r(c.rcu, first.rcu),
      r(c.bytesWritten, first.bytesWritten),
      r(c.bytesRead, first.bytesRead),
    );
    rows.push([
      `${lastPoint.step} / 10`,
      ratio(c.requests, first.requests),
      ratio(c.wcu, first.wcu),
      ratio(c.rcu, first.rcu),
      ratio(c.bytesWritten, first.bytesWritten),
      ratio(c.bytesRead, first.bytesRead),
      `107/11=${(107 / 11).toFixed(1)}x / 540/21=${(540 / 21).toFixed(1)}x`,
      `${(3731 / 81).toFixed(1)}x (499/1)`,
      `target <= ${FLAT_TARGET}x`,
      `met: ${met(worst <= FLAT_TARGET)}`,
    ]);
  }
  return {
    title: '1. History length: DynamoDB per step of one instance (one reply = one step)',
    header: [
      'step',
      'requests',
      'WCU',
      'RCU',
      'KB written',
      'KB read',
      `baseline WCU / RCU`,
      'baseline KB read',
      'WCU / RCU vs baseline',
      'KB read vs baseline',
    ],
    rows,
    notes,
  };
}
