import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterQueueOf } from '../naming/resource-names';
import { awsCall } from './aws-errors';
import type { SqsClaimCheck } from './sqs-claim-check';
import { stringAttribute, type SdkMessageAttributes } from './sqs-message-attributes';
import { isQueueMissing, type QueueUrls } from './queue-urls';

/** The attribute that says why a message is in a DLQ. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'cch-dead-letter-reason';
/** The one log line of a dead-lettered message (level error). */
export const DEAD_LETTERED = 'message dead-lettered';
/** Reasons are cut to this many characters: enough to act on, small next to any message. */
const MAX_REASON_CHARS = 1024;

export interface DeadLetter {
  /** The work queue the message was received from; its DLQ is `deadLetterQueueOf(queueName)`. */
  readonly queueName: string;
  readonly messageId: string;
  /** The body as received: a payload pointer stays a pointer, so the DLQ copy reads like the original. */
  readonly body: string;
  readonly attributes: SdkMessageAttributes;
  readonly reason: string;
}

/**
 * Moves a message to the DLQ of its queue at once, with its reason attached (`cch-dead-letter-reason`),
 * instead of leaving it to fail its way there through the redrive policy, which attaches nothing. Used by
 * every consumer (the orchestrator's batch processor, the capability mock).
 *
 * The caller acknowledges the original only after `send` resolved: a copy in the DLQ first, then the
 * delete, so a crash in between leaves a duplicate, never a loss. `send` throws when the copy could not be
 * sent (the caller keeps the message; the redrive policy remains the backstop).
 */
export class SqsDeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueUrls,
    /** Offloads a copy that the reason attribute pushes over the threshold. */
    private readonly claimCheck?: SqsClaimCheck,
  ) {}

  async send(letter: DeadLetter, log: (fields: object, message: string) => void): Promise<void> {
    const dlqName = deadLetterQueueOf(letter.queueName);
    const reason = reasonText(letter.reason);
    const attributes = { ...letter.attributes, [DEAD_LETTER_REASON_ATTRIBUTE]: stringAttribute(reason) };
    const message = this.claimCheck
      ? await this.claimCheck.offload(letter.body, attributes)
      : { body: letter.body, attributes };
    const queueUrl = await this.queues.url(dlqName);
    try {
      await awsCall('SQS', `SendMessage ${dlqName}`, () =>
        this.sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: message.body,
            MessageAttributes: message.attributes,
          }),
        ),
      );
    } catch (error) {
      if (isQueueMissing(error)) this.queues.forget(dlqName);
      throw error;
    }
    log(
      { reason, queue: letter.queueName, dead_letter_queue: dlqName, message_id: letter.messageId },
      DEAD_LETTERED,
    );
  }
}

/**
 * A reason SQS accepts as a String attribute value: characters outside what SQS allows in messages
 * (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF) become `?`; never empty; at most 1024 characters.
 */
export function reasonText(reason: string): string {
  const chars = [...reason].map((c) =>
    /[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(c) ? c : '?',
  );
  if (chars.join('').trim() === '') return 'no reason given';
  // Cut by code points, so a surrogate pair is never split.
  return chars.length <= MAX_REASON_CHARS
    ? chars.join('')
    : `${chars.slice(0, MAX_REASON_CHARS - 1).join('')}…`;
}
