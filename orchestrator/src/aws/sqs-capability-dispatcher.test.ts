import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { resourceNames } from '../naming/resource-names';
import { CapabilityQueueMissingError, EngineError, MessageUndeliverableError } from '../runtime/errors';
import type { AsyncRequestMessage } from '../runtime/messages';
import { QueueUrls } from './queue-urls';
import { SqsCapabilityDispatcher } from './sqs-capability-dispatcher';
import { isPayloadPointer, PAYLOAD_SIZE_ATTRIBUTE, SqsClaimCheck } from './sqs-claim-check';

jest.setTimeout(20_000);

const names = resourceNames({ env: 'test', owner: 'dispatch' });
const BUCKET = names.eventDataBucket;

let aws: EmbeddedAws;
let sqs: SQSClient;
let s3: S3Client;
let claimCheck: SqsClaimCheck;
const urls = new Map<string, string>();

async function createQueue(domain: string): Promise<string> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: names.capabilityRequestQueue(domain) }));
  urls.set(domain, created.QueueUrl as string);
  return created.QueueUrl as string;
}

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
  s3 = new S3Client(aws.clientConfig.s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  claimCheck = new SqsClaimCheck({ s3, bucket: BUCKET, prefix: names.sqsPayloadPrefix });
  for (const domain of ['import', 'export', 'single', 'big', 'mixed', 'refused']) await createQueue(domain);
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

function request(n: number, capabilityId: string, input: Record<string, unknown> = {}): AsyncRequestMessage {
  return {
    type: 'ASYNC_REQ',
    instance_id: `inst-${n % 4}`,
    workflow_id: 'import_vn_memphis_v1',
    node: `Node_${n}`,
    request_id: `inst-${n % 4}:Node_${n}:${n}`,
    capability_id: capabilityId,
    input: { shipmentId: `SHP-${n}`, nested: { n, text: 'ünïcödé ✓' }, ...input },
    expected_output_keys: ['import_enrichment_uri'],
    reply_to: 'http://127.0.0.1/000000000000/reply-queue',
    sent_at: '2026-01-01T00:00:00.000Z',
  };
}

const dispatcherOn = (client: SQSClient = sqs, check: SqsClaimCheck = claimCheck) =>
  new SqsCapabilityDispatcher(client, new QueueUrls(client), names.capabilityRequestQueue, check);

/** A real client that records every SendMessageBatch input it sends. */
function recordingClient() {
  const client = new SQSClient(aws.clientConfig.sqs);
  const batches: SendMessageBatchCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'SendMessageBatchCommand')
        batches.push(args.input as SendMessageBatchCommandInput);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, batches };
}

/** Everything on the queue now (local-aws-sqs waits the full wait time for partial batches: poll at 0). */
async function drain(queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 60,
      }),
    );
    const got = response.Messages ?? [];
    if (got.length === 0) empty++;
    messages.push(...got);
  }
  return messages;
}

/** The requests on a queue, read as a consumer would (through the claim check). */
async function receivedRequests(domain: string): Promise<AsyncRequestMessage[]> {
  const messages = await drain(urls.get(domain) as string);
  return Promise.all(
    messages.map(
      async (m) =>
        JSON.parse(await claimCheck.resolve(m.Body ?? '', m.MessageAttributes)) as AsyncRequestMessage,
    ),
  );
}

const byId = (a: AsyncRequestMessage, b: AsyncRequestMessage) => a.request_id.localeCompare(b.request_id);

describe('SqsCapabilityDispatcher (local-aws-sqs, s3rver)', () => {
  it('sends every request to its domain queue, in batches of ten, with its body and attributes', async () => {
    const requests = Array.from({ length: 23 }, (_, n) =>
      request(n, (n * 7) % 23 < 13 ? 'import#enrichment' : `export#screening-${n % 2}`),
    );
    const byDomain = {
      import: requests.filter((r) => r.capability_id.startsWith('import#')),
      export: requests.filter((r) => r.capability_id.startsWith('export#')),
    };
    expect([byDomain.import.length, byDomain.export.length]).toEqual([13, 10]);

    const { client, batches } = recordingClient();
    try {
      await expect(dispatcherOn(client).dispatch(requests)).resolves.toEqual({ undeliverable: [] });
    } finally {
      client.destroy();
    }
    // SQS takes at most ten entries per batch: 13 import requests need two calls, 10 export ones one.
    expect(batches.map((b) => [b.QueueUrl, b.Entries?.length])).toEqual([
      [urls.get('import'), 10],
      [urls.get('import'), 3],
      [urls.get('export'), 10],
    ]);

    for (const [domain, expected] of Object.entries(byDomain)) {
      const received = await drain(urls.get(domain) as string);
      expect(received).toHaveLength(expected.length);
      const bodies = received.map((m) => JSON.parse(m.Body ?? '') as AsyncRequestMessage);
      expect([...bodies].sort(byId)).toEqual([...expected].sort(byId));
      for (const message of received) {
        const body = JSON.parse(message.Body ?? '') as AsyncRequestMessage;
        expect(message.Body).toBe(JSON.stringify(body));
        expect(message.MessageAttributes).toEqual({
          instance_id: { DataType: 'String', StringValue: body.instance_id },
          request_id: { DataType: 'String', StringValue: body.request_id },
        });
      }
    }
  });

  it('sends nothing for an empty list', async () => {
    await expect(dispatcherOn().dispatch([])).resolves.toEqual({ undeliverable: [] });
    await expect(drain(urls.get('single') as string)).resolves.toHaveLength(0);
  });

  it('a repeated dispatch sends the same request again, with the same request_id', async () => {
    const dispatcher = dispatcherOn();
    const one = request(1, 'single#op');
    await dispatcher.dispatch([one]);
    await dispatcher.dispatch([one]);
    await expect(receivedRequests('single')).resolves.toEqual([one, one]);
  });

  describe('large requests (the claim check)', () => {
    it('a request over 1 MiB travels as an Extended Client pointer and reads back whole', async () => {
      const huge = request(7, 'big#op', { blob: 'x'.repeat(1536 * 1024) });
      await expect(dispatcherOn().dispatch([huge])).resolves.toEqual({ undeliverable: [] });
      const [message, ...more] = await drain(urls.get('big') as string);
      expect(more).toEqual([]);
      expect(isPayloadPointer(message?.Body ?? '')).toBe(true);
      expect(message?.MessageAttributes).toEqual({
        instance_id: { DataType: 'String', StringValue: huge.instance_id },
        request_id: { DataType: 'String', StringValue: huge.request_id },
        [PAYLOAD_SIZE_ATTRIBUTE]: {
          DataType: 'Number',
          StringValue: String(Buffer.byteLength(JSON.stringify(huge))),
        },
      });
      const body = await claimCheck.resolve(message?.Body ?? '', message?.MessageAttributes);
      expect(JSON.parse(body)).toEqual(huge);
    });

    it('requests under the threshold but large together go in batches SQS accepts', async () => {
      // Six 200 KB requests: 1.2 MB in one batch would be refused (BatchRequestTooLong).
      const requests = Array.from({ length: 6 }, (_, n) =>
        request(100 + n, 'mixed#op', { blob: 'y'.repeat(200 * 1024) }),
      );
      const { client, batches } = recordingClient();
      try {
        await expect(dispatcherOn(client).dispatch(requests)).resolves.toEqual({ undeliverable: [] });
      } finally {
        client.destroy();
      }
      expect(batches.length).toBeGreaterThan(1);
      for (const batch of batches) {
        const bytes = (batch.Entries ?? []).reduce(
          (sum, e) => sum + Buffer.byteLength(e.MessageBody ?? ''),
          0,
        );
        expect(bytes).toBeLessThanOrEqual(256 * 1024);
      }
      const received = await drain(urls.get('mixed') as string);
      expect(received.every((m) => !isPayloadPointer(m.Body ?? ''))).toBe(true);
      expect(received.map((m) => JSON.parse(m.Body ?? '') as AsyncRequestMessage).sort(byId)).toEqual(
        [...requests].sort(byId),
      );
    });

    it('a request SQS refuses as too long goes again alone through S3; one refused even so is undeliverable', async () => {
      // SQS counting a message larger than we measured it: refuse every entry whose body is not a pointer,
      // and (second dispatcher) every entry of request `refuse-all`.
      const refusing = (refuseAll: boolean) => {
        const client = new SQSClient(aws.clientConfig.sqs);
        client.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName !== 'SendMessageBatchCommand') return next(args);
            const input = args.input as SendMessageBatchCommandInput;
            const refused = (input.Entries ?? []).filter(
              (e) =>
                !isPayloadPointer(e.MessageBody ?? '') ||
                (refuseAll && e.MessageAttributes?.request_id?.StringValue?.includes('refuse-all')),
            );
            const kept = (input.Entries ?? []).filter((e) => !refused.includes(e));
            const result =
              kept.length > 0
                ? ((await next({ ...args, input: { ...input, Entries: kept } })) as {
                    output: SendMessageBatchCommandOutput;
                    response: unknown;
                  })
                : {
                    output: { Successful: [], Failed: [], $metadata: {} } as SendMessageBatchCommandOutput,
                    response: {},
                  };
            result.output.Failed = refused.map((e) => ({
              Id: e.Id,
              SenderFault: true,
              Code: 'InvalidParameterValue',
              Message: 'Message must be shorter than 1048576 bytes.',
            }));
            return result;
          },
          { step: 'initialize' },
        );
        return client;
      };
      const small = request(200, 'refused#op');
      const client = refusing(false);
      try {
        await expect(dispatcherOn(client).dispatch([small])).resolves.toEqual({ undeliverable: [] });
      } finally {
        client.destroy();
      }
      await expect(receivedRequests('refused')).resolves.toEqual([small]);

      const doomed = { ...request(201, 'refused#op'), request_id: 'inst-1:Node:refuse-all' };
      const fine = request(202, 'refused#op');
      const strict = refusing(true);
      try {
        const report = await dispatcherOn(strict).dispatch([doomed, fine]);
        expect(report.undeliverable.map((u) => u.request_id)).toEqual([doomed.request_id]);
        const error = report.undeliverable[0]?.error;
        expect(error).toBeInstanceOf(MessageUndeliverableError);
        expect(error).toMatchObject({ code: 'SQS_InvalidParameterValue', retryable: false });
        expect(error?.message).toContain(doomed.request_id);
      } finally {
        strict.destroy();
      }
      await expect(receivedRequests('refused')).resolves.toEqual([fine]);
    });

    it('a large request the claim check cannot store is undeliverable; the others are still sent', async () => {
      const noBucket = new SqsClaimCheck({ s3, bucket: 'cch-test-no-such-bucket', prefix: 'sqs-payloads/' });
      const large = request(300, 'single#op', { blob: 'z'.repeat(300 * 1024) });
      const small = request(301, 'single#op');
      const report = await dispatcherOn(sqs, noBucket).dispatch([large, small]);
      expect(report.undeliverable).toHaveLength(1);
      expect(report.undeliverable[0]?.request_id).toBe(large.request_id);
      expect(report.undeliverable[0]?.error).toBeInstanceOf(MessageUndeliverableError);
      expect(report.undeliverable[0]?.error).toMatchObject({ code: 'S3_NoSuchBucket', retryable: false });
      await expect(receivedRequests('single')).resolves.toEqual([small]);
    });
  });

  describe('missing queues', () => {
    it('a domain without a queue is reported per request; other domains are still sent', async () => {
      const lost = [request(1, 'missing#op'), request(2, 'missing#other')];
      const fine = request(3, 'single#op');
      const report = await dispatcherOn().dispatch([...lost, fine]);
      expect(report.undeliverable.map((u) => u.request_id)).toEqual(lost.map((r) => r.request_id));
      for (const { error } of report.undeliverable) {
        expect(error).toBeInstanceOf(CapabilityQueueMissingError);
        expect(error).toMatchObject({
          code: 'CAPABILITY_QUEUE_MISSING',
          retryable: false,
          domain: 'missing',
          queueName: names.capabilityRequestQueue('missing'),
        });
        expect(error.message).toContain(names.capabilityRequestQueue('missing'));
      }
      await expect(receivedRequests('single')).resolves.toEqual([fine]);
    });

    it('a queue created after a miss is used by the same dispatcher (a miss is not cached)', async () => {
      const dispatcher = dispatcherOn();
      const first = request(1, 'later#op');
      expect((await dispatcher.dispatch([first])).undeliverable).toHaveLength(1);
      await createQueue('later');
      const second = request(2, 'later#op');
      await expect(dispatcher.dispatch([second])).resolves.toEqual({ undeliverable: [] });
      await expect(receivedRequests('later')).resolves.toEqual([second]);
    });

    it('a queue deleted after its URL was cached is reported missing, and found again once re-created', async () => {
      const dispatcher = dispatcherOn();
      const queueUrl = await createQueue('flaky');
      await expect(dispatcher.dispatch([request(1, 'flaky#op')])).resolves.toEqual({ undeliverable: [] });
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));

      const lost = request(2, 'flaky#op');
      const report = await dispatcher.dispatch([lost]);
      expect(report.undeliverable.map((u) => [u.request_id, u.error.code])).toEqual([
        [lost.request_id, 'CAPABILITY_QUEUE_MISSING'],
      ]);

      await createQueue('flaky');
      const again = request(3, 'flaky#op');
      await expect(dispatcher.dispatch([again])).resolves.toEqual({ undeliverable: [] });
      await expect(receivedRequests('flaky')).resolves.toEqual([again]);
    });
  });

  it('a fault SQS may recover from is thrown (retryable): the runtime dispatches again', async () => {
    const failing = new SQSClient({ ...aws.clientConfig.sqs, maxAttempts: 1 });
    failing.middlewareStack.add(
      (next, context) => (args) =>
        context.commandName === 'SendMessageBatchCommand'
          ? Promise.reject(
              Object.assign(new Error('We encountered an internal error.'), {
                name: 'InternalError',
                $metadata: { httpStatusCode: 500 },
              }),
            )
          : next(args),
      { step: 'initialize' },
    );
    try {
      const thrown = await dispatcherOn(failing)
        .dispatch([request(1, 'single#op')])
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(EngineError);
      expect(thrown).toMatchObject({ code: 'SQS_InternalError', retryable: true });
    } finally {
      failing.destroy();
    }
  });

  it('a capability id whose domain cannot name a queue is refused before anything is sent', async () => {
    await expect(dispatcherOn().dispatch([request(1, 'Bad_Domain#op')])).rejects.toThrow(/Bad_Domain/);
  });
});
