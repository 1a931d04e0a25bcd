import { createHash, randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { toSqsRecord } from '../../../scripts/local-aws/sqs-poller';
import { EngineError, MessageUndeliverableError } from '../runtime/errors';
import {
  DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
  isPayloadPointer,
  messageBytes,
  PAYLOAD_POINTER_CLASS,
  PAYLOAD_SIZE_ATTRIBUTE,
  SqsClaimCheck,
} from './sqs-claim-check';
import { stringAttribute } from './sqs-message-attributes';

jest.setTimeout(20_000);

const BUCKET = 'cch-test-claim-eventdata-bucket';
const PREFIX = 'sqs-payloads/';

let aws: EmbeddedAws;
let s3: S3Client;
let sqs: SQSClient;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  s3 = new S3Client(aws.clientConfig.s3);
  sqs = new SQSClient(aws.clientConfig.sqs);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  await aws?.stop();
});

const claimCheck = (thresholdBytes?: number) =>
  new SqsClaimCheck({ s3, bucket: BUCKET, prefix: PREFIX, ...(thresholdBytes ? { thresholdBytes } : {}) });

async function keys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function objectText(bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

/** A JSON body of about `bytes` UTF-8 bytes, with multi-byte characters so bytes and characters differ. */
function bodyOf(bytes: number): string {
  const unit = 'ünï✓'; // 2 + 2 + 1 + 3 bytes
  const text = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
  return JSON.stringify({ type: 'ASYNC_RESP', text });
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('SqsClaimCheck (s3rver)', () => {
  it('leaves a message at or under the threshold as it is, and writes nothing', async () => {
    const before = await keys();
    const body = JSON.stringify({ type: 'ASYNC_RESP', small: true });
    const attributes = { request_id: stringAttribute('r-1') };
    const result = await claimCheck().offload(body, attributes);
    expect(result).toEqual({ body, attributes, offloaded: false });
    expect(await keys()).toEqual(before);
  });

  it('offloads a larger body in the Extended Client format and resolves it back', async () => {
    const body = bodyOf(DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES + 1000);
    const bodyBytes = Buffer.byteLength(body, 'utf8');
    expect(bodyBytes).toBeGreaterThan(body.length); // the size attribute counts bytes, not characters
    const attributes = { request_id: stringAttribute('r-2') };

    const result = await claimCheck().offload(body, attributes);

    const key = `${PREFIX}${sha256(body)}`;
    expect(result.offloaded).toBe(true);
    // Byte for byte what the Java library writes (Jackson, no spaces).
    expect(result.body).toBe(
      `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"${BUCKET}","s3Key":"${key}"}]`,
    );
    expect(result.attributes).toEqual({
      request_id: { DataType: 'String', StringValue: 'r-2' },
      ExtendedPayloadSize: { DataType: 'Number', StringValue: String(bodyBytes) },
    });
    expect(await objectText(BUCKET, key)).toBe(body);
    await expect(claimCheck().resolve(result.body, result.attributes)).resolves.toBe(body);
  });

  it('counts the attributes towards the threshold, as the extended clients do', async () => {
    const threshold = 2000;
    const attributes = { instance_id: stringAttribute('inst-1') };
    const attributeBytes = messageBytes('', attributes);
    expect(attributeBytes).toBe('instance_id'.length + 'String'.length + 'inst-1'.length);
    const fits = 'x'.repeat(threshold - attributeBytes);
    const over = 'x'.repeat(threshold - attributeBytes + 1);
    await expect(claimCheck(threshold).offload(fits, attributes)).resolves.toMatchObject({
      offloaded: false,
    });
    await expect(claimCheck(threshold).offload(over, attributes)).resolves.toMatchObject({
      offloaded: true,
    });
  });

  it('a threshold outside 0..1 MiB is refused', () => {
    expect(() => claimCheck(1024 * 1024 + 1)).toThrow(RangeError);
    expect(() => new SqsClaimCheck({ s3, bucket: BUCKET, prefix: PREFIX, thresholdBytes: -1 })).toThrow(
      RangeError,
    );
  });

  it('the same body offloaded twice is one object (content-addressed); a pointer is never wrapped again', async () => {
    const body = bodyOf(3000);
    const first = await claimCheck(1000).offload(body);
    const second = await claimCheck(1000).offload(body);
    expect(second).toEqual(first);
    expect((await keys()).filter((k) => k === `${PREFIX}${sha256(body)}`)).toHaveLength(1);
    await expect(claimCheck(1000).offload(first.body, first.attributes)).resolves.toEqual({
      ...first,
      offloaded: false,
    });
  });

  it('`force` offloads a small body (the fallback when SQS refused it)', async () => {
    const result = await claimCheck().offload('{"small":1}', {}, { force: true });
    expect(result.offloaded).toBe(true);
    expect(isPayloadPointer(result.body)).toBe(true);
    await expect(claimCheck().resolve(result.body, result.attributes)).resolves.toBe('{"small":1}');
  });

  it('a message that would need an eleventh attribute cannot be offloaded', async () => {
    const attributes = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`a${i}`, stringAttribute(String(i))]),
    );
    const thrown = await claimCheck(1000)
      .offload(bodyOf(2000), attributes)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(MessageUndeliverableError);
    expect(thrown).toMatchObject({ code: 'MESSAGE_TOO_MANY_ATTRIBUTES', retryable: false });
  });

  it('reads what the Python client and older Java clients write: legacy names, spaces, UUID keys', async () => {
    const theirBucket = 'capability-team-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: theirBucket }));
    const reply = JSON.stringify({ type: 'ASYNC_RESP', status: 'SUCCESS', outputs: { big: 'y'.repeat(10) } });
    const key = randomUUID();
    await s3.send(new PutObjectCommand({ Bucket: theirBucket, Key: key, Body: reply }));
    // Python's json.dumps puts spaces after separators; use_legacy_attribute writes SQSLargePayloadSize.
    const pythonBody = `["${PAYLOAD_POINTER_CLASS}", {"s3BucketName": "${theirBucket}", "s3Key": "${key}"}]`;
    const lambdaAttributes = {
      SQSLargePayloadSize: {
        dataType: 'Number',
        stringValue: String(reply.length),
        stringListValues: [],
        binaryListValues: [],
      },
    };
    await expect(claimCheck().resolve(pythonBody, lambdaAttributes)).resolves.toBe(reply);
    const legacyJava = `["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"${theirBucket}","s3Key":"${key}"}]`;
    await expect(claimCheck().resolve(legacyJava, { SQSLargePayloadSize: {} })).resolves.toBe(reply);
  });

  it('round-trips through a real queue: sent offloaded, received as a Lambda record, resolved', async () => {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cch-test-claim-queue' })))
      .QueueUrl as string;
    const body = bodyOf(DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES * 4);
    const message = await claimCheck().offload(body, { request_id: stringAttribute('r-q') });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: message.attributes,
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    const [raw] = received.Messages ?? [];
    expect(raw).toBeDefined();
    const record = toSqsRecord(raw as NonNullable<typeof raw>, 'arn:aws:sqs:us-east-1:123456789012:q');
    expect(record.messageAttributes[PAYLOAD_SIZE_ATTRIBUTE]).toMatchObject({
      dataType: 'Number',
      stringValue: String(Buffer.byteLength(body)),
    });
    await expect(claimCheck().resolve(record.body, record.messageAttributes)).resolves.toBe(body);
  });

  it('leaves ordinary bodies alone, JSON arrays included, without calling S3', async () => {
    const offline = new SqsClaimCheck({
      s3: new S3Client({ ...aws.clientConfig.s3, endpoint: 'http://127.0.0.1:1' }),
      bucket: BUCKET,
      prefix: PREFIX,
    });
    for (const body of [
      '{"type":"ASYNC_RESP"}',
      'not json',
      '["a", {"s3BucketName": "b", "s3Key": "k"}]',
      '',
    ]) {
      await expect(offline.resolve(body, {})).resolves.toBe(body);
    }
  });

  it('a message that declares a payload but carries no pointer, or points at nothing, is unreadable for good', async () => {
    const invalid = await claimCheck()
      .resolve('{"type":"ASYNC_RESP"}', { ExtendedPayloadSize: {} })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(EngineError);
    expect(invalid).toMatchObject({ code: 'CLAIM_CHECK_INVALID_POINTER', retryable: false });

    const gone = JSON.stringify([PAYLOAD_POINTER_CLASS, { s3BucketName: BUCKET, s3Key: `${PREFIX}gone` }]);
    const missing = await claimCheck()
      .resolve(gone, {})
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'CLAIM_CHECK_PAYLOAD_MISSING', retryable: false });
    expect((missing as Error).message).toContain(`s3://${BUCKET}/${PREFIX}gone`);
  });

  it('S3 faults are translated: a missing bucket is not retryable, throttling is', async () => {
    const noBucket = new SqsClaimCheck({
      s3,
      bucket: 'no-such-bucket-here',
      prefix: PREFIX,
      thresholdBytes: 10,
    });
    const refused = await noBucket.offload(bodyOf(100)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EngineError);
    expect(refused).toMatchObject({ code: 'S3_NoSuchBucket', retryable: false });

    // S3 asking us to slow down (injected into a real client, before the request leaves).
    const throttled = new S3Client({ ...aws.clientConfig.s3, maxAttempts: 1 });
    throttled.middlewareStack.add(
      () => () =>
        Promise.reject(
          Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          }),
        ),
      { step: 'finalizeRequest' },
    );
    try {
      const slow = new SqsClaimCheck({ s3: throttled, bucket: BUCKET, prefix: PREFIX, thresholdBytes: 10 });
      const failed = await slow.offload(bodyOf(100)).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(EngineError);
      expect(failed).toMatchObject({ code: 'S3_SlowDown', retryable: true });
      const pointer = JSON.stringify([PAYLOAD_POINTER_CLASS, { s3BucketName: BUCKET, s3Key: 'k' }]);
      await expect(slow.resolve(pointer)).rejects.toMatchObject({ code: 'S3_SlowDown', retryable: true });
    } finally {
      throttled.destroy();
    }
  });
});
