import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { resourceNames } from '../naming/resource-names';
import { EngineError } from '../runtime/errors';
import type { AsyncRequestMessage } from '../runtime/messages';
import { QueueUrls } from './queue-urls';
import { SqsCapabilityDispatcher } from './sqs-capability-dispatcher';

jest.setTimeout(15_000);

const names = resourceNames({ env: 'test', owner: 'dispatch' });

let aws: EmbeddedAws;
let sqs: SQSClient;
const urls = new Map<string, string>();

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
  for (const domain of ['import', 'export', 'single']) {
    const name = names.capabilityRequestQueue(domain);
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    urls.set(domain, created.QueueUrl as string);
  }
});

afterAll(async () => {
  sqs?.destroy();
  await aws?.stop();
});

function request(n: number, capabilityId: string): AsyncRequestMessage {
  return {
    type: 'ASYNC_REQ',
    instance_id: `inst-${n % 4}`,
    workflow_id: 'import_vn_memphis_v1',
    node: `Node_${n}`,
    request_id: `inst-${n % 4}:Node_${n}:${n}`,
    capability_id: capabilityId,
    input: { shipmentId: `SHP-${n}`, nested: { n, text: 'ünïcödé ✓' } },
    expected_output_keys: ['import_enrichment_uri'],
    reply_to: 'http://127.0.0.1/000000000000/reply-queue',
    sent_at: '2026-01-01T00:00:00.000Z',
  };
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

describe('SqsCapabilityDispatcher (local-aws-sqs)', () => {
  it('sends every request to its domain queue, in batches, with its body and attributes', async () => {
    const requests = Array.from({ length: 23 }, (_, n) =>
      request(n, (n * 7) % 23 < 13 ? 'import#enrichment' : `export#screening-${n % 2}`),
    );
    const byDomain = {
      import: requests.filter((r) => r.capability_id.startsWith('import#')),
      export: requests.filter((r) => r.capability_id.startsWith('export#')),
    };
    expect([byDomain.import.length, byDomain.export.length]).toEqual([13, 10]);
    expect(byDomain.import.length + byDomain.export.length).toBe(23);

    const recording = new SQSClient(aws.clientConfig.sqs);
    const batches: { QueueUrl?: string; Entries?: unknown[] }[] = [];
    recording.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'SendMessageBatchCommand')
          batches.push(args.input as (typeof batches)[0]);
        return next(args);
      },
      { step: 'initialize' },
    );
    try {
      const dispatcher = new SqsCapabilityDispatcher(
        recording,
        new QueueUrls(recording),
        names.capabilityRequestQueue,
      );
      await dispatcher.dispatch(requests);
    } finally {
      recording.destroy();
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
      const byId = (a: AsyncRequestMessage, b: AsyncRequestMessage) =>
        a.request_id.localeCompare(b.request_id);
      expect([...bodies].sort(byId)).toEqual([...expected].sort(byId));
      for (const message of received) {
        const body = JSON.parse(message.Body ?? '') as AsyncRequestMessage;
        expect(message.Body).toBe(JSON.stringify(body));
        expect(message.MessageAttributes?.instance_id).toMatchObject({
          DataType: 'String',
          StringValue: body.instance_id,
        });
        expect(message.MessageAttributes?.request_id).toMatchObject({
          DataType: 'String',
          StringValue: body.request_id,
        });
      }
    }
  });

  it('sends nothing for an empty list', async () => {
    const dispatcher = new SqsCapabilityDispatcher(sqs, new QueueUrls(sqs), names.capabilityRequestQueue);
    await expect(dispatcher.dispatch([])).resolves.toBeUndefined();
    await expect(drain(urls.get('single') as string)).resolves.toHaveLength(0);
  });

  it('a repeated dispatch sends the same request again, with the same request_id', async () => {
    const dispatcher = new SqsCapabilityDispatcher(sqs, new QueueUrls(sqs), names.capabilityRequestQueue);
    const one = request(1, 'single#op');
    await dispatcher.dispatch([one]);
    await dispatcher.dispatch([one]);
    const received = await drain(urls.get('single') as string);
    expect(received.map((m) => JSON.parse(m.Body ?? '') as AsyncRequestMessage)).toEqual([one, one]);
  });

  it('a missing queue fails with a non-retryable SQS EngineError naming the queue', async () => {
    const dispatcher = new SqsCapabilityDispatcher(sqs, new QueueUrls(sqs), names.capabilityRequestQueue);
    const thrown = await dispatcher
      .dispatch([request(1, 'missing#op')])
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toMatch(/^SQS_/);
    expect((thrown as EngineError).code).toBe('SQS_QueueDoesNotExist');
    expect((thrown as EngineError).retryable).toBe(false);
    expect((thrown as EngineError).message).toContain(names.capabilityRequestQueue('missing'));
  });

  it('a capability id whose domain cannot name a queue is refused before anything is sent', async () => {
    const dispatcher = new SqsCapabilityDispatcher(sqs, new QueueUrls(sqs), names.capabilityRequestQueue);
    await expect(dispatcher.dispatch([request(1, 'Bad_Domain#op')])).rejects.toThrow(/Bad_Domain/);
  });
});
