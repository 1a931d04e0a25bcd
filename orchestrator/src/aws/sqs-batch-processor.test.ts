import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { MemorySaver } from '@langchain/langgraph';
import type { SQSEvent } from 'aws-lambda';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
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
import { OrchestratorRuntime } from '../runtime/orchestrator-runtime';
import type { Lease } from '../runtime/ports';
import { exampleText, SHIPMENT_CONTEXT } from '../runtime/testing/example-workflows';
import { builtinSyncCapabilities } from '../sync-capabilities/registry';
import { SqsBatchProcessor } from './sqs-batch-processor';
import { toSqsRecord } from '../../../scripts/local-aws/sqs-poller';

jest.setTimeout(15_000);

const WORKFLOW = 'import_vn_memphis_v1';
const POISON = 'poison message: it goes to the DLQ after its retries';

let aws: EmbeddedAws;
let sqs: SQSClient;
let queues = 0;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
});

afterAll(async () => {
  sqs?.destroy();
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

/** The real runtime on in-memory ports, a real queue (30 s visibility) and the processor under test. */
async function setup(options: { explodes?: string; queueUrlOf?: () => Promise<string> } = {}) {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: `cch-test-batch-command-queue-${++queues}`,
      Attributes: { VisibilityTimeout: '30' },
    }),
  );
  const queueUrl = created.QueueUrl as string;
  const clock = new FakeClock();
  const definitions = new MemoryDefinitionStore();
  definitions.put(`${WORKFLOW}.yaml`, exampleText(WORKFLOW));
  const instances = options.explodes
    ? new ExplodingInstanceStore(clock, options.explodes)
    : new MemoryInstanceStore(clock);
  const dispatcher = new RecordingDispatcher();
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const runtime = new OrchestratorRuntime({
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
  const processor = new SqsBatchProcessor(
    runtime,
    sqs,
    options.queueUrlOf ?? (() => Promise.resolve(queueUrl)),
    logger,
  );
  return { queueUrl, instances, dispatcher, metrics, logger, processor };
}

/**
 * Sends the bodies, receives them back as a Lambda-style event with real receipt handles, records in the
 * order the bodies were sent (a standard queue may reorder; the processor is tested on a known order).
 */
async function deliver(queueUrl: string, bodies: readonly string[]): Promise<SQSEvent> {
  for (const body of bodies)
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const received = new Map<string, Message>();
  const deadline = Date.now() + 5000;
  while (received.size < bodies.length && Date.now() < deadline) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
      }),
    );
    for (const message of response.Messages ?? []) received.set(message.MessageId ?? '', message);
  }
  const messages = [...received.values()];
  expect(messages).toHaveLength(bodies.length);
  const records = bodies.map((body) => {
    const message = messages.find((m) => m.Body === body);
    if (!message) throw new Error(`not received: ${body}`);
    return toSqsRecord(message, 'arn:aws:sqs:us-east-1:123456789012:test');
  });
  return { Records: records };
}

const json = (message: InboundMessage) => JSON.stringify(message);
const start = (instanceId: string, workflowId = WORKFLOW): InboundMessage => ({
  type: 'START_WORKFLOW',
  workflow_id: workflowId,
  instance_id: instanceId,
  context: SHIPMENT_CONTEXT,
});
const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();
const idsOf = (event: SQSEvent, ...indexes: number[]) =>
  indexes.map((i) => event.Records[i]?.messageId ?? '').sort();

async function receiveOnce(queueUrl: string): Promise<Message[]> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 0,
      AttributeNames: ['All'],
    }),
  );
  return response.Messages ?? [];
}

describe('SqsBatchProcessor (real runtime on memory ports, local-aws-sqs)', () => {
  it('fails exactly the poison records, logs why, and applies the valid START', async () => {
    const { queueUrl, processor, instances, dispatcher, logger } = await setup();
    const event = await deliver(queueUrl, [
      'this is {not JSON',
      JSON.stringify({ type: 'START_WORKFLOW', workflow_id: 'has spaces!', instance_id: 'bad-1' }),
      json(start('inst-good')),
    ]);

    const response = await processor.process(event);

    expect(failedIds(response)).toEqual(idsOf(event, 0, 1));
    const record = await instances.get('inst-good');
    expect(record?.status).toBe('WAITING');
    expect(dispatcher.sent.map((r) => r.instance_id)).toEqual(['inst-good']);
    await expect(instances.get('bad-1')).resolves.toBeUndefined();

    const poison = logger.lines.filter((l) => l.message === POISON);
    expect(poison).toHaveLength(2);
    expect(poison.every((l) => l.level === 'error')).toBe(true);
    const byMessage = new Map(poison.map((l) => [l.fields.message_id, l.fields]));
    expect(byMessage.get(event.Records[0]?.messageId)).toMatchObject({
      reason: expect.stringMatching(/not JSON/) as string,
      receive_count: '1',
    });
    expect(byMessage.get(event.Records[1]?.messageId)).toMatchObject({
      reason: expect.stringMatching(/invalid START_WORKFLOW: workflow_id/) as string,
    });
  });

  it('a retry outcome fails the record and makes it visible again after notReadyRetrySeconds', async () => {
    const { queueUrl, processor, logger } = await setup();
    const reply: InboundMessage = {
      type: 'ASYNC_RESP',
      instance_id: 'inst-unknown',
      request_id: 'req-1',
      status: 'SUCCESS',
      outputs: {},
    };
    const event = await deliver(queueUrl, [json(reply)]);

    const response = await processor.process(event);
    const processedAt = Date.now();

    expect(failedIds(response)).toEqual(idsOf(event, 0));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'message will be retried',
        fields: expect.objectContaining({
          instance_id: 'inst-unknown',
          request_id: 'req-1',
          retry_in_seconds: 1,
        }) as unknown,
      }),
    );

    // Not at once (it is still in flight), but after ~1 s rather than the queue's 30 s timeout.
    expect(await receiveOnce(queueUrl)).toHaveLength(0);
    let again: Message[] = [];
    while (again.length === 0 && Date.now() - processedAt < 6000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await receiveOnce(queueUrl);
    }
    const elapsed = Date.now() - processedAt;
    expect(again).toHaveLength(1);
    expect(again[0]?.MessageId).toBe(event.Records[0]?.messageId);
    expect(Number(again[0]?.Attributes?.ApproximateReceiveCount)).toBeGreaterThan(1);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(6000);
  });

  it('processes the records of one instance in batch order, one at a time', async () => {
    const { queueUrl, processor, instances, metrics, logger } = await setup();
    const cancel: InboundMessage = {
      type: 'CANCEL_WORKFLOW',
      instance_id: 'inst-seq',
      reason: 'changed mind',
    };
    const event = await deliver(queueUrl, [json(start('inst-seq')), json(cancel)]);

    const response = await processor.process(event);

    expect(response.batchItemFailures).toEqual([]);
    const record = await instances.get('inst-seq');
    expect(record?.status).toBe('CANCELLED');
    expect(record?.error).toEqual({ code: 'CANCELLED', message: 'changed mind' });
    expect(metrics.total('LeaseConflicts')).toBe(0);
    expect(logger.lines.filter((l) => /busy/.test(l.message))).toEqual([]);
  });

  it('runs different instances of one batch independently', async () => {
    const { queueUrl, processor, instances } = await setup();
    const ids = ['inst-a', 'inst-b', 'inst-c', 'inst-d', 'inst-e', 'inst-f'];
    const event = await deliver(
      queueUrl,
      ids.map((id) => json(start(id))),
    );
    const response = await processor.process(event);
    expect(response.batchItemFailures).toEqual([]);
    for (const id of ids) expect((await instances.get(id))?.status).toBe('WAITING');
  });

  it('an unexpected exception from the runtime fails that record only, with the error logged', async () => {
    const { queueUrl, processor, instances, logger } = await setup({ explodes: 'inst-boom' });
    const event = await deliver(queueUrl, [json(start('inst-boom')), json(start('inst-fine'))]);

    const response = await processor.process(event);

    expect(failedIds(response)).toEqual(idsOf(event, 0));
    expect((await instances.get('inst-fine'))?.status).toBe('WAITING');
    const failure = logger.lines.find((l) => l.message === 'message failed; it will be redelivered');
    expect(failure).toMatchObject({
      level: 'error',
      fields: {
        instance_id: 'inst-boom',
        message_id: event.Records[0]?.messageId,
        error: { code: 'UNEXPECTED', retryable: true, message: 'disk on fire' },
      },
    });
  });

  it('a START for an unknown workflow is rejected alone, with its reason logged', async () => {
    const { queueUrl, processor, instances, logger } = await setup();
    const event = await deliver(queueUrl, [json(start('inst-x', 'no_such_workflow')), json(start('inst-y'))]);

    const response = await processor.process(event);

    expect(failedIds(response)).toEqual(idsOf(event, 0));
    expect((await instances.get('inst-y'))?.status).toBe('WAITING');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'message rejected: it goes to the DLQ after its retries',
        fields: expect.objectContaining({
          instance_id: 'inst-x',
          reason: expect.stringMatching(/unknown workflow/) as string,
        }) as unknown,
      }),
    );
  });

  it('when visibility cannot be shortened, the retry is still failed and the problem logged', async () => {
    const { queueUrl, processor, logger } = await setup({
      queueUrlOf: () => Promise.reject(new Error('no such queue')),
    });
    const cancel: InboundMessage = { type: 'CANCEL_WORKFLOW', instance_id: 'inst-never' };
    const event = await deliver(queueUrl, [json(cancel)]);

    const response = await processor.process(event);

    expect(failedIds(response)).toEqual(idsOf(event, 0));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'could not shorten visibility; the message returns after the full timeout',
      }),
    );
  });
});
