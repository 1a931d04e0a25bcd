import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { toLambdaAttributes } from '../../orchestrator/src/aws/sqs-message-attributes';
import { LOCAL_REGION } from '../../orchestrator/src/naming/local-endpoints';
import { LOCAL_SENDER_ATTRIBUTE } from './local-principals';
import type { ConsumedQueue } from './provision-local';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  readonly batchSize?: number;
  /**
   * Long-poll wait. 0 by default: local-aws-sqs waits the whole time when fewer than a batch are there,
   * so short polls with a brief idle pause deliver faster.
   */
  readonly waitTimeSeconds?: number;
  readonly idleMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Does for one queue what Lambda's SQS event source mapping does: receives batches, invokes the handler
 * with an SQSEvent, deletes the records the handler did not list in `batchItemFailures` (a thrown error
 * fails the whole batch). Failed records become visible again after the visibility timeout (or sooner, if
 * the handler shortened it) and the queue's redrive policy moves them to the DLQ after maxReceiveCount.
 */
export class SqsPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private inFlight = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: ConsumedQueue,
    private readonly handler: SqsHandler,
    private readonly options: PollerOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let messages: Message[] = [];
      try {
        const response = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queue.url,
            MaxNumberOfMessages: this.options.batchSize ?? 10,
            WaitTimeSeconds: this.options.waitTimeSeconds ?? 0,
            // local-aws-sqs ignores MessageSystemAttributeNames; AttributeNames works on both.
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = dedupe(response.Messages ?? []);
      } catch (error) {
        if (!this.running) break;
        this.options.onError?.(error);
        await sleep(200);
        continue;
      }
      if (messages.length === 0) {
        await sleep(this.options.idleMs ?? 50);
        continue;
      }
      this.inFlight++;
      try {
        await this.invoke(messages);
      } finally {
        this.inFlight--;
      }
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, this.queue.arn)) };
    let failed: Set<string>;
    try {
      const response = await this.handler(event);
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length === 0) return;
    try {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}

/**
 * An SQS message as Lambda's event source mapping hands it to a function, message attributes included;
 * `SenderId` is the principal the local transport stamped on it (see local-principals.ts), if any.
 */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const { [LOCAL_SENDER_ATTRIBUTE]: stamped, ...messageAttributes } = message.MessageAttributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: stamped?.StringValue ?? attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(messageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/** local-aws-sqs can return one message twice in a receive when its visibility is shorter than the wait. */
function dedupe(messages: Message[]): Message[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    const id = m.MessageId ?? '';
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
