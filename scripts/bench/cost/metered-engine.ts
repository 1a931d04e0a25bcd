import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { createAwsOrchestrator, type AwsOrchestrator } from '../../../orchestrator/src/aws/aws-orchestrator';
import { DynamoDbInstanceStore } from '../../../orchestrator/src/aws/dynamodb-instance-store';
import { EmfMetrics } from '../../../orchestrator/src/aws/emf-metrics';
import { createPinoLogger } from '../../../orchestrator/src/aws/pino-logger';
import type { SqsBatchProcessor } from '../../../orchestrator/src/aws/sqs-batch-processor';
import { toLambdaAttributes } from '../../../orchestrator/src/aws/sqs-message-attributes';
import { isTerminal, type InstanceRecord } from '../../../orchestrator/src/runtime/instance-record';
import { FakeClock } from '../../../orchestrator/src/runtime/memory/fake-clock';
import type {
  AsyncRequestMessage,
  AsyncResponse,
  InboundMessage,
} from '../../../orchestrator/src/runtime/messages';
import type { Metrics } from '../../../orchestrator/src/runtime/ports';
import { startLocalServers, type LocalServers } from '../../local-aws/local-servers';
import { fileLogSink } from '../../local-aws/log-sink';
import { domainsOfDefinitionText, ensureCapabilityQueues } from '../../local-aws/provision-local';
import {
  awsRequestDelta,
  meterAwsRequests,
  NO_AWS_REQUESTS,
  type AwsRequestUsage,
  type SentMessage,
} from './aws-request-meter';
import type { BenchWorkflow } from './bench-workflows';
import { dynamoDbDelta, meterDynamoDb, NO_DYNAMODB_USAGE, type DynamoDbUsage } from './dynamodb-meter';
import { sqsBilledRequests } from './price-model';
import { startSchedulerEndpoint, type CreatedSchedule, type SchedulerEndpoint } from './scheduler-endpoint';

/** Everything one engine has used so far; differences of two snapshots give a message's or a run's. */
export interface EngineUsage {
  readonly dynamodb: DynamoDbUsage;
  /** The orchestrator's own SQS client (timers, requests, deferred copies, dead letters, URL lookups). */
  readonly sqs: AwsRequestUsage;
  readonly s3: AwsRequestUsage;
  /** Messages handed to the handler. */
  readonly deliveries: number;
  /** Handler invocations (SQS events): one per message in batches of one, fewer when batches are queued. */
  readonly invocations: number;
  readonly timerDeliveries: number;
  /** Wall time spent in the handler, ms. */
  readonly handlerMs: number;
  /**
   * Billed SQS requests of the messages the orchestrator consumed: each one's send (by whoever sent it,
   * per started 64 KB) plus the event source's receive and delete.
   */
  readonly consumedSqsRequests: number;
  /** The orchestrator's other billed SQS requests: queue URL lookups, dead letters, visibility changes. */
  readonly otherSqsRequests: number;
  /** Capability requests sent, and their billed SQS requests (send, and the capability's receive and delete). */
  readonly capabilityRequests: number;
  readonly capabilitySqsRequests: number;
  /** Steps the engine reported (its StepDuration metric: one per node execution). */
  readonly steps: number;
  /** TIMER_FIRED messages the orchestrator sent to SQS (timers due within 15 minutes, and re-arms). */
  readonly timerSends: number;
  /** EventBridge Scheduler one-time schedules that fire (one invocation each): created, not withdrawn. */
  readonly schedules: number;
}

const NO_USAGE: EngineUsage = {
  dynamodb: NO_DYNAMODB_USAGE,
  sqs: NO_AWS_REQUESTS,
  s3: NO_AWS_REQUESTS,
  deliveries: 0,
  invocations: 0,
  timerDeliveries: 0,
  handlerMs: 0,
  consumedSqsRequests: 0,
  otherSqsRequests: 0,
  capabilityRequests: 0,
  capabilitySqsRequests: 0,
  steps: 0,
  timerSends: 0,
  schedules: 0,
};

interface Delivery {
  readonly queue: 'command' | 'reply';
  readonly body: string;
  readonly attributes: SentMessage['attributes'];
  readonly at: number;
  readonly messageId: string;
  readonly receives: number;
  /** The EventBridge schedule that delivers it, if any. */
  readonly schedule?: string;
}

/** Replies a capability gives to a request: none (it never answers), or some after a delay. */
export type Replier = (
  request: AsyncRequestMessage,
) => { replies: AsyncResponse[]; delayMs?: number } | undefined;

/** How long a capability takes to answer, unless a replier says otherwise. */
export const CAPABILITY_LATENCY_MS = 1000;

/** The default capability: SUCCESS after a second, with a value for every expected output key. */
export const replyAtOnce: Replier = (request) => ({
  delayMs: CAPABILITY_LATENCY_MS,
  replies: [
    {
      type: 'ASYNC_RESP',
      instance_id: request.instance_id,
      request_id: request.request_id,
      status: 'SUCCESS',
      outputs: Object.fromEntries(
        request.expected_output_keys.map((key) => [key, `mock://${request.capability_id}/${key}`]),
      ),
    },
  ],
});

/**
 * The orchestrator as the Lambda runs it (createAwsOrchestrator: DynamoDBSaver and the DynamoDB instance
 * store, the SQS dispatcher, timer scheduler and claim check, the S3 definition store, the batch
 * processor), on the embedded DynamoDB, SQS and S3 servers, with a fake clock. Every request of its three
 * SDK clients is metered. Messages it sends are taken from the wire and delivered by the bench itself, one
 * at a time, as one-record SQS events, at the time their delay says on the fake clock, so a 7-day wait
 * takes no real time. The bench plays the capabilities.
 */
export class MeteredEngine {
  readonly clock = new FakeClock('2026-11-02T00:00:00.000Z');
  private readonly orchestrator: AwsOrchestrator;
  private processor: SqsBatchProcessor | undefined;
  private readonly meters;
  private readonly deliveries: Delivery[] = [];
  private readonly requests: AsyncRequestMessage[] = [];
  /**
   * How messages reach the handler: `one` a message per event (SQS and Lambda at their least helpful, the
   * default); `queued` every message of the queue that is due at once, up to 10 per event, as a receive
   * returns what the queue holds (replies of a fan-out answered together).
   */
  batching: 'one' | 'queued' = 'one';

  /** Runs `measure` with the messages handed over as `batching` says, then as before. */
  async batchedAs<T>(batching: MeteredEngine['batching'], measure: () => Promise<T>): Promise<T> {
    const previous = this.batching;
    this.batching = batching;
    try {
      return await measure();
    } finally {
      this.batching = previous;
    }
  }
  private counters = {
    deliveries: 0,
    invocations: 0,
    timerDeliveries: 0,
    handlerMs: 0,
    consumedSqsRequests: 0,
    otherSqsRequests: 0,
    capabilityRequests: 0,
    capabilitySqsRequests: 0,
    steps: 0,
    timerSends: 0,
    schedules: 0,
  };
  private readonly dynamodb: DynamoDBClient;
  private readonly store: DynamoDbInstanceStore;
  private readonly sqs: SQSClient;
  private readonly s3: S3Client;
  private readonly knownDomains = new Set<string>();

  private constructor(
    private readonly servers: LocalServers,
    private readonly owned: { readonly logDir: string } | undefined,
    meter: boolean,
    private readonly scheduler: SchedulerEndpoint | undefined,
  ) {
    const { aws, resources } = servers;
    const discard = () => undefined;
    this.orchestrator = createAwsOrchestrator({
      stage: resources.stage,
      clients: aws.clientConfig,
      clock: this.clock,
      replyKeys: resources.replyKeys,
      ...(scheduler
        ? {
            timers: {
              kind: 'eventbridge' as const,
              roleArn: 'arn:aws:iam::000000000000:role/bench-timer-schedules',
              commandQueueArn: resources.commandQueue.arn,
              client: {
                endpoint: scheduler.url,
                region: 'us-east-1',
                credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
              },
            },
          }
        : {}),
      // The Lambda's pino JSON logs and EMF metrics, serialized as in production, written nowhere.
      logger: createPinoLogger({ write: discard }),
      metrics: this.countingSteps(
        new EmfMetrics(resources.names.metricsNamespace, resources.names.metricDimensions, discard),
      ),
    });
    const { clients } = this.orchestrator;
    const observer = {
      onSent: (message: SentMessage) => this.onSent(message),
      onRequest: (operation: string, queueUrl: string, billed: number) =>
        this.onSqsRequest(operation, queueUrl, billed),
    };
    this.meters = {
      dynamodb: meter ? meterDynamoDb(clients.dynamodb) : { usage: () => NO_DYNAMODB_USAGE },
      sqs: meterAwsRequests(clients.sqs, 'SQS', observer, meter),
      s3: meter ? meterAwsRequests(clients.s3, 'S3') : { usage: () => NO_AWS_REQUESTS },
    };
    this.dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
    this.store = new DynamoDbInstanceStore(this.dynamodb, resources.names.stateTable, this.clock);
    this.sqs = new SQSClient(aws.clientConfig.sqs);
    this.s3 = new S3Client(aws.clientConfig.s3);
    for (const domain of resources.capabilityQueues.keys()) this.knownDomains.add(domain);
  }

  /** The metrics port, counting the steps the engine reports (one StepDuration per node execution). */
  private countingSteps(metrics: Metrics): Metrics {
    return {
      record: (name, value, dimensions) => {
        if (name === 'StepDuration') this.counters.steps += 1;
        metrics.record(name, value, dimensions);
      },
    };
  }

  /**
   * An engine on `servers` (shared, left running by `stop`), or on embedded servers of its own in this
   * process. `meter: false` leaves out the DynamoDB and S3 meters (for CPU measurements); messages sent to
   * SQS are still taken from the wire. `timers`: the orchestrator's SQS timers (the default, as on the
   * local stack) or its EventBridge Scheduler timers (the AWS default), against the bench's scheduler
   * endpoint.
   */
  static async start(
    options: { servers?: LocalServers; meter?: boolean; timers?: 'sqs' | 'eventbridge' } = {},
  ): Promise<MeteredEngine> {
    const meter = options.meter ?? true;
    const holder: { engine?: MeteredEngine } = {};
    const scheduler =
      options.timers === 'eventbridge'
        ? await startSchedulerEndpoint(
            (schedule) => holder.engine?.onSchedule(schedule),
            (name) => holder.engine?.onScheduleDeleted(name),
          )
        : undefined;
    if (options.servers) {
      holder.engine = new MeteredEngine(options.servers, undefined, meter, scheduler);
      return holder.engine;
    }
    const logDir = mkdtempSync(join(tmpdir(), 'cch-bench-'));
    const servers = await startLocalServers({
      ports: { dynamodb: 0, sqs: 0, s3: 0 },
      owner: 'bench',
      retentionSweepMs: false,
      log: fileLogSink(join(logDir, 'servers.log')),
    });
    holder.engine = new MeteredEngine(servers, { logDir }, meter, scheduler);
    return holder.engine;
  }

  /**
   * Uploads a definition as `<workflow_id>.yaml`, and the children it starts under their keys, and gives
   * their capability domains request queues.
   */
  async upload(workflow: BenchWorkflow): Promise<void> {
    const definitions = [
      { key: `${workflow.workflowId}.yaml`, text: workflow.text },
      ...(workflow.children ?? []),
    ];
    for (const { key, text } of definitions) {
      const domains = domainsOfDefinitionText(text).filter((d) => !this.knownDomains.has(d));
      if (domains.length > 0) {
        await ensureCapabilityQueues(this.sqs, this.servers.resources.stage, domains);
        for (const d of domains) this.knownDomains.add(d);
      }
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.servers.resources.names.definitionsBucket,
          Key: key,
          Body: text,
        }),
      );
    }
  }

  usage(): EngineUsage {
    return {
      dynamodb: this.meters.dynamodb.usage(),
      sqs: this.meters.sqs.usage(),
      s3: this.meters.s3.usage(),
      ...this.counters,
    };
  }

  /** Puts a message on the command (START, CANCEL) or reply queue, visible after `delayMs`. */
  send(message: InboundMessage, delayMs = 0): void {
    this.deliveries.push({
      queue: message.type === 'ASYNC_RESP' ? 'reply' : 'command',
      body: JSON.stringify(message),
      attributes: {},
      at: this.clock.now().getTime() + delayMs,
      messageId: randomUUID(),
      receives: 0,
    });
  }

  /** Capability requests sent since the last call. */
  takeRequests(): AsyncRequestMessage[] {
    return this.requests.splice(0);
  }

  /** Messages waiting for delivery (timers included), and when the next is due. */
  pendingDeliveries(): { count: number; timers: number; nextAt?: number } {
    const next = Math.min(...this.deliveries.map((d) => d.at));
    return {
      count: this.deliveries.length,
      timers: this.deliveries.filter((d) => isTimer(d.body)).length,
      ...(Number.isFinite(next) ? { nextAt: next } : {}),
    };
  }

  /**
   * Delivers the next message (moving the clock to it if none is due) as a one-record SQS event to the
   * handler; `undefined` when none is left. A record the handler fails comes back 10 s later.
   */
  async deliverNext(): Promise<{ type: string; failed: boolean; count: number; done: number } | undefined> {
    if (this.deliveries.length === 0) return undefined;
    this.deliveries.sort((a, b) => a.at - b.at);
    const first = this.deliveries.shift() as Delivery;
    if (first.at > this.clock.now().getTime()) this.clock.set(first.at);
    const batch = [first, ...this.queuedWith(first)];
    const processor = (this.processor ??= await this.orchestrator.processor());
    const { resources } = this.servers;
    const queue = first.queue === 'command' ? resources.commandQueue : resources.replyQueue;
    const now = String(Date.now());
    const records = batch.map((delivery): SQSRecord => ({
      messageId: delivery.messageId,
      receiptHandle: `bench-${delivery.messageId}-${delivery.receives}`,
      body: delivery.body,
      attributes: {
        ApproximateReceiveCount: String(delivery.receives + 1),
        SentTimestamp: now,
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: now,
      },
      messageAttributes: toLambdaAttributes(delivery.attributes),
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    }));
    const type = /"type":"([A-Z_]+)"/.exec(first.body)?.[1] ?? 'POINTER';
    this.counters.invocations += 1;
    // A receive and a (batch) delete per event, and each message's send.
    this.counters.consumedSqsRequests += 2;
    for (const delivery of batch) {
      this.counters.deliveries += 1;
      if (isTimer(delivery.body)) this.counters.timerDeliveries += 1;
      this.counters.consumedSqsRequests += sqsBilledRequests(
        Buffer.byteLength(delivery.body) + attributeBytes(delivery.attributes),
      );
    }
    const began = performance.now();
    const response = await processor.process({ Records: records });
    const elapsed = performance.now() - began;
    this.counters.handlerMs += elapsed;
    // The fake clock moves with the work too, so steps get the distinct timestamps real ones would.
    this.clock.advance(Math.max(1, Math.round(elapsed)));
    const failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const delivery of batch.filter((d) => failedIds.has(d.messageId))) {
      this.deliveries.push({
        ...delivery,
        at: this.clock.now().getTime() + 10_000,
        receives: delivery.receives + 1,
      });
    }
    return { type, failed: failedIds.size > 0, count: batch.length, done: batch.length - failedIds.size };
  }

  /** With `batching: 'queued'`: the other messages of `first`'s queue due now, up to 10 in all (taken). */
  private queuedWith(first: Delivery): Delivery[] {
    if (this.batching === 'one') return [];
    const now = this.clock.now().getTime();
    const due = this.deliveries.filter((d) => d.queue === first.queue && d.at <= now).slice(0, SQS_BATCH - 1);
    for (const d of due) this.deliveries.splice(this.deliveries.indexOf(d), 1);
    return due;
  }

  /**
   * Plays the capabilities with `replier` and delivers every message until none is left (timers too, the
   * clock jumping to each), or `maxDeliveries` events. Returns how many events were delivered.
   */
  async runUntilQuiet(replier: Replier = replyAtOnce, maxDeliveries = 100_000): Promise<number> {
    let delivered = 0;
    for (;;) {
      this.answer(replier);
      if (delivered >= maxDeliveries || !(await this.deliverNext())) break;
      delivered += 1;
    }
    this.answer(replier);
    return delivered;
  }

  /** Answers the requests sent so far with `replier` (the replies go on the reply queue). */
  answer(replier: Replier = replyAtOnce): void {
    for (const request of this.takeRequests()) {
      const planned = replier(request);
      for (const reply of planned?.replies ?? []) this.send(reply, planned?.delayMs ?? CAPABILITY_LATENCY_MS);
    }
  }

  /**
   * Delivers (answering requests with `replier`) until nothing but timers is left to deliver; reads
   * nothing itself, so what the process spends is the handler's. Returns the events delivered.
   */
  async deliverUntilOnlyTimers(replier: Replier = replyAtOnce): Promise<number> {
    let delivered = 0;
    for (;;) {
      this.answer(replier);
      if (this.deliveries.every((d) => isTimer(d.body))) return delivered;
      await this.deliverNext();
      delivered += 1;
    }
  }

  /** Drops the messages waiting for delivery (e.g. timers of an instance the figure is done with). */
  dropPending(filter: (body: string) => boolean = () => true): number {
    const dropped = this.deliveries.filter((d) => filter(d.body));
    for (const d of dropped) this.deliveries.splice(this.deliveries.indexOf(d), 1);
    return dropped.length;
  }

  /** The instance's status record, read by the bench's own (unmetered) client. */
  async record(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.store.get(instanceId);
  }

  /** Delivers (answering requests with `replier`) until the instance ends; false if it never does. */
  async deliverUntilEnded(instanceId: string, replier: Replier = replyAtOnce): Promise<boolean> {
    for (;;) {
      this.answer(replier);
      const record = await this.record(instanceId);
      if (record && isTerminal(record.status)) return true;
      if (!(await this.deliverNext())) return false;
    }
  }

  async stop(): Promise<void> {
    for (const client of Object.values(this.orchestrator.clients)) client.destroy();
    this.dynamodb.destroy();
    this.sqs.destroy();
    this.s3.destroy();
    await this.scheduler?.stop();
    if (this.owned) {
      await this.servers.stop();
      rmSync(this.owned.logDir, { recursive: true, force: true });
    }
  }

  /**
   * Sorts the orchestrator's SQS requests: sends to a capability queue are capability message costs;
   * sends to the command or reply queue are counted with the message when it is consumed; the rest
   * (lookups, dead letters, visibility changes) are the orchestrator's own.
   */
  private onSqsRequest(operation: string, queueUrl: string, billed: number): void {
    const { resources } = this.servers;
    const send = operation === 'SendMessage' || operation === 'SendMessageBatch';
    if (send && CAPABILITY_QUEUE.test(queueUrl)) this.counters.capabilitySqsRequests += billed;
    else if (send && (queueUrl === resources.commandQueue.url || queueUrl === resources.replyQueue.url))
      return;
    else this.counters.otherSqsRequests += billed;
  }

  /** A schedule fires once, at its time: its TIMER_FIRED goes to the command queue then. */
  private onSchedule(schedule: CreatedSchedule): void {
    this.counters.schedules += 1;
    this.deliveries.push({
      queue: 'command',
      body: schedule.input,
      attributes: {},
      at: Math.max(schedule.atMs, this.clock.now().getTime()),
      messageId: randomUUID(),
      receives: 0,
      schedule: schedule.name,
    });
  }

  /** A schedule deleted before it fired: never delivered, never billed (Scheduler bills invocations). */
  private onScheduleDeleted(name: string): void {
    const index = this.deliveries.findIndex((d) => d.schedule === name);
    if (index < 0) return;
    this.deliveries.splice(index, 1);
    this.counters.schedules -= 1;
  }

  private onSent(message: SentMessage): void {
    const { resources } = this.servers;
    if (isTimer(message.body)) this.counters.timerSends += 1;
    const delayMs = message.delaySeconds * 1000;
    const at = this.clock.now().getTime() + delayMs;
    if (message.queueUrl === resources.commandQueue.url || message.queueUrl === resources.replyQueue.url) {
      this.deliveries.push({
        queue: message.queueUrl === resources.commandQueue.url ? 'command' : 'reply',
        body: message.body,
        attributes: message.attributes,
        at,
        messageId: randomUUID(),
        receives: 0,
      });
      return;
    }
    if (!CAPABILITY_QUEUE.test(message.queueUrl)) return; // a DLQ: dead letters stay there
    this.counters.capabilityRequests += 1;
    // Received and deleted once by the capability (the send is counted per request, in onSqsRequest).
    this.counters.capabilitySqsRequests += 2;
    try {
      const parsed = JSON.parse(message.body) as AsyncRequestMessage;
      if (parsed.type === 'ASYNC_REQ') this.requests.push(parsed);
    } catch {
      // A claim-check pointer: the bench's requests are small, so this does not happen.
    }
  }
}

/** The most messages one SQS receive returns, and one Lambda event holds. */
const SQS_BATCH = 10;
const CAPABILITY_QUEUE = /-capability-.*-request-queue$/;

const isTimer = (body: string) => body.includes('"TIMER_FIRED"');

function attributeBytes(attributes: SentMessage['attributes']): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

export function usageDelta(after: EngineUsage, before: EngineUsage = NO_USAGE): EngineUsage {
  return {
    dynamodb: dynamoDbDelta(after.dynamodb, before.dynamodb),
    sqs: awsRequestDelta(after.sqs, before.sqs),
    s3: awsRequestDelta(after.s3, before.s3),
    deliveries: after.deliveries - before.deliveries,
    invocations: after.invocations - before.invocations,
    timerDeliveries: after.timerDeliveries - before.timerDeliveries,
    handlerMs: after.handlerMs - before.handlerMs,
    consumedSqsRequests: after.consumedSqsRequests - before.consumedSqsRequests,
    otherSqsRequests: after.otherSqsRequests - before.otherSqsRequests,
    steps: after.steps - before.steps,
    timerSends: after.timerSends - before.timerSends,
    schedules: after.schedules - before.schedules,
    capabilityRequests: after.capabilityRequests - before.capabilityRequests,
    capabilitySqsRequests: after.capabilitySqsRequests - before.capabilitySqsRequests,
  };
}
