import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { MemorySaver } from '@langchain/langgraph';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { toSqsRecord } from '../../../scripts/local-aws/sqs-poller';
import { EngineError } from '../runtime/errors';
import { ack, defer, reject, retry, type HandleOutcome } from '../runtime/handle-outcome';
import type { InboundMessage } from '../runtime/messages';
import { FakeClock } from '../runtime/memory/fake-clock';
import { MemoryDefinitionStore } from '../runtime/memory/memory-definition-store';
import { MemoryInstanceStore } from '../runtime/memory/memory-instance-store';
import {
  RecordingDispatcher,
  RecordingLogger,
  RecordingMetrics,
  RecordingTimerScheduler,
} from '../runtime/memory/recording-ports';
import { OrchestratorRuntime, type InboundReply } from '../runtime/orchestrator-runtime';
import type { Delivery, Lease } from '../runtime/ports';
import { exampleText, SHIPMENT_CONTEXT } from '../runtime/testing/example-workflows';
import { builtinSyncCapabilities } from '../sync-capabilities/registry';
import { QueueUrls } from './queue-urls';
import {
  DEFAULT_MAX_RECEIVES,
  DEFERRALS_ATTRIBUTE,
  FIRST_RECEIVED_ATTRIBUTE,
  ORIGINAL_SENDER_ATTRIBUTE,
  SqsBatchProcessor,
} from './sqs-batch-processor';
import { PAYLOAD_POINTER_CLASS, SqsClaimCheck } from './sqs-claim-check';
import { DEAD_LETTER_REASON_ATTRIBUTE, DEAD_LETTERED } from './sqs-dead-letter';
import { stringAttribute } from './sqs-message-attributes';

jest.setTimeout(20_000);

const WORKFLOW = 'import_vn_memphis_v1';
const BUCKET = 'cch-test-batch-eventdata-bucket';
const ACCOUNT_ARN = 'arn:aws:sqs:us-east-1:123456789012';

let aws: EmbeddedAws;
let sqs: SQSClient;
let s3: S3Client;
let queues = 0;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
  s3 = new S3Client(aws.clientConfig.s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

/** An instance store that fails in a way the runtime does not expect, for one instance only. */
class ExplodingInstanceStore extends MemoryInstanceStore {
  constructor(
    clock: FakeClock,
    private readonly explodes: string,
  ) {
    super(clock);
  }

  override acquireLease(instanceId: string, ttlMs: number): Promise<Lease | undefined> {
    if (instanceId === this.explodes) return Promise.reject(new Error('disk on fire'));
    return super.acquireLease(instanceId, ttlMs);
  }
}

/** What the processor asks of the runtime, scripted: each call takes the next outcome (or throws it). */
class ScriptedRuntime {
  readonly handled: InboundMessage[] = [];
  readonly deliveries: (Delivery | undefined)[] = [];
  constructor(private readonly outcomes: (HandleOutcome | Error)[]) {}

  handle(message: InboundMessage, _messageId?: string, delivery?: Delivery): Promise<HandleOutcome> {
    this.handled.push(message);
    this.deliveries.push(delivery);
    const next = this.outcomes.shift() ?? { kind: 'ack' };
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }
}

/** A scripted runtime that also takes replies together: each call of either takes the next outcome(s). */
class ScriptedTogetherRuntime extends ScriptedRuntime {
  readonly together: InboundReply[][] = [];

  constructor(
    outcomes: (HandleOutcome | Error)[],
    private readonly batches: (HandleOutcome[] | Error)[],
  ) {
    super(outcomes);
  }

  handleReplies(replies: readonly InboundReply[]): Promise<HandleOutcome[]> {
    this.together.push([...replies]);
    const next = this.batches.shift() ?? replies.map(() => ack());
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }
}

interface SetupOptions {
  readonly explodes?: string;
  /** A scripted runtime instead of the real one. */
  readonly outcomes?: (HandleOutcome | Error)[];
  /** With `outcomes`: the scripted runtime takes replies together too, with these outcomes per call. */
  readonly together?: (HandleOutcome[] | Error)[];
  /** Create the queue's DLQ (default true). */
  readonly dlq?: boolean;
  /** The SQS client the processor uses (to inject faults); default the shared one. */
  readonly client?: SQSClient;
  /** Principals whose copies carry their original's sender. */
  readonly relaySenderIds?: readonly string[];
  /** The message types the queue carries (default: any). */
  readonly messageTypes?: readonly InboundMessage['type'][];
}

/**
 * A fresh work queue (30 s visibility) named like the real ones, so its DLQ follows from its name, and the
 * processor under test on the real runtime over in-memory ports (or a scripted runtime).
 */
async function setup(options: SetupOptions = {}) {
  const name = `cch-test-batch${++queues}-orchestrator-command-queue`;
  const queueUrl = (
    await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }))
  ).QueueUrl as string;
  const dlqName = name.replace(/-queue$/, '-dlq');
  const dlqUrl =
    options.dlq === false
      ? ''
      : ((await sqs.send(new CreateQueueCommand({ QueueName: dlqName }))).QueueUrl as string);
  const clock = new FakeClock();
  const definitions = new MemoryDefinitionStore();
  definitions.put(`${WORKFLOW}.yaml`, exampleText(WORKFLOW));
  const instances = options.explodes
    ? new ExplodingInstanceStore(clock, options.explodes)
    : new MemoryInstanceStore(clock);
  const dispatcher = new RecordingDispatcher();
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const scripted = options.outcomes
    ? options.together
      ? new ScriptedTogetherRuntime(options.outcomes, options.together)
      : new ScriptedRuntime(options.outcomes)
    : undefined;
  const runtime =
    scripted ??
    new OrchestratorRuntime({
      definitions,
      instances,
      checkpointer: new MemorySaver(),
      dispatcher,
      timers: new RecordingTimerScheduler(),
      clock,
      logger,
      metrics,
      syncCapabilities: builtinSyncCapabilities,
      replyTo: 'memory://reply-queue',
      notReadyRetrySeconds: 1,
    });
  const client = options.client ?? sqs;
  const claimCheck = new SqsClaimCheck({ s3, bucket: BUCKET, prefix: 'sqs-payloads/' });
  const processor = new SqsBatchProcessor({
    runtime,
    sqs: client,
    queues: new QueueUrls(client),
    claimCheck,
    logger,
    ...(options.relaySenderIds ? { relaySenderIds: options.relaySenderIds } : {}),
    ...(options.messageTypes ? { messageTypesByQueue: { [name]: options.messageTypes } } : {}),
  });
  return {
    name,
    arn: `${ACCOUNT_ARN}:${name}`,
    queueUrl,
    dlqUrl,
    instances,
    dispatcher,
    metrics,
    logger,
    processor,
    scripted,
    claimCheck,
  };
}

type Outgoing = string | { body: string; attributes: Record<string, MessageAttributeValue> };

/** Receives everything visible now (local-aws-sqs waits the full wait time for partial batches: poll at 0). */
async function receiveAll(queueUrl: string, visibility = 30): Promise<Message[]> {
  const messages = new Map<string, Message>();
  for (let empty = 0; empty < 2;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: visibility,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const got = response.Messages ?? [];
    if (got.length === 0) empty++;
    for (const message of got) messages.set(message.MessageId ?? '', message);
  }
  return [...messages.values()];
}

/**
 * Sends the messages and receives them back as a Lambda-style event with real receipt handles, each
 * received `receives` times (so ApproximateReceiveCount is that), records in the order sent.
 */
async function deliver(
  t: { queueUrl: string; arn: string },
  messages: readonly Outgoing[],
  receives = 1,
): Promise<SQSEvent> {
  const bodies: string[] = [];
  for (const m of messages) {
    const { body, attributes } = typeof m === 'string' ? { body: m, attributes: undefined } : m;
    bodies.push(body);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: t.queueUrl,
        MessageBody: body,
        ...(attributes ? { MessageAttributes: attributes } : {}),
      }),
    );
  }
  // Earlier receives of a single message, one message per call with visibility 0, so it is back at once.
  // (Not ChangeMessageVisibility, and not more per call: local-aws-sqs counts either as extra receives.)
  if (receives > 1) expect(bodies).toHaveLength(1);
  for (let n = 1; n < receives; n++) {
    let got: Message[] = [];
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: t.queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      got = response.Messages ?? [];
    }
    expect(got).toHaveLength(1);
  }
  const received: Message[] = [];
  const deadline = Date.now() + 5000;
  while (received.length < bodies.length && Date.now() < deadline) {
    received.push(...(await receiveAll(t.queueUrl)));
  }
  expect(received).toHaveLength(bodies.length);
  const records = bodies.map((body) => {
    const message = received.find((m) => m.Body === body);
    if (!message) throw new Error(`not received: ${body}`);
    return toSqsRecord(message, t.arn);
  });
  for (const record of records) expect(record.attributes.ApproximateReceiveCount).toBe(String(receives));
  return { Records: records };
}

/** Deletes the records the processor did not fail, as Lambda's event source mapping does. */
async function deleteDone(t: { queueUrl: string }, event: SQSEvent, failed: readonly string[]) {
  for (const record of event.Records.filter((r) => !failed.includes(r.messageId))) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: t.queueUrl, ReceiptHandle: record.receiptHandle }));
  }
}

const json = (message: InboundMessage) => JSON.stringify(message);
const start = (instanceId: string, workflowId = WORKFLOW, context = SHIPMENT_CONTEXT): InboundMessage => ({
  type: 'START_WORKFLOW',
  workflow_id: workflowId,
  instance_id: instanceId,
  context,
});
const reply = (instanceId: string, node = 'Node'): InboundMessage => ({
  type: 'ASYNC_RESP',
  instance_id: instanceId,
  request_id: `${instanceId}:${node}:1`,
  status: 'SUCCESS',
  outputs: {},
});
const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();
const idsOf = (event: SQSEvent, ...indexes: number[]) =>
  indexes.map((i) => event.Records[i]?.messageId ?? '').sort();
const recordOf = (event: SQSEvent, i = 0) => event.Records[i] as SQSRecord;
const deadLettered = (logger: RecordingLogger) => logger.lines.filter((l) => l.message === DEAD_LETTERED);
const reasonOf = (message: Message | undefined) =>
  message?.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue;

async function waitForMessages(queueUrl: string, count: number, timeoutMs: number): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  let messages: Message[] = [];
  while (messages.length < count && Date.now() < deadline) {
    messages = [...messages, ...(await receiveAll(queueUrl))];
    if (messages.length < count) await new Promise((r) => setTimeout(r, 100));
  }
  return messages;
}

describe('SqsBatchProcessor (local-aws-sqs, s3rver)', () => {
  describe('poison and rejected messages go to the DLQ at once, with their reason', () => {
    it('not JSON and schema-invalid records are dead-lettered, not failed; the valid START is applied', async () => {
      const t = await setup();
      const invalid = JSON.stringify({
        type: 'START_WORKFLOW',
        workflow_id: 'has spaces!',
        instance_id: 'b-1',
      });
      const event = await deliver(t, ['this is {not JSON', invalid, json(start('inst-good'))]);

      const response = await t.processor.process(event);

      expect(response.batchItemFailures).toEqual([]);
      expect((await t.instances.get('inst-good'))?.status).toBe('WAITING');
      const dead = await receiveAll(t.dlqUrl);
      expect(dead.map((m) => m.Body).sort()).toEqual(['this is {not JSON', invalid].sort());
      const byBody = new Map(dead.map((m) => [m.Body, reasonOf(m)]));
      expect(byBody.get('this is {not JSON')).toMatch(/^the body is not JSON/);
      expect(byBody.get(invalid)).toMatch(/^invalid START_WORKFLOW: workflow_id/);

      const lines = deadLettered(t.logger);
      expect(lines).toHaveLength(2);
      expect(lines.every((l) => l.level === 'error')).toBe(true);
      expect(lines.map((l) => l.fields.message_id).sort()).toEqual(idsOf(event, 0, 1));
      expect(lines[0]?.fields).toMatchObject({ queue: t.name, reason: expect.any(String) as string });
    });

    it('a reject (unknown workflow) is dead-lettered with its body, its attributes and the reason; logged once', async () => {
      const t = await setup();
      const body = json(start('inst-x', 'no_such_workflow'));
      const attributes = {
        trace: stringAttribute('abc-123'),
        priority: { DataType: 'Number', StringValue: '7' },
      };
      const event = await deliver(t, [{ body, attributes }, json(start('inst-y'))]);
      expect(recordOf(event).messageAttributes.trace).toMatchObject({
        dataType: 'String',
        stringValue: 'abc-123',
      });

      const response = await t.processor.process(event);

      expect(response.batchItemFailures).toEqual([]);
      expect((await t.instances.get('inst-y'))?.status).toBe('WAITING');
      const [dead, ...more] = await receiveAll(t.dlqUrl);
      expect(more).toEqual([]);
      expect(dead?.Body).toBe(body);
      expect(dead?.MessageAttributes).toMatchObject({
        trace: { DataType: 'String', StringValue: 'abc-123' },
        priority: { DataType: 'Number', StringValue: '7' },
        [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: 'String' },
      });
      expect(reasonOf(dead)).toMatch(/unknown workflow/);
      const lines = deadLettered(t.logger);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'error',
        fields: {
          reason: reasonOf(dead),
          queue: t.name,
          message_id: recordOf(event).messageId,
          instance_id: 'inst-x',
          workflow_id: 'no_such_workflow',
          message_type: 'START_WORKFLOW',
        },
      });
      // Nothing is left on the work queue once the processed records are deleted.
      await deleteDone(t, event, failedIds(response));
      expect(await receiveAll(t.queueUrl, 0)).toEqual([]);
    });

    it('when the DLQ cannot take the message, the record stays failed (the redrive policy is the backstop)', async () => {
      const t = await setup({ dlq: false });
      const event = await deliver(t, ['not json at all']);
      const response = await t.processor.process(event);
      expect(failedIds(response)).toEqual(idsOf(event, 0));
      expect(deadLettered(t.logger)).toEqual([]);
      expect(t.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'could not dead-letter the message; it stays on its queue for the redrive policy',
        }),
      );
    });
  });

  describe('each queue carries its own message types', () => {
    it('a command on the reply queue is dead-lettered unread, whoever sent it; the reply beside it is applied', async () => {
      const t = await setup({ outcomes: [ack()], messageTypes: ['ASYNC_RESP'] });
      const cancel = json({ type: 'CANCEL_WORKFLOW', instance_id: 'q-1', reason: 'from a team' });
      const event = await deliver(t, [json(start('q-2')), cancel, json(reply('q-3'))]);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      expect(t.scripted?.deliveries).toHaveLength(1);
      const dead = await waitForMessages(t.dlqUrl, 2, 5000);
      expect(new Map(dead.map((m) => [m.Body, reasonOf(m)]))).toEqual(
        new Map([
          [
            json(start('q-2')),
            `START_WORKFLOW does not belong on ${t.name}, which carries ASYNC_RESP only; nothing was applied`,
          ],
          [
            cancel,
            `CANCEL_WORKFLOW does not belong on ${t.name}, which carries ASYNC_RESP only; nothing was applied`,
          ],
        ]),
      );
    });

    it('a reply on the command queue is dead-lettered with who sent it', async () => {
      const t = await setup({
        outcomes: [],
        messageTypes: ['START_WORKFLOW', 'CANCEL_WORKFLOW', 'REDRIVE_WORKFLOW', 'TIMER_FIRED'],
      });
      const event = await deliver(t, [json(reply('q-4'))]);
      (event.Records[0] as SQSRecord).attributes.SenderId = 'AROATEAM:capability';
      expect((await t.processor.process(event)).batchItemFailures).toEqual([]);
      expect(t.scripted?.deliveries).toEqual([]);
      const [dead] = await waitForMessages(t.dlqUrl, 1, 5000);
      expect(reasonOf(dead)).toBe(
        `ASYNC_RESP does not belong on ${t.name}, which carries START_WORKFLOW, CANCEL_WORKFLOW, REDRIVE_WORKFLOW, TIMER_FIRED only; nothing was applied`,
      );
      expect(dead?.MessageAttributes?.[ORIGINAL_SENDER_ATTRIBUTE]?.StringValue).toBe('AROATEAM:capability');
    });
  });

  describe('who sent a reply', () => {
    it("is SQS's SenderId; a copy's claim of its original sender counts only when a relay (the orchestrator) sent it", async () => {
      const t = await setup({
        outcomes: [ack(), ack(), ack(), ack()],
        relaySenderIds: ['AROAORCHESTRATOR'],
      });
      const claim = { [ORIGINAL_SENDER_ATTRIBUTE]: stringAttribute('AROATEAM:capability') };
      const event = await deliver(t, [
        json(reply('who-1')),
        { body: json(reply('who-2')), attributes: claim },
        { body: json(reply('who-3')), attributes: claim },
        json(start('who-4')),
      ]);
      const [plain, claimed, relayed, command] = event.Records;
      if (!plain || !claimed || !relayed || !command) throw new Error('four records expected');
      plain.attributes.SenderId = 'AROATEAM:capability';
      claimed.attributes.SenderId = 'AROAINTRUDER:x';
      relayed.attributes.SenderId = 'AROAORCHESTRATOR:cch-dev-alice-workflow-orchestrator-function';
      await t.processor.process(event);
      expect(t.scripted?.deliveries.map((d) => d?.senderId)).toEqual([
        'AROATEAM:capability',
        'AROAINTRUDER:x',
        'AROATEAM:capability',
        undefined,
      ]);
    });

    it('a refused reply lands in the DLQ with its reason and who sent it', async () => {
      const t = await setup({ outcomes: [reject('reply refused (REQUEST_ID_FORGED): not ours')] });
      const event = await deliver(t, [json(reply('who-5'))]);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await waitForMessages(t.dlqUrl, 1, 5000);
      expect(dead?.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toBe(
        'reply refused (REQUEST_ID_FORGED): not ours',
      );
      expect(dead?.MessageAttributes?.[ORIGINAL_SENDER_ATTRIBUTE]?.StringValue).toBe(
        event.Records[0]?.attributes.SenderId,
      );
    });
  });

  describe('defer', () => {
    it('sends a delayed copy with the same body and attributes, then acks the original', async () => {
      const t = await setup({ outcomes: [defer('instance busy', 2)] });
      const body = json(reply('inst-busy'));
      const attributes = { request_id: stringAttribute('inst-busy:Node:1') };
      const event = await deliver(t, [{ body, attributes }]);
      const original = recordOf(event);

      const response = await t.processor.process(event);
      const processedAt = Date.now();

      expect(response.batchItemFailures).toEqual([]);
      await deleteDone(t, event, []);
      // The copy is delayed: nothing at once, then one message after ~2 s, a new one (receive count 1).
      expect(await receiveAll(t.queueUrl)).toEqual([]);
      const [copy, ...more] = await waitForMessages(t.queueUrl, 1, 6000);
      expect(more).toEqual([]);
      expect(Date.now() - processedAt).toBeGreaterThanOrEqual(1500);
      expect(copy?.MessageId).not.toBe(original.messageId);
      expect(copy?.Attributes?.ApproximateReceiveCount).toBe('1');
      expect(copy?.Body).toBe(body);
      expect(copy?.MessageAttributes).toEqual({
        request_id: { DataType: 'String', StringValue: 'inst-busy:Node:1' },
        [DEFERRALS_ATTRIBUTE]: { DataType: 'Number', StringValue: '1' },
        [FIRST_RECEIVED_ATTRIBUTE]: {
          DataType: 'Number',
          StringValue: original.attributes.ApproximateFirstReceiveTimestamp,
        },
        // A reply's copy says who sent the original (the copy's own sender is the orchestrator).
        [ORIGINAL_SENDER_ATTRIBUTE]: { DataType: 'String', StringValue: original.attributes.SenderId },
      });
      expect(await receiveAll(t.dlqUrl)).toEqual([]);
      expect(t.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'info',
          message: 'message deferred',
          fields: expect.objectContaining({
            reason: 'instance busy',
            defer_seconds: 2,
            deferrals: 1,
          }) as unknown,
        }),
      );
    });

    it('a copy deferred again counts its deferrals and keeps when it was first received', async () => {
      const t = await setup({ outcomes: [defer('not ready', 0)] });
      const firstReceived = String(Date.now() - 3600_000);
      const event = await deliver(t, [
        {
          body: json(reply('inst-again')),
          attributes: {
            [DEFERRALS_ATTRIBUTE]: { DataType: 'Number', StringValue: '41' },
            [FIRST_RECEIVED_ATTRIBUTE]: { DataType: 'Number', StringValue: firstReceived },
          },
        },
      ]);
      await t.processor.process(event);
      await deleteDone(t, event, []);
      const [copy] = await waitForMessages(t.queueUrl, 1, 3000);
      expect(copy?.MessageAttributes?.[DEFERRALS_ATTRIBUTE]?.StringValue).toBe('42');
      expect(copy?.MessageAttributes?.[FIRST_RECEIVED_ATTRIBUTE]?.StringValue).toBe(firstReceived);
    });

    it('a message deferred for more than 3 days is dead-lettered with its reason, not deferred again', async () => {
      const t = await setup({ outcomes: [defer('reply not awaited yet', 10)] });
      const event = await deliver(t, [
        {
          body: json(reply('inst-never')),
          attributes: {
            [DEFERRALS_ATTRIBUTE]: { DataType: 'Number', StringValue: '400' },
            [FIRST_RECEIVED_ATTRIBUTE]: {
              DataType: 'Number',
              StringValue: String(Date.now() - 4 * 86_400_000),
            },
          },
        },
      ]);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await waitForMessages(t.dlqUrl, 1, 3000);
      expect(dead?.MessageAttributes?.['cch-dead-letter-reason']?.StringValue).toBe(
        'reply not awaited yet (deferred for more than 72 hours)',
      );
      await deleteDone(t, event, []);
      expect(await receiveAll(t.queueUrl)).toEqual([]);
    });

    it('deferring never dead-letters, however often the message was received before', async () => {
      const t = await setup({ outcomes: [defer('instance busy', 0)] });
      const event = await deliver(t, [json(reply('inst-patient'))], DEFAULT_MAX_RECEIVES);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      expect(await receiveAll(t.dlqUrl)).toEqual([]);
      await deleteDone(t, event, []);
      const [copy] = await waitForMessages(t.queueUrl, 1, 3000);
      expect(copy?.Attributes?.ApproximateReceiveCount).toBe('1');
    });

    it('when the copy cannot be sent, the original is retried instead: failed, visible again after the delay', async () => {
      const failing = new SQSClient(aws.clientConfig.sqs);
      failing.middlewareStack.add(
        (next, context) => (args) =>
          context.commandName === 'SendMessageCommand'
            ? Promise.reject(Object.assign(new Error('injected'), { name: 'InternalError' }))
            : next(args),
        { step: 'initialize' },
      );
      try {
        const t = await setup({ outcomes: [defer('instance busy', 1)], client: failing });
        const event = await deliver(t, [json(reply('inst-nocopy'))]);
        const response = await t.processor.process(event);
        expect(failedIds(response)).toEqual(idsOf(event, 0));
        const [again] = await waitForMessages(t.queueUrl, 1, 6000);
        expect(again?.MessageId).toBe(recordOf(event).messageId);
        expect(Number(again?.Attributes?.ApproximateReceiveCount)).toBeGreaterThan(1);
        expect(t.logger.lines.map((l) => l.message)).toContain(
          'could not defer the message; it will be retried instead',
        );
      } finally {
        failing.destroy();
      }
    });
  });

  describe('retry', () => {
    it('fails the record and makes it visible again after notReadyRetrySeconds', async () => {
      const t = await setup();
      const event = await deliver(t, [json(reply('inst-unknown'))]);

      const response = await t.processor.process(event);
      const processedAt = Date.now();

      expect(failedIds(response)).toEqual(idsOf(event, 0));
      expect(t.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'info',
          message: 'message will be retried',
          fields: expect.objectContaining({
            instance_id: 'inst-unknown',
            request_id: 'inst-unknown:Node:1',
            retry_in_seconds: 1,
          }) as unknown,
        }),
      );
      // Not at once (it is still in flight), but after ~1 s rather than the queue's 30 s timeout.
      expect(await receiveAll(t.queueUrl)).toHaveLength(0);
      const [again] = await waitForMessages(t.queueUrl, 1, 6000);
      const elapsed = Date.now() - processedAt;
      expect(again?.MessageId).toBe(recordOf(event).messageId);
      expect(Number(again?.Attributes?.ApproximateReceiveCount)).toBeGreaterThan(1);
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(6000);
    });

    it(`on the ${DEFAULT_MAX_RECEIVES}th receive a retry is dead-lettered with its reason`, async () => {
      const t = await setup({ outcomes: [retry('reply for unknown instance inst-late', 1)] });
      const event = await deliver(t, [json(reply('inst-late'))], DEFAULT_MAX_RECEIVES);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await receiveAll(t.dlqUrl);
      expect(reasonOf(dead)).toBe(
        `reply for unknown instance inst-late (still not processable after ${DEFAULT_MAX_RECEIVES} receives)`,
      );
    });

    it('when visibility cannot be shortened, the retry is still failed and the problem logged', async () => {
      const t = await setup({ outcomes: [retry('not yet', 1)] });
      const event = await deliver(t, [json(reply('inst-never'))]);
      const elsewhere = {
        Records: event.Records.map((r) => ({ ...r, eventSourceARN: `${ACCOUNT_ARN}:gone-queue` })),
      };

      const response = await t.processor.process(elsewhere);

      expect(failedIds(response)).toEqual(idsOf(event, 0));
      expect(t.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'could not shorten visibility; the message returns after the full timeout',
        }),
      );
    });
  });

  describe('errors and the receive-count threshold', () => {
    it('an unexpected exception fails that record only, while it is under the threshold', async () => {
      const t = await setup({ explodes: 'inst-boom' });
      const event = await deliver(t, [json(start('inst-boom')), json(start('inst-fine'))]);

      const response = await t.processor.process(event);

      expect(failedIds(response)).toEqual(idsOf(event, 0));
      expect((await t.instances.get('inst-fine'))?.status).toBe('WAITING');
      expect(
        t.logger.lines.find((l) => l.message === 'message failed; it will be redelivered'),
      ).toMatchObject({
        level: 'error',
        fields: {
          instance_id: 'inst-boom',
          message_id: recordOf(event).messageId,
          receive_count: 1,
          error: { code: 'UNEXPECTED', retryable: true, message: 'disk on fire' },
        },
      });
      expect(await receiveAll(t.dlqUrl)).toEqual([]);
    });

    it(`on the ${DEFAULT_MAX_RECEIVES}th receive an exception dead-letters the record with "<code>: <message>"`, async () => {
      const t = await setup({
        outcomes: [new EngineError('STORE_UNAVAILABLE', 'table is gone', true)],
      });
      const event = await deliver(t, [json(start('inst-doomed'))], DEFAULT_MAX_RECEIVES);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await receiveAll(t.dlqUrl);
      expect(dead?.Body).toBe(json(start('inst-doomed')));
      expect(reasonOf(dead)).toBe('STORE_UNAVAILABLE: table is gone');
      expect(deadLettered(t.logger)).toHaveLength(1);
    });

    it('one receive under the threshold, an exception still only fails the record', async () => {
      const t = await setup({ outcomes: [new Error('flaky')] });
      const event = await deliver(t, [json(start('inst-flaky'))], DEFAULT_MAX_RECEIVES - 1);
      const response = await t.processor.process(event);
      expect(failedIds(response)).toEqual(idsOf(event, 0));
      expect(deadLettered(t.logger)).toEqual([]);
    });

    it('a record received more times than the threshold is dead-lettered before it is processed', async () => {
      const t = await setup({ outcomes: [] });
      const event = await deliver(t, [json(start('inst-crashy'))], DEFAULT_MAX_RECEIVES + 1);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      expect(t.scripted?.handled).toEqual([]);
      const [dead] = await receiveAll(t.dlqUrl);
      expect(reasonOf(dead)).toBe(
        `received ${DEFAULT_MAX_RECEIVES + 1} times without completing (the worker died or timed out on it each time)`,
      );
    });
  });

  describe('claim check', () => {
    it('an offloaded START (a context over the threshold) is read from S3 and applied', async () => {
      const t = await setup();
      const big = { ...SHIPMENT_CONTEXT, notes: 'ä'.repeat(300 * 1024) };
      const sent = await t.claimCheck.offload(json(start('inst-big', WORKFLOW, big)));
      expect(sent.offloaded).toBe(true);
      const event = await deliver(t, [sent]);

      const response = await t.processor.process(event);

      expect(response.batchItemFailures).toEqual([]);
      const record = await t.instances.get('inst-big');
      expect(record?.status).toBe('WAITING');
      expect(t.dispatcher.sent[0]?.input).toMatchObject({ shipmentId: SHIPMENT_CONTEXT.shipmentId });
    });

    it('a pointer to an object that does not exist is dead-lettered with the reason, pointer and all', async () => {
      const t = await setup();
      const body = JSON.stringify([
        PAYLOAD_POINTER_CLASS,
        { s3BucketName: BUCKET, s3Key: 'sqs-payloads/nothing' },
      ]);
      const attributes = { ExtendedPayloadSize: { DataType: 'Number', StringValue: '300000' } };
      const event = await deliver(t, [{ body, attributes }]);
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await receiveAll(t.dlqUrl);
      expect(dead?.Body).toBe(body);
      expect(dead?.MessageAttributes?.ExtendedPayloadSize?.StringValue).toBe('300000');
      expect(reasonOf(dead)).toMatch(/^CLAIM_CHECK_PAYLOAD_MISSING: /);
    });
  });

  describe('ordering', () => {
    it('processes the records of one instance in batch order, one at a time', async () => {
      const t = await setup();
      const cancel: InboundMessage = {
        type: 'CANCEL_WORKFLOW',
        instance_id: 'inst-seq',
        reason: 'changed mind',
      };
      const event = await deliver(t, [json(start('inst-seq')), json(cancel)]);

      const response = await t.processor.process(event);

      expect(response.batchItemFailures).toEqual([]);
      const record = await t.instances.get('inst-seq');
      expect(record?.status).toBe('CANCELLED');
      expect(record?.error).toEqual({ code: 'CANCELLED', message: 'changed mind' });
      expect(t.metrics.total('LeaseConflicts')).toBe(0);
      expect(t.logger.lines.filter((l) => /busy/.test(l.message))).toEqual([]);
    });

    it("hands an instance's consecutive replies over together, each other record alone, and carries out each outcome", async () => {
      const t = await setup({
        outcomes: [ack(), ack()],
        together: [
          [ack(), defer('not awaited yet', 1), reject('reply refused (REQUEST_ID_FORGED): not ours')],
        ],
      });
      const event = await deliver(t, [
        json(start('inst-x')),
        json(reply('inst-x', 'B1')),
        json(reply('inst-y', 'B1')),
        json(reply('inst-x', 'B2')),
        json(reply('inst-x', 'B3')),
      ]);

      const response = await t.processor.process(event);

      const scripted = t.scripted as ScriptedTogetherRuntime;
      expect(scripted.together.map((run) => run.map((r) => r.message.request_id))).toEqual([
        ['inst-x:B1:1', 'inst-x:B2:1', 'inst-x:B3:1'],
      ]);
      expect(scripted.together[0]?.map((r) => r.messageId)).toEqual(
        [1, 3, 4].map((i) => recordOf(event, i).messageId),
      );
      expect(scripted.together[0]?.every((r) => r.delivery?.senderId !== undefined)).toBe(true);
      expect(scripted.handled.map((m) => `${m.type} ${m.instance_id ?? ''}`)).toEqual([
        'START_WORKFLOW inst-x',
        'ASYNC_RESP inst-y',
      ]);
      // Acked, deferred (a copy sent, the original done) and dead-lettered: none is failed.
      expect(response.batchItemFailures).toEqual([]);
      expect(deadLettered(t.logger)).toHaveLength(1);
      expect((await waitForMessages(t.dlqUrl, 1, 3000)).map((m) => m.Body)).toEqual([
        json(reply('inst-x', 'B3')),
      ]);
    });

    it('replies that fail together are each handed over on their own', async () => {
      const t = await setup({
        outcomes: [ack(), new Error('still broken'), ack()],
        together: [new Error('a fault while applying them together')],
      });
      const event = await deliver(t, [
        json(reply('inst-z', 'B1')),
        json(reply('inst-z', 'B2')),
        json(reply('inst-z', 'B3')),
      ]);

      const response = await t.processor.process(event);

      const scripted = t.scripted as ScriptedTogetherRuntime;
      expect(scripted.together).toHaveLength(1);
      expect(scripted.handled.map((m) => ('request_id' in m ? m.request_id : ''))).toEqual([
        'inst-z:B1:1',
        'inst-z:B2:1',
        'inst-z:B3:1',
      ]);
      // Only the reply that fails on its own too comes back.
      expect(failedIds(response)).toEqual(idsOf(event, 1));
      expect(t.logger.lines.filter((l) => /applied together failed/.test(l.message))).toHaveLength(1);
    });

    it('runs different instances of one batch independently', async () => {
      const t = await setup();
      const ids = ['inst-a', 'inst-b', 'inst-c', 'inst-d', 'inst-e', 'inst-f'];
      const event = await deliver(
        t,
        ids.map((id) => json(start(id))),
      );
      const response = await t.processor.process(event);
      expect(response.batchItemFailures).toEqual([]);
      for (const id of ids) expect((await t.instances.get(id))?.status).toBe('WAITING');
    });
  });
});
