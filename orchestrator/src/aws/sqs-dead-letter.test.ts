import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { deadLetterQueueOf, resourceNames } from '../naming/resource-names';
import { EngineError } from '../runtime/errors';
import { QueueUrls } from './queue-urls';
import { isPayloadPointer, PAYLOAD_SIZE_ATTRIBUTE, SqsClaimCheck } from './sqs-claim-check';
import { DEAD_LETTER_REASON_ATTRIBUTE, DEAD_LETTERED, reasonText, SqsDeadLetters } from './sqs-dead-letter';
import { stringAttribute } from './sqs-message-attributes';

jest.setTimeout(15_000);

const BUCKET = 'cch-test-dead-eventdata-bucket';

let aws: EmbeddedAws;
let sqs: SQSClient;
let s3: S3Client;

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

async function receive(queueUrl: string): Promise<Message[]> {
  const response = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  return response.Messages ?? [];
}

describe('deadLetterQueueOf', () => {
  const names = resourceNames({ env: 'dev', owner: 'alice' });

  it('names the DLQ of every work queue the naming module makes', () => {
    expect(deadLetterQueueOf(names.commandQueue)).toBe(names.commandDlq);
    expect(deadLetterQueueOf(names.replyQueue)).toBe(names.replyDlq);
    expect(deadLetterQueueOf(names.capabilityRequestQueue('import'))).toBe(
      names.capabilityRequestDlq('import'),
    );
    expect(deadLetterQueueOf('cch-dev-alice-orchestrator-command-queue')).toBe(
      'cch-dev-alice-orchestrator-command-dlq',
    );
  });

  it('refuses a name that is not `...-queue`', () => {
    expect(() => deadLetterQueueOf('some-queue-1')).toThrow("queue 'some-queue-1' is not named '...-queue'");
    expect(() => deadLetterQueueOf(names.commandDlq)).toThrow('is not named');
    expect(() => deadLetterQueueOf('-queue')).toThrow('is not named');
  });
});

describe('reasonText', () => {
  it('keeps a plain reason as it is', () => {
    expect(reasonText('unknown workflow x_v1')).toBe('unknown workflow x_v1');
  });

  it('replaces what SQS refuses in an attribute, and is never empty', () => {
    expect(reasonText('nul\u0000 and lone \uD800 surrogate, emoji 🚀 kept')).toBe(
      'nul? and lone ? surrogate, emoji 🚀 kept',
    );
    expect(reasonText('  ')).toBe('no reason given');
  });

  it('cuts a long reason to 1024 characters without splitting a character', () => {
    const cut = reasonText('🚀'.repeat(2000));
    expect([...cut]).toHaveLength(1024);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('SqsDeadLetters (local-aws-sqs)', () => {
  it('sends the body and attributes with the reason to the DLQ of the queue, then logs one line', async () => {
    const dlqUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: 'cch-test-dead-orchestrator-reply-dlq' }))
    ).QueueUrl as string;
    const logged: { fields: object; message: string }[] = [];
    await new SqsDeadLetters(sqs, new QueueUrls(sqs)).send(
      {
        queueName: 'cch-test-dead-orchestrator-reply-queue',
        messageId: 'm-1',
        body: '{"type":"ASYNC_RESP"}',
        attributes: { request_id: stringAttribute('r-1') },
        reason: 'reply for unknown instance i-1',
      },
      (fields, message) => logged.push({ fields, message }),
    );
    const [dead, ...more] = await receive(dlqUrl);
    expect(more).toEqual([]);
    expect(dead?.Body).toBe('{"type":"ASYNC_RESP"}');
    expect(dead?.MessageAttributes).toEqual({
      request_id: { DataType: 'String', StringValue: 'r-1' },
      [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: 'reply for unknown instance i-1' },
    });
    expect(logged).toEqual([
      {
        message: DEAD_LETTERED,
        fields: {
          reason: 'reply for unknown instance i-1',
          queue: 'cch-test-dead-orchestrator-reply-queue',
          dead_letter_queue: 'cch-test-dead-orchestrator-reply-dlq',
          message_id: 'm-1',
        },
      },
    ]);
  });

  it('a copy the reason pushes over the threshold goes through S3; a pointer stays the same pointer', async () => {
    const dlqUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: 'cch-test-dead-capability-x-request-dlq' }))
    ).QueueUrl as string;
    const claimCheck = new SqsClaimCheck({
      s3,
      bucket: BUCKET,
      prefix: 'sqs-payloads/',
      thresholdBytes: 2000,
    });
    const letters = new SqsDeadLetters(sqs, new QueueUrls(sqs), claimCheck);
    const nearly = 'n'.repeat(1990);
    const pointer = await claimCheck.offload('p'.repeat(5000));
    for (const [body, attributes] of [
      [nearly, {}],
      [pointer.body, pointer.attributes],
    ] as const) {
      await letters.send(
        {
          queueName: 'cch-test-dead-capability-x-request-queue',
          messageId: 'm',
          body,
          attributes,
          reason: 'bad',
        },
        () => undefined,
      );
    }
    const dead = await receive(dlqUrl);
    expect(dead).toHaveLength(2);
    for (const message of dead) {
      expect(isPayloadPointer(message.Body ?? '')).toBe(true);
      expect(message.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toBe('bad');
    }
    const bodies = await Promise.all(dead.map((m) => claimCheck.resolve(m.Body ?? '', m.MessageAttributes)));
    expect(bodies.sort()).toEqual([nearly, 'p'.repeat(5000)].sort());
    expect(
      dead.find((m) => m.Body === pointer.body)?.MessageAttributes?.[PAYLOAD_SIZE_ATTRIBUTE]?.StringValue,
    ).toBe('5000');
  });

  it('a missing DLQ throws (the caller keeps the message), and a DLQ created later is found', async () => {
    const letters = new SqsDeadLetters(sqs, new QueueUrls(sqs));
    const letter = {
      queueName: 'cch-test-dead-late-orchestrator-command-queue',
      messageId: 'm-2',
      body: 'x',
      attributes: {},
      reason: 'poison',
    };
    const logged: string[] = [];
    const thrown = await letters.send(letter, (_, m) => logged.push(m)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('SQS_QueueDoesNotExist');
    expect(logged).toEqual([]);

    const dlqUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: 'cch-test-dead-late-orchestrator-command-dlq' }))
    ).QueueUrl as string;
    await letters.send(letter, (_, m) => logged.push(m));
    expect(logged).toEqual([DEAD_LETTERED]);
    expect((await receive(dlqUrl)).map((m) => m.Body)).toEqual(['x']);
  });
});
