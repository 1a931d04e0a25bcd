import { performance } from 'node:perf_hooks';
import { longWait } from './bench-workflows';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { usageDelta, type EngineUsage, type MeteredEngine } from './metered-engine';
import { ourCostPerRun, US_EAST_1_PRICES } from './price-model';
import { met, num, type Section } from './report-table';

/*
 * Figure 4: what timers cost. The SQS timer adapter delays a TIMER_FIRED by at most 15 minutes, so a long
 * deadline is reached by re-arming; the bench delivers each timer when its delay says, on the fake clock.
 * - Closed: a 7-day timeout whose reply came after a second. What its timer costs after the wait closed.
 * - Open: the same wait never answered, until the timeout fires after 7 days. Per day of waiting.
 */

const DAY_MS = 24 * 3600 * 1000;

export interface TimerCostResult {
  readonly closed: { readonly status: string; readonly usage: EngineUsage };
  readonly open: { readonly status: string; readonly usage: EngineUsage; readonly days: number };
  readonly seconds: number;
  readonly lambdaMemoryMb: number;
}

export async function measureTimerCost(
  engine: MeteredEngine,
  lambdaMemoryMb: number,
): Promise<TimerCostResult> {
  const began = performance.now();
  const workflow = longWait('7d');
  await engine.upload(workflow);

  const closedId = 'bench-timer-closed';
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: closedId,
    context: { shipmentId: 'S' },
  });
  if (!(await engine.deliverUntilEnded(closedId))) throw new Error('the closed-wait instance did not end');
  const afterClose = engine.usage();
  await engine.runUntilQuiet(() => undefined);
  const closed = usageDelta(engine.usage(), afterClose);
  const closedStatus = (await engine.record(closedId))?.status ?? 'missing';

  const openId = 'bench-timer-open';
  const startedAt = engine.clock.now().getTime();
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: openId,
    context: { shipmentId: 'S' },
  });
  await engine.deliverNext();
  engine.takeRequests(); // nobody answers
  const opened = engine.usage();
  await engine.runUntilQuiet(() => undefined);
  const open = usageDelta(engine.usage(), opened);
  const days = (engine.clock.now().getTime() - startedAt) / DAY_MS;
  const openStatus = (await engine.record(openId))?.status ?? 'missing';
  return {
    closed: { status: closedStatus, usage: closed },
    open: { status: openStatus, usage: open, days },
    seconds: (performance.now() - began) / 1000,
    lambdaMemoryMb,
  };
}

/** Dollars of what `usage` did, with each delivery one Lambda invocation. */
function dollars(usage: EngineUsage, lambdaMemoryMb: number): number {
  return ourCostPerRun({
    dynamodbWriteUnits: usage.dynamodb.wcu,
    dynamodbReadUnits: usage.dynamodb.rcu,
    // Each delivery's send, receive and delete, and the orchestrator's other SQS requests.
    sqsRequests: usage.consumedSqsRequests + usage.otherSqsRequests,
    capabilitySqsRequests: 0,
    s3Puts: 0,
    s3Gets: 0,
    lambdaInvocations: usage.deliveries,
    lambdaMilliseconds: usage.handlerMs,
    lambdaMemoryMb,
  }).total;
}

const sends = (usage: EngineUsage) =>
  (usage.sqs.byOperation.SendMessage ?? 0) + (usage.sqs.byOperation.SendMessageBatch ?? 0);

export function timerCostSection(result: TimerCostResult): Section {
  const { closed, open } = result;
  const c = closed.usage;
  const o = open.usage;
  const perDay = (n: number) => n / open.days;
  const closedReArms = sends(c);
  const eventBridgePerWait = 1 / 1e6; // one scheduled invocation, $1.00 per million
  const closedOk = closedReArms === 0 && c.dynamodb.requests <= 1;
  const rows = [
    [
      '7-day timeout, reply after 1 s: after the wait closed',
      num(c.timerDeliveries),
      num(ISSUE_10_BASELINE.closedSevenDayTimerDeliveries),
      num(closedReArms),
      num(c.dynamodb.requests),
      num(c.dynamodb.rcu, 1),
      num(c.dynamodb.wcu, 1),
      `$${(dollars(c, result.lambdaMemoryMb) * 1e6).toFixed(2)}`,
      `<= 1 cheap read, no re-arm: ${met(closedOk)}`,
    ],
    [
      `open 7-day wait, per day (${open.days.toFixed(1)} days, then timed out)`,
      num(perDay(o.timerDeliveries), 1),
      '-',
      num(perDay(sends(o)), 1),
      num(perDay(o.dynamodb.requests), 1),
      num(perDay(o.dynamodb.rcu), 1),
      num(perDay(o.dynamodb.wcu), 1),
      `$${(perDay(dollars(o, result.lambdaMemoryMb)) * 1e6).toFixed(2)}`,
      'O(1) per day',
    ],
  ];
  const byOp = (u: EngineUsage) =>
    Object.entries(u.dynamodb.byOperation)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ') || 'none';
  return {
    title: '4. Timers: deliveries and requests a long timeout costs',
    header: [
      'case',
      'timer deliveries',
      'baseline deliveries',
      'SQS re-arms',
      'DynamoDB requests',
      'RCU',
      'WCU',
      '$ per 1M such waits',
      'target',
    ],
    rows,
    notes: [
      `Closed wait: instance ${closed.status}; its DynamoDB requests after the close: ${byOp(c)}.`,
      `Open wait: instance ${open.status} at the deadline; DynamoDB over the whole wait: ${byOp(o)}.`,
      'Timers go through the real SqsTimerScheduler (SQS DelaySeconds <= 900 s) and the handler, delivered on the ' +
        `bench's clock (${result.seconds.toFixed(1)} s of real time). $ = DynamoDB units + SQS send/receive/delete ` +
        `per delivery + one Lambda invocation per delivery at ${result.lambdaMemoryMb} MB and its measured duration.`,
      `EventBridge Scheduler instead: one one-time schedule per wait, $${(eventBridgePerWait * 1e6).toFixed(2)} per ` +
        'million waits plus the one delivery at the deadline (or none, if deleted when the wait closes), whatever ' +
        `the wait's length; SQS re-arming costs ${num(perDay(o.timerDeliveries), 1)} deliveries per day of waiting.`,
      `${BASELINE_LABEL}: 672 timer deliveries for the closed 7-day wait, each under the lease.`,
      `Prices: ${(US_EAST_1_PRICES.sqsRequest * 1e6).toFixed(2)} $/M SQS requests.`,
    ],
  };
}
