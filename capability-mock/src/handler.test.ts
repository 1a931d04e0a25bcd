import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { isPayloadPointer, SqsClaimCheck } from '../../orchestrator/src/aws/sqs-claim-check';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../../orchestrator/src/aws/sqs-dead-letter';
import { toLambdaAttributes } from '../../orchestrator/src/aws/sqs-message-attributes';
import { asyncResponseSchema, type AsyncRequestMessage } from '../../orchestrator/src/runtime/messages';
import { startEmbeddedAws, type EmbeddedAws } from '../../scripts/local-aws/embedded-aws';
import { provisionLocal, type LocalResources } from '../../scripts/local-aws/provision-local';
import { handler } from './handler';

jest.setTimeout(20_000);

const OWNER = 'mockhandler';
/** A scripted output large enough that the reply must travel through S3. */
const LARGE_OUTPUT = 'w'.repeat(300 * 1024);
const ENV_KEYS = [
  'CCH_ENV',
  'CCH_OWNER',
  'CCH_EVENTDATA_BUCKET',
  'CCH_MOCK_SCENARIOS',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

let aws: EmbeddedAws;
let resources: LocalResources;
let sqs: SQSClient;
/** The orchestrator's side of the claim check: the same bucket and prefix, through the test's own client. */
let claimCheck: SqsClaimCheck;
let s3: S3Client;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  resources = await provisionLocal(aws, OWNER);
  sqs = new SQSClient(aws.clientConfig.sqs);
  s3 = new S3Client(aws.clientConfig.s3);
  claimCheck = new SqsClaimCheck({
    s3,
    bucket: resources.names.eventDataBucket,
    prefix: resources.names.sqsPayloadPrefix,
  });
  // As the Lambda gets them from the stack (read on the first call); the SDK finds endpoints and
  // credentials itself (s3rver checks signatures against its own credentials; the SQS server accepts any).
  Object.assign(process.env, {
    CCH_ENV: resources.stage.env,
    CCH_OWNER: resources.stage.owner,
    CCH_EVENTDATA_BUCKET: resources.names.eventDataBucket,
    CCH_MOCK_SCENARIOS: JSON.stringify({
      'import#enrichment': { outputs: { import_enrichment_uri: LARGE_OUTPUT } },
    }),
    AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
});

afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  sqs?.destroy();
  s3?.destroy();
  await aws?.stop();
});

let serial = 0;

function request(replyTo: string, overrides: Partial<AsyncRequestMessage> = {}): AsyncRequestMessage {
  const n = ++serial;
  return {
    type: 'ASYNC_REQ',
    instance_id: `handler-${n}`,
    workflow_id: 'import_vn_memphis_v1',
    node: 'Prepare_Import_Enrichment',
    request_id: `handler-${n}:Prepare_Import_Enrichment:1`,
    capability_id: 'import#enrichment',
    input: { shipmentId: 'SHP-1' },
    expected_output_keys: ['import_enrichment_uri'],
    reply_to: replyTo,
    sent_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A record as Lambda delivers it from the import request queue. */
function record(body: string, messageAttributes: SQSRecord['messageAttributes'] = {}): SQSRecord {
  const queue = resources.capabilityQueues.get('import');
  if (!queue) throw new Error('no import request queue');
  return {
    messageId: `handler-msg-${++serial}`,
    receiptHandle: `rh-${serial}`,
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
    eventSourceARN: queue.arn,
    awsRegion: 'us-east-1',
  };
}

/** Every message visible now on a queue, with its attributes. */
async function drain(queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
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
    messages.push(...got);
  }
  return messages;
}

describe('capability-mock handler (embedded AWS, configured by environment only)', () => {
  // First: the handler is built on the first call that finds its environment, and not before.
  it('refuses to build without the bucket it writes large replies to; a later call with it set succeeds', async () => {
    const bucket = process.env.CCH_EVENTDATA_BUCKET;
    delete process.env.CCH_EVENTDATA_BUCKET;
    try {
      await expect(handler({ Records: [] })).rejects.toThrow(/CCH_EVENTDATA_BUCKET/);
    } finally {
      process.env.CCH_EVENTDATA_BUCKET = bucket;
    }
    await expect(handler({ Records: [] })).resolves.toEqual({ batchItemFailures: [] });
  });

  it('reads an offloaded request and offloads its large reply to CCH_EVENTDATA_BUCKET under the payload prefix', async () => {
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: `cch-local-${OWNER}-orchestrator-reply-queue-handler` }),
    );
    const replyTo = created.QueueUrl as string;
    const req = request(replyTo, { input: { blob: 'q'.repeat(400 * 1024) } });
    const sent = await claimCheck.offload(JSON.stringify(req));
    expect(sent.offloaded).toBe(true);

    const event: SQSEvent = { Records: [record(sent.body, toLambdaAttributes(sent.attributes))] };
    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });

    const [reply, ...others] = await drain(replyTo);
    expect(others).toEqual([]);
    const body = reply?.Body ?? '';
    expect(isPayloadPointer(body)).toBe(true);
    const [, pointer] = JSON.parse(body) as [string, { s3BucketName: string; s3Key: string }];
    // Where the stack's grant and lifecycle rule apply, and where the orchestrator reads it back.
    expect(pointer.s3BucketName).toBe(resources.names.eventDataBucket);
    expect(pointer.s3Key.startsWith(resources.names.sqsPayloadPrefix)).toBe(true);
    const response = asyncResponseSchema.parse(
      JSON.parse(await claimCheck.resolve(body, toLambdaAttributes(reply?.MessageAttributes))),
    );
    expect(response).toMatchObject({
      request_id: req.request_id,
      status: 'SUCCESS',
      outputs: { import_enrichment_uri: LARGE_OUTPUT },
    });
  });

  it('dead-letters a malformed request to its queue DLQ, found by name', async () => {
    const dlqUrl = resources.capabilityQueues.get('import')?.dlqUrl ?? '';
    const event: SQSEvent = { Records: [record('{"type": "ASYNC_REQ", oops')] };

    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });

    const dead = await drain(dlqUrl);
    expect(dead.map((m) => m.Body)).toEqual(['{"type": "ASYNC_REQ", oops']);
    expect(dead[0]?.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toMatch(
      /^malformed capability request: /,
    );
  });
});
