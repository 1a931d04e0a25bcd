import { performance } from 'node:perf_hooks';
import { exampleText, SHIPMENT_CONTEXT } from '../../../orchestrator/src/runtime/testing/example-workflows';
import { fanOut } from './bench-workflows';
import type { DynamoDbUsage } from './dynamodb-meter';
import { attributedWriteUnits } from './flush-attribution';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { usageDelta, type MeteredEngine } from './metered-engine';
import { kb, met, num, ratio, type Section } from './report-table';

/*
 * Figure 2: cost per branch reply as the fan-out widens. The fan-out example's shape (A, then `width`
 * branches of one async_request each, joined by C) at width 3, 20 and 100; all branch requests go out
 * together and their replies are handled one by one. A branch reply's cost is what the handler did in
 * DynamoDB for it; the instance's total covers START to the end.
 */

export const WIDTHS = [3, 20, 100] as const;
const WIDTH_TARGET = 1.5;
const BATCHINGS = ['one', 'queued'] as const;

const batchingLabel = (batching: MeteredEngine['batching']) => (batching === 'one' ? 'one' : 'as queued');

/** The narrowest and the widest fan-out measured with the same batching: what the target compares. */
function widthPair(result: FanOutWidthResult, batching: MeteredEngine['batching']) {
  const narrow = result.widths.find((w) => w.width === WIDTHS[0] && w.batching === batching);
  const wide = result.widths.find((w) => w.width === WIDTHS[WIDTHS.length - 1] && w.batching === batching);
  return narrow && wide ? { narrow, wide } : undefined;
}

export interface WidthResult {
  readonly width: number;
  /** How the replies reached the handler (see `MeteredEngine.batching`). */
  readonly batching: MeteredEngine['batching'];
  /** Branch replies handled (fewer than `width` when the time budget ran out). */
  readonly repliesMeasured: number;
  /**
   * `wcu` charges each reply its own resolution item, which the instance's next message writes
   * (`flush-attribution.ts`); `wcuInWindow` is what the branch replies' messages wrote themselves.
   */
  readonly perReply: { requests: number; wcu: number; wcuInWindow: number; rcu: number; bytesRead: number };
  /** Mean DynamoDB requests of the first and of the last 5 branch replies handled: how the cost moves. */
  readonly requestsFirstReplies: number;
  readonly requestsLastReplies: number;
  /** The whole instance, when it ran to its end. */
  readonly instance?: DynamoDbUsage;
  readonly seconds: number;
}

export interface FanOutExampleResult {
  readonly status: string;
  readonly dynamodb: DynamoDbUsage;
}

export interface FanOutWidthResult {
  readonly widths: readonly WidthResult[];
  readonly example?: FanOutExampleResult;
  /** getTuple calls of raw LangGraph + MemorySaver running the example's graph (figure 5's baseline). */
  readonly rawGetTuple?: number;
}

export async function measureFanOutWidth(
  engine: MeteredEngine,
  budgetMsPerWidth: (width: number) => number,
): Promise<WidthResult[]> {
  const results: WidthResult[] = [];
  for (const batching of BATCHINGS) {
    await engine.batchedAs(batching, async () => {
      for (const width of WIDTHS) results.push(await measureWidth(engine, width, budgetMsPerWidth(width)));
    });
  }
  return results;
}

async function measureWidth(engine: MeteredEngine, width: number, budgetMs: number): Promise<WidthResult> {
  const began = performance.now();
  const workflow = fanOut(width);
  await engine.upload(workflow);
  const batching = engine.batching;
  const instanceId = `bench-fanout-w${width}-${batching}`;
  const start = engine.usage();
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: workflow.workflowId,
    instance_id: instanceId,
    context: { shipmentId: 'SHP-1' },
  });
  await engine.deliverNext(); // START: sends A
  engine.answer();
  await engine.deliverNext(); // A's reply: sends every branch request
  const branchRequests = engine.takeRequests();
  if (branchRequests.length !== width) {
    throw new Error(`width ${width}: ${branchRequests.length} branch requests went out, not ${width}`);
  }
  for (const request of branchRequests) {
    engine.send(
      {
        type: 'ASYNC_RESP',
        instance_id: instanceId,
        request_id: request.request_id,
        status: 'SUCCESS',
        outputs: Object.fromEntries(request.expected_output_keys.map((k) => [k, `${k}-value`])),
      },
      1000,
    );
  }
  const branchesBefore = engine.usage();
  let replies = 0;
  const replyRequests: number[] = [];
  while (replies < width && performance.now() - began < budgetMs) {
    const before = engine.usage().dynamodb.requests;
    const delivered = await engine.deliverNext();
    if (!delivered) break;
    if (delivered.type === 'ASYNC_RESP' && delivered.done > 0) {
      replies += delivered.done;
      const requests = engine.usage().dynamodb.requests - before;
      for (let i = 0; i < delivered.done; i++) replyRequests.push(requests / delivered.done);
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const branchesAfter = engine.usage();
  const branches = usageDelta(branchesAfter, branchesBefore).dynamodb;
  let instance: DynamoDbUsage | undefined;
  let writtenAfter: DynamoDbUsage['resolutionItemUnits'] = {};
  if (replies === width) {
    await engine.deliverUntilEnded(instanceId); // C and its reply
    const record = await engine.record(instanceId);
    if (record?.status === 'SUCCEEDED') instance = usageDelta(engine.usage(), start).dynamodb;
    writtenAfter = usageDelta(engine.usage(), branchesAfter).dynamodb.resolutionItemUnits;
  }
  // Only a run to the end has written the last batch's items: a partial one is counted as written.
  const wcu =
    replies < width
      ? branches.wcu
      : attributedWriteUnits({
          windowWcu: branches.wcu,
          writtenInWindow: branches.resolutionItemUnits,
          writtenAfter,
          answered: new Set(branchRequests.map((r) => r.request_id)),
        });
  engine.dropPending();
  engine.takeRequests();
  const per = (n: number) => (replies === 0 ? NaN : n / replies);
  return {
    width,
    batching,
    repliesMeasured: replies,
    perReply: {
      requests: per(branches.requests),
      wcu: per(wcu),
      wcuInWindow: per(branches.wcu),
      rcu: per(branches.rcu),
      bytesRead: per(branches.bytesRead),
    },
    requestsFirstReplies: mean(replyRequests.slice(0, 5)),
    requestsLastReplies: mean(replyRequests.slice(-5)),
    ...(instance ? { instance } : {}),
    seconds: (performance.now() - began) / 1000,
  };
}

/** One run of workflow-definitions/fanout_a_b_c_v1.yaml, START to end, every reply after a second. */
export async function measureFanOutExample(engine: MeteredEngine): Promise<FanOutExampleResult> {
  await engine.upload({ workflowId: 'fanout_a_b_c_v1', text: exampleText('fanout_a_b_c_v1') });
  const before = engine.usage();
  const instanceId = 'bench-fanout-example';
  engine.send({
    type: 'START_WORKFLOW',
    workflow_id: 'fanout_a_b_c_v1',
    instance_id: instanceId,
    context: SHIPMENT_CONTEXT,
  });
  // Up to its end; the timers of its waits fire 15 and 30 minutes later, and are figure 4's business.
  await engine.deliverUntilEnded(instanceId);
  const dynamodb = usageDelta(engine.usage(), before).dynamodb;
  engine.dropPending();
  const record = await engine.record(instanceId);
  return { status: record?.status ?? 'missing', dynamodb };
}

export function fanOutWidthSection(result: FanOutWidthResult): Section {
  const base = ISSUE_10_BASELINE.requestsPerFanOutInstance;
  const rows: string[][] = result.widths.map((w) => [
    String(w.width),
    batchingLabel(w.batching),
    `${w.repliesMeasured}/${w.width}`,
    num(w.perReply.requests, 1),
    num(w.perReply.wcu, 1),
    num(w.perReply.rcu, 1),
    kb(w.perReply.bytesRead),
    w.instance ? num(w.instance.requests) : 'n/a (partial)',
    num(base[w.width]),
    w.instance ? ratio(w.instance.requests, base[w.width]) : 'n/a',
    w.seconds.toFixed(1),
  ]);
  for (const batching of BATCHINGS) {
    const pair = widthPair(result, batching);
    if (!pair) continue;
    const { narrow, wide } = pair;
    const worst = Math.max(
      wide.perReply.requests / narrow.perReply.requests,
      wide.perReply.wcu / narrow.perReply.wcu,
      wide.perReply.rcu / narrow.perReply.rcu,
    );
    rows.push([
      '100 / 3',
      batchingLabel(batching),
      '',
      ratio(wide.perReply.requests, narrow.perReply.requests),
      ratio(wide.perReply.wcu, narrow.perReply.wcu),
      ratio(wide.perReply.rcu, narrow.perReply.rcu),
      ratio(wide.perReply.bytesRead, narrow.perReply.bytesRead),
      `target <= ${WIDTH_TARGET}x`,
      `met: ${met(worst <= WIDTH_TARGET)}`,
      '',
      '',
    ]);
  }
  const notes = [
    'Per branch reply = DynamoDB work of the branch replies / replies handled; instance = START to end.',
    "WCU/reply charges each reply its resolution item, written by the instance's next message (the record " +
      "carries it until then): the first reply message writes the previous request's item and the last " +
      "batch's items are written after it. As the messages wrote them: " +
      result.widths
        .map((w) => `width ${w.width} ${batchingLabel(w.batching)} ${num(w.perReply.wcuInWindow, 1)}`)
        .join(', ') +
      ' WCU a reply (100 / 3: ' +
      BATCHINGS.flatMap((b) => {
        const pair = widthPair(result, b);
        return pair
          ? [`${batchingLabel(b)} ${ratio(pair.wide.perReply.wcuInWindow, pair.narrow.perReply.wcuInWindow)}`]
          : [];
      }).join(', ') +
      ').',
    'DynamoDB requests per branch reply, first 5 vs last 5 handled: ' +
      result.widths
        .map((w) => `width ${w.width} ${num(w.requestsFirstReplies, 1)} -> ${num(w.requestsLastReplies, 1)}`)
        .join(', ') +
      '.',
    `${BASELINE_LABEL}: DynamoDB requests per instance at width 3 / 20 / 100.`,
  ];
  for (const w of result.widths) {
    if (w.repliesMeasured < w.width) {
      notes.push(
        `Width ${w.width}: time budget spent after ${w.repliesMeasured} of ${w.width} branch replies (the first ones); ` +
          'per-reply figures are over those, the instance total is not measured.',
      );
    }
  }
  const example = result.example;
  if (example) {
    const b = ISSUE_10_BASELINE.fanOutInstance;
    const d = example.dynamodb;
    notes.push(
      `fanout_a_b_c_v1 instance (${example.status}): ${d.requests} requests, ${num(d.wcu)} WCU, ${num(d.rcu)} RCU, ` +
        `${kb(d.bytesRead)} KB read; baseline ${b.requests} / ${b.wcu} / ${b.rcu} / ${b.kbRead} KB ` +
        `(now/baseline ${ratio(d.requests, b.requests)} / ${ratio(d.wcu, b.wcu)} / ${ratio(d.rcu, b.rcu)} / ` +
        `${ratio(d.bytesRead / 1024, b.kbRead)}); raw LangGraph + MemorySaver: ` +
        `${result.rawGetTuple ?? 'n/a'} getTuple (baseline ${b.rawLangGraphGetTuple}).`,
    );
  }
  return {
    title: '2. Fan-out width: DynamoDB per branch reply',
    header: [
      'width',
      'batches',
      'replies',
      'requests/reply',
      'WCU/reply',
      'RCU/reply',
      'KB read/reply',
      'requests/instance',
      'baseline requests/instance',
      'vs baseline',
      'seconds',
    ],
    rows,
    notes,
  };
}
