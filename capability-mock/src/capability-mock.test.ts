import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { createAwsOrchestrator, type AwsOrchestrator } from '../../orchestrator/src/aws/aws-orchestrator';
import {
  isPayloadPointer,
  PAYLOAD_SIZE_ATTRIBUTE,
  type SqsClaimCheck,
} from '../../orchestrator/src/aws/sqs-claim-check';
import { DEAD_LETTER_REASON_ATTRIBUTE, DEAD_LETTERED } from '../../orchestrator/src/aws/sqs-dead-letter';
import { toLambdaAttributes } from '../../orchestrator/src/aws/sqs-message-attributes';
import {
  asyncResponseSchema,
  type AsyncRequestMessage,
  type AsyncResponse,
} from '../../orchestrator/src/runtime/messages';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { startEmbeddedAws, type EmbeddedAws } from '../../scripts/local-aws/embedded-aws';
import { provisionLocal } from '../../scripts/local-aws/provision-local';
import { createCapabilityMock, parseCapabilityRequest } from './capability-mock';
import { SAMPLE_DATA_PREFIX, sampleDataOutput } from './sample-data-outputs';

jest.setTimeout(15_000);

const BUCKET = 'cch-test-mock-eventdata-bucket';
const OWNER = 'mocktest';

let aws: EmbeddedAws;
let sqs: SQSClient;
/** The claim check the orchestrator uses (its event-data bucket), which the mock shares in the local stack. */
let orchestrator: AwsOrchestrator;
let claimCheck: SqsClaimCheck;
/** The queue the test's records come from, and its DLQ. */
let requestQueue: string;
let dlqUrl: string;
/** DelaySeconds of every reply entry the mock sent, read off the real client's requests. */
const sentDelays: (number | undefined)[] = [];
let queues = 0;
let messages = 0;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
  sqs.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'SendMessageBatchCommand') {
        const input = args.input as { Entries?: { DelaySeconds?: number }[] };
        for (const entry of input.Entries ?? []) sentDelays.push(entry.DelaySeconds);
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  const resources = await provisionLocal(aws, OWNER);
  const importQueue = resources.capabilityQueues.get('import');
  if (!importQueue) throw new Error('no import request queue');
  requestQueue = importQueue.name;
  dlqUrl = importQueue.dlqUrl;
  orchestrator = createAwsOrchestrator({
    stage: resources.stage,
    clients: aws.clientConfig,
    replyKeys: resources.replyKeys,
  });
  claimCheck = orchestrator.claimCheck;
});

afterAll(async () => {
  sqs?.destroy();
  for (const client of Object.values(orchestrator?.clients ?? {})) client.destroy();
  await aws?.stop();
});

/** A fresh reply queue and a mock with the given scenarios (and the claim check, unless told not to). */
async function setup(scenarios?: CapabilityMocks, options: { claimCheck?: boolean } = {}) {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `cch-test-mock-orchestrator-reply-queue-${++queues}` }),
  );
  const replyTo = created.QueueUrl as string;
  const logs: { level: string; fields: object; message: string }[] = [];
  const mock = createCapabilityMock({
    sqs,
    ...(options.claimCheck === false ? {} : { claimCheck }),
    ...(scenarios ? { scenarios } : {}),
    defaultOutput: sampleDataOutput(BUCKET),
    log: (level, fields, message) => logs.push({ level, fields, message }),
  });
  sentDelays.length = 0;
  return { replyTo, mock, logs };
}

function request(replyTo: string, overrides: Partial<AsyncRequestMessage> = {}): AsyncRequestMessage {
  const n = ++messages;
  return {
    type: 'ASYNC_REQ',
    instance_id: `inst-${n}`,
    workflow_id: 'import_vn_memphis_v1',
    node: 'Prepare_Import_Enrichment',
    request_id: `inst-${n}:Prepare_Import_Enrichment:1`,
    capability_id: 'import#enrichment',
    input: { shipmentId: 'SHP-1' },
    expected_output_keys: ['import_enrichment_uri'],
    reply_to: replyTo,
    sent_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function record(body: string, messageAttributes: SQSMessageAttributes = {}): SQSRecord {
  return {
    messageId: `msg-${++messages}`,
    receiptHandle: `rh-${messages}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${requestQueue}`,
    awsRegion: 'us-east-1',
  };
}

const eventOf = (...bodies: string[]): SQSEvent => ({ Records: bodies.map((body) => record(body)) });

/** Every reply visible now (local-aws-sqs waits the full wait time for partial batches: poll at 0). */
async function replies(queueUrl: string): Promise<{ raw: Message[]; parsed: AsyncResponse[] }> {
  const raw: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    const got = response.Messages ?? [];
    if (got.length === 0) empty++;
    raw.push(...got);
  }
  return { raw, parsed: raw.map((m) => asyncResponseSchema.parse(JSON.parse(m.Body ?? ''))) };
}

async function delayedCount(queueUrl: string): Promise<number> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessagesDelayed);
}

/** Every message visible now on a queue, with its attributes. */
async function drain(queueUrl: string): Promise<Message[]> {
  const raw: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const got = response.Messages ?? [];
    if (got.length === 0) empty++;
    raw.push(...got);
  }
  return raw;
}

describe('parseCapabilityRequest', () => {
  it('gives a malformed request a one-line reason naming the field and what it allows', () => {
    expect(parseCapabilityRequest('{"type":"WHAT"}')).toBe(
      'malformed capability request: type: must be one of ASYNC_REQ, ASYNC_CANCELLED',
    );
    // Nothing of the body is quoted: it may hold any value.
    const notJson = parseCapabilityRequest('{"type": "ASYNC_REQ", "secret": oops');
    expect(notJson).toMatch(/^malformed capability request: the body is not JSON: invalid/);
    expect(notJson).not.toContain('oops');
    expect(parseCapabilityRequest('{"type":"ASYNC_CANCELLED"}')).toMatch(
      /^malformed capability request: instance_id: is missing; workflow_id: is missing; .*; cancelled_at: is missing$/,
    );
  });
});

describe('createCapabilityMock (local-aws-sqs)', () => {
  it('by default replies SUCCESS at once on reply_to, with a value for every expected key', async () => {
    const { replyTo, mock } = await setup();
    const req = request(replyTo, {
      node: 'Enrich',
      expected_output_keys: ['import_enrichment_uri', 'asn_uri', 'delivery_uri', 'customs_ref'],
    });

    const response = await mock(eventOf(JSON.stringify(req)));

    expect(response.batchItemFailures).toEqual([]);
    expect(sentDelays).toEqual([0]);
    const { parsed } = await replies(replyTo);
    expect(parsed).toEqual([
      {
        type: 'ASYNC_RESP',
        instance_id: req.instance_id,
        request_id: req.request_id,
        status: 'SUCCESS',
        outputs: {
          import_enrichment_uri: `s3://${BUCKET}/${SAMPLE_DATA_PREFIX}/asn_vn_memphis.json`,
          asn_uri: `s3://${BUCKET}/${SAMPLE_DATA_PREFIX}/asn_vn_memphis.json`,
          delivery_uri: `s3://${BUCKET}/${SAMPLE_DATA_PREFIX}/delivery_vn_memphis.json`,
          customs_ref: `s3://${BUCKET}/mock-outputs/${req.instance_id}/Enrich/customs_ref.json`,
        },
      },
    ]);
  });

  it('a SUCCESS scenario with outputs keeps them and fills in the keys it leaves out', async () => {
    const { replyTo, mock } = await setup({
      'import#enrichment': { outputs: { import_enrichment_uri: 'x' } },
    });
    const req = request(replyTo, { expected_output_keys: ['import_enrichment_uri', 'other'] });
    await mock(eventOf(JSON.stringify(req)));
    const { parsed } = await replies(replyTo);
    expect(parsed[0]).toMatchObject({
      status: 'SUCCESS',
      outputs: {
        import_enrichment_uri: 'x',
        other: `s3://${BUCKET}/mock-outputs/${req.instance_id}/${req.node}/other.json`,
      },
    });
  });

  it('a FAILURE scenario replies FAILURE with its error', async () => {
    const { replyTo, mock } = await setup({
      'import#enrichment': { status: 'FAILURE', error: { code: 'NOT_FOUND', message: 'no ASN for SHP-1' } },
    });
    const req = request(replyTo);
    const response = await mock(eventOf(JSON.stringify(req)));
    expect(response.batchItemFailures).toEqual([]);
    const { parsed } = await replies(replyTo);
    expect(parsed).toEqual([
      {
        type: 'ASYNC_RESP',
        instance_id: req.instance_id,
        request_id: req.request_id,
        status: 'FAILURE',
        error: { code: 'NOT_FOUND', message: 'no ASN for SHP-1' },
      },
    ]);
  });

  it('scenarios apply per capability id; others get the default', async () => {
    const { replyTo, mock } = await setup({ 'export#screening': { status: 'FAILURE' } });
    const failing = request(replyTo, { capability_id: 'export#screening' });
    const fine = request(replyTo);
    await mock(eventOf(JSON.stringify(failing), JSON.stringify(fine)));
    const { parsed } = await replies(replyTo);
    const byRequest = new Map(parsed.map((r) => [r.request_id, r]));
    expect(byRequest.get(failing.request_id)).toMatchObject({
      status: 'FAILURE',
      error: { code: 'MOCK_FAILURE' },
    });
    expect(byRequest.get(fine.request_id)).toMatchObject({ status: 'SUCCESS' });
  });

  it('`delay: 30s` sends the reply with DelaySeconds 30: it is not receivable at once', async () => {
    const { replyTo, mock } = await setup({ 'import#enrichment': { delay: '30s' } });
    const response = await mock(eventOf(JSON.stringify(request(replyTo))));
    expect(response.batchItemFailures).toEqual([]);
    expect(sentDelays).toEqual([30]);
    await expect(replies(replyTo)).resolves.toMatchObject({ raw: [] });
    await expect(delayedCount(replyTo)).resolves.toBe(1);
  });

  it('a delay longer than SQS allows is cut to 900 s', async () => {
    const { replyTo, mock } = await setup({ 'import#enrichment': { delay: '2h' } });
    const response = await mock(eventOf(JSON.stringify(request(replyTo))));
    expect(response.batchItemFailures).toEqual([]);
    expect(sentDelays).toEqual([900]);
  });

  it('`duplicates: 2` sends three identical replies', async () => {
    const { replyTo, mock } = await setup({ 'import#enrichment': { duplicates: 2 } });
    const req = request(replyTo);
    await mock(eventOf(JSON.stringify(req)));
    const { raw, parsed } = await replies(replyTo);
    expect(raw).toHaveLength(3);
    expect(new Set(raw.map((m) => m.Body)).size).toBe(1);
    expect(new Set(raw.map((m) => m.MessageId)).size).toBe(3);
    expect(parsed[0]).toMatchObject({ request_id: req.request_id, status: 'SUCCESS' });
  });

  it('`reply: false` sends nothing, and the request still succeeds', async () => {
    const { replyTo, mock, logs } = await setup({ 'import#enrichment': { reply: false } });
    const response = await mock(eventOf(JSON.stringify(request(replyTo))));
    expect(response.batchItemFailures).toEqual([]);
    expect(sentDelays).toEqual([]);
    await expect(replies(replyTo)).resolves.toMatchObject({ raw: [] });
    await expect(delayedCount(replyTo)).resolves.toBe(0);
    expect(logs.map((l) => l.message)).toContain('mock capability: scripted not to reply');
  });

  it('a list scenario is used call by call, and its last entry repeats', async () => {
    const { replyTo, mock } = await setup({
      'import#enrichment': [
        { status: 'FAILURE', error: { code: 'BUSY', message: 'try later' } },
        { outputs: { import_enrichment_uri: 'second' } },
        { reply: false },
      ],
    });
    const statuses: (string | undefined)[] = [];
    for (let call = 1; call <= 4; call++) {
      const req = request(replyTo);
      const response = await mock(eventOf(JSON.stringify(req)));
      expect(response.batchItemFailures).toEqual([]);
      const { parsed } = await replies(replyTo);
      expect(parsed.every((r) => r.request_id === req.request_id)).toBe(true);
      const reply = parsed[0];
      statuses.push(
        reply === undefined
          ? 'none'
          : reply.status === 'SUCCESS'
            ? `SUCCESS:${String(reply.outputs.import_enrichment_uri)}`
            : `FAILURE:${reply.error.code}`,
      );
    }
    expect(statuses).toEqual(['FAILURE:BUSY', 'SUCCESS:second', 'none', 'none']);
  });

  it('a redelivered request (same request_id) gets the same scripted reply, not the next one', async () => {
    // SQS delivers at least once and the dispatcher resends with the same request ids; a capability
    // must treat a repeated request_id as the same request, so a list scenario advances per request.
    const { replyTo, mock } = await setup({
      'import#enrichment': [{ status: 'FAILURE' }, { outputs: { import_enrichment_uri: 'second' } }],
    });
    const first = request(replyTo);
    await mock(eventOf(JSON.stringify(first)));
    await mock(eventOf(JSON.stringify(first)));
    const second = request(replyTo);
    await mock(eventOf(JSON.stringify(second)));

    const { parsed } = await replies(replyTo);
    const statusOf = (requestId: string) =>
      parsed.filter((r) => r.request_id === requestId).map((r) => r.status);
    expect(statusOf(first.request_id)).toEqual(['FAILURE', 'FAILURE']);
    expect(statusOf(second.request_id)).toEqual(['SUCCESS']);
  });

  it('an ASYNC_CANCELLED notice is logged and consumed: no reply, no failure, nothing dead-lettered', async () => {
    const { replyTo, mock, logs } = await setup();
    const req = request(replyTo);
    const notice = {
      type: 'ASYNC_CANCELLED',
      instance_id: req.instance_id,
      workflow_id: req.workflow_id,
      node: req.node,
      request_id: req.request_id,
      capability_id: req.capability_id,
      reason: 'customer withdrew',
      cancelled_at: '2026-01-01T00:00:00.000Z',
    };
    const response = await mock(eventOf(JSON.stringify(notice)));
    expect(response.batchItemFailures).toEqual([]);
    await expect(replies(replyTo)).resolves.toMatchObject({ raw: [] });
    await expect(drain(dlqUrl)).resolves.toEqual([]);
    const line = logs.find((l) => l.message === 'mock capability: request cancelled (nothing to stop)');
    expect(line?.level).toBe('info');
    expect(line?.fields).toMatchObject({ request_id: req.request_id, reason: 'customer withdrew' });
  });

  it('a malformed request goes to the DLQ at once with its reason; the rest of the batch is answered', async () => {
    const { replyTo, mock, logs } = await setup();
    const good1 = request(replyTo);
    const { reply_to: _dropped, ...noReplyTo } = request(replyTo);
    const good2 = request(replyTo);
    const event = eventOf(
      JSON.stringify(good1),
      '{"type": "ASYNC_REQ", oops',
      JSON.stringify(noReplyTo),
      JSON.stringify({ ...request(replyTo), capability_id: 'no-operation' }),
      JSON.stringify(good2),
    );

    const response = await mock(event);

    expect(response.batchItemFailures).toEqual([]);
    const { parsed } = await replies(replyTo);
    expect(parsed.map((r) => r.request_id).sort()).toEqual([good1.request_id, good2.request_id].sort());
    const dead = await drain(dlqUrl);
    expect(dead.map((m) => m.Body).sort()).toEqual([1, 2, 3].map((i) => event.Records[i]?.body).sort());
    for (const message of dead) {
      // One line each: the reason is an SQS attribute and a log field, read by people.
      expect(message.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toMatch(
        /^malformed capability request: [^\n]+$/,
      );
    }
    const lines = logs.filter((l) => l.message === DEAD_LETTERED);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.level === 'error')).toBe(true);
    expect(lines.map((l) => (l.fields as { message_id?: string }).message_id).sort()).toEqual(
      [1, 2, 3].map((i) => event.Records[i]?.messageId).sort(),
    );
    expect(lines[0]?.fields).toMatchObject({ queue: requestQueue });
  });

  describe('large messages (the claim check)', () => {
    it('reads a request offloaded to S3 and answers it', async () => {
      const { replyTo, mock } = await setup();
      const req = request(replyTo, { input: { blob: 'q'.repeat(400 * 1024) } });
      const sent = await claimCheck.offload(JSON.stringify(req));
      expect(sent.offloaded).toBe(true);
      const response = await mock({ Records: [record(sent.body, toLambdaAttributes(sent.attributes))] });
      expect(response.batchItemFailures).toEqual([]);
      const { parsed } = await replies(replyTo);
      expect(parsed.map((r) => r.request_id)).toEqual([req.request_id]);
    });

    it('offloads a reply over the threshold; duplicates share one object', async () => {
      const blob = 'w'.repeat(5 * 1024 * 1024);
      const { replyTo, mock } = await setup({
        'import#enrichment': { outputs: { import_enrichment_uri: blob }, duplicates: 1 },
      });
      const req = request(replyTo);
      const response = await mock(eventOf(JSON.stringify(req)));
      expect(response.batchItemFailures).toEqual([]);

      const raw = await drain(replyTo);
      expect(raw).toHaveLength(2);
      for (const message of raw) {
        expect(isPayloadPointer(message.Body ?? '')).toBe(true);
        expect(Number(message.MessageAttributes?.[PAYLOAD_SIZE_ATTRIBUTE]?.StringValue)).toBeGreaterThan(
          5 * 1024 * 1024,
        );
        const reply = asyncResponseSchema.parse(
          JSON.parse(await claimCheck.resolve(message.Body ?? '', message.MessageAttributes)),
        );
        expect(reply).toMatchObject({ request_id: req.request_id, status: 'SUCCESS' });
        expect(reply.status === 'SUCCESS' && reply.outputs.import_enrichment_uri).toBe(blob);
      }
      // Both copies point at the same object (content-addressed): one upload for all duplicates.
      expect(new Set(raw.map((m) => m.Body)).size).toBe(1);
    });

    it('without a claim check, an offloaded request is dead-lettered, saying it cannot be read', async () => {
      const { replyTo, mock } = await setup(undefined, { claimCheck: false });
      const sent = await claimCheck.offload(JSON.stringify(request(replyTo)), {}, { force: true });
      const response = await mock({ Records: [record(sent.body, toLambdaAttributes(sent.attributes))] });
      expect(response.batchItemFailures).toEqual([]);
      const [dead] = await drain(dlqUrl);
      expect(dead?.Body).toBe(sent.body);
      expect(dead?.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toMatch(
        /offloaded to S3 .* no claim check/,
      );
    });
  });

  it('a reply_to queue that does not exist fails that record only', async () => {
    const { replyTo, mock, logs } = await setup();
    const lost = request(`${aws.endpoints.sqs}/123456789012/cch-test-mock-no-such-reply-queue`);
    const fine = request(replyTo);
    const event = eventOf(JSON.stringify(lost), JSON.stringify(fine));

    const response = await mock(event);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const { parsed } = await replies(replyTo);
    expect(parsed.map((r) => r.request_id)).toEqual([fine.request_id]);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'mock capability could not reply' }),
    );
  });
});
