import { performance } from 'node:perf_hooks';
import type { LocalServers } from '../../local-aws/local-servers';
import { longWait } from './bench-workflows';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { MeteredEngine, usageDelta, type EngineUsage } from './metered-engine';
import { ourCostPerRun, US_EAST_1_PRICES } from './price-model';
import { met, num, type Section } from './report-table';

/*
 * Figure 4: what timers cost, with each of the orchestrator's timer adapters:
 * - `sqs` (the local stack's, and the adapter's default): a TIMER_FIRED delayed by at most 15 minutes,
 *   re-armed until due;
 * - `eventbridge` (the AWS default): one EventBridge Scheduler one-time schedule per wait over 15 minutes,
 *   here against the bench's scheduler endpoint (scheduler-endpoint.ts).
 * Every timer is delivered when its delay or schedule says, on the bench's clock, through the handler.
 * - Closed: a 7-day timeout whose reply came after a second: what its timer costs after the wait closed.
 * - Open: the same wait never answered, until the timeout fires after 7 days.
 */

const DAY_MS = 24 * 3600 * 1000;
type TimerKind = 'sqs' | 'eventbridge';

export interface TimerCase {
  readonly status: string;
  readonly usage: EngineUsage;
  /** Schedules the instance created over its whole life (each fires once, after the close too). */
  readonly schedules: number;
}

export interface TimerKindResult {
  readonly kind: TimerKind;
  readonly closed: TimerCase;
  readonly open: TimerCase & { readonly days: number };
}

export interface TimerCostResult {
  readonly kinds: readonly TimerKindResult[];
  readonly seconds: number;
  readonly lambdaMemoryMb: number;
}

export async function measureTimerCost(
  servers: LocalServers,
  lambdaMemoryMb: number,
): Promise<TimerCostResult> {
  const began = performance.now();
  const kinds: TimerKindResult[] = [];
  for (const kind of ['sqs', 'eventbridge'] as const) {
    const engine = await MeteredEngine.start({ servers, timers: kind });
    try {
      kinds.push(await measureKind(engine, kind));
    } finally {
      await engine.stop();
    }
  }
  return { kinds, seconds: (performance.now() - began) / 1000, lambdaMemoryMb };
}

async function measureKind(engine: MeteredEngine, kind: TimerKind): Promise<TimerKindResult> {
  const workflow = longWait('7d');
  await engine.upload(workflow);
  const start = (instanceId: string) =>
    engine.send({
      type: 'START_WORKFLOW',
      workflow_id: workflow.workflowId,
      instance_id: instanceId,
      context: { shipmentId: 'S' },
    });

  const closedId = `bench-timer-closed-${kind}`;
  const beforeClosed = engine.usage();
  start(closedId);
  if (!(await engine.deliverUntilEnded(closedId)))
    throw new Error(`${kind}: the closed-wait instance did not end`);
  const afterClose = engine.usage();
  await engine.runUntilQuiet(() => undefined);
  const closed = usageDelta(engine.usage(), afterClose);
  const closedSchedules = usageDelta(engine.usage(), beforeClosed).schedules;

  const openId = `bench-timer-open-${kind}`;
  const startedAt = engine.clock.now().getTime();
  const beforeOpen = engine.usage();
  start(openId);
  await engine.deliverNext();
  engine.takeRequests(); // nobody answers
  const opened = engine.usage();
  await engine.runUntilQuiet(() => undefined);
  const open = usageDelta(engine.usage(), opened);
  return {
    kind,
    closed: {
      status: (await engine.record(closedId))?.status ?? 'missing',
      usage: closed,
      schedules: closedSchedules,
    },
    open: {
      status: (await engine.record(openId))?.status ?? 'missing',
      usage: open,
      schedules: usageDelta(engine.usage(), beforeOpen).schedules,
      days: (engine.clock.now().getTime() - startedAt) / DAY_MS,
    },
  };
}

/**
 * Dollars of what `usage` did, each delivery one Lambda invocation, with `schedules` schedule invocations
 * (a schedule made before the close fires after it).
 */
function dollars(usage: EngineUsage, lambdaMemoryMb: number, schedules = usage.schedules): number {
  return ourCostPerRun({
    dynamodbWriteUnits: usage.dynamodb.wcu,
    dynamodbReadUnits: usage.dynamodb.rcu,
    // Each delivery's send (by us or the schedule), receive and delete, and our other SQS requests.
    sqsRequests: usage.consumedSqsRequests + usage.otherSqsRequests,
    capabilitySqsRequests: 0,
    s3Puts: 0,
    s3Gets: 0,
    schedulerInvocations: schedules,
    lambdaInvocations: usage.invocations,
    lambdaMilliseconds: usage.handlerMs,
    lambdaMemoryMb,
  }).total;
}

export function timerCostSection(result: TimerCostResult): Section {
  const rows: string[][] = [];
  const byOp = (u: EngineUsage) =>
    Object.entries(u.dynamodb.byOperation)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ') || 'none';
  const notes: string[] = [];
  const perMillion = (usage: EngineUsage, schedules: number, scale = 1) =>
    `$${num(dollars(usage, result.lambdaMemoryMb, schedules) * 1e6 * scale, 2)}`;
  for (const { kind, closed, open } of result.kinds) {
    const c = closed.usage;
    const o = open.usage;
    const perDay = (n: number) => n / open.days;
    const label = kind === 'sqs' ? 'SQS timers' : 'EventBridge timers';
    rows.push([
      `${label}: 7-day timeout, reply after 1 s, after the close`,
      num(c.timerDeliveries),
      kind === 'sqs' ? num(ISSUE_10_BASELINE.closedSevenDayTimerDeliveries) : '-',
      num(c.timerSends),
      num(closed.schedules),
      num(c.dynamodb.requests),
      num(c.dynamodb.rcu, 1),
      num(c.dynamodb.wcu, 1),
      perMillion(c, closed.schedules),
      `<= 1 cheap read, no re-arm: ${met(c.dynamodb.requests <= 1 && c.dynamodb.wcu === 0 && c.timerSends === 0)}`,
    ]);
    rows.push([
      `${label}: open 7-day wait, until it timed out (${open.days.toFixed(1)} days)`,
      num(o.timerDeliveries),
      '-',
      num(o.timerSends),
      num(open.schedules),
      num(o.dynamodb.requests),
      num(o.dynamodb.rcu, 1),
      num(o.dynamodb.wcu, 1),
      perMillion(o, open.schedules),
      '',
    ]);
    rows.push([
      `${label}: open wait, per day of waiting`,
      num(perDay(o.timerDeliveries), 1),
      '-',
      num(perDay(o.timerSends), 1),
      num(perDay(open.schedules), 2),
      num(perDay(o.dynamodb.requests), 1),
      num(perDay(o.dynamodb.rcu), 1),
      num(perDay(o.dynamodb.wcu), 1),
      perMillion(o, open.schedules, 1 / open.days),
      `O(1) per day: ${met(perDay(o.timerDeliveries) <= 96 + 1)}`,
    ]);
    notes.push(
      `${label}: closed instance ${closed.status}, DynamoDB after the close: ${byOp(c)}; open instance ` +
        `${open.status} at the deadline, DynamoDB over the wait: ${byOp(o)}.`,
    );
  }
  return {
    title: '4. Timers: what a 7-day timeout costs, per timer adapter',
    header: [
      'case',
      'timer deliveries',
      'baseline deliveries',
      'SQS timer sends',
      'schedules',
      'DynamoDB requests',
      'RCU',
      'WCU',
      '$ per 1M waits',
      'target',
    ],
    rows,
    notes: [
      ...notes,
      `Each timer goes through the orchestrator's own adapter and the handler, delivered on the bench's clock ` +
        `(${result.seconds.toFixed(1)} s real time); EventBridge against the bench's scheduler endpoint (no emulator ` +
        'exists). $ = DynamoDB units + SQS send, receive and delete per delivery + one Lambda invocation per delivery ' +
        `at ${result.lambdaMemoryMb} MB for its measured duration + $${(US_EAST_1_PRICES.schedulerInvocation * 1e6).toFixed(2)} ` +
        'per million schedule invocations. "O(1) per day": SQS re-arming is 96 deliveries per day whatever the ' +
        'wait; a schedule is one delivery per wait.',
      `${BASELINE_LABEL}: 672 timer deliveries for the closed 7-day wait, each under the lease.`,
    ],
  };
}
