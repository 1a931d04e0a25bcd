import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { withSender } from '../aws/sqs-batch-processor';
import type { SqsDeadLetters } from '../aws/sqs-dead-letter';
import { toSdkAttributes } from '../aws/sqs-message-attributes';
import { EngineError } from '../errors/engine-error';
import { parseInboundMessage } from '../runtime/parse-message';
import type { InboundMessage } from '../runtime/messages';
import type { Delivery, Logger } from '../runtime/ports';

export interface BridgeBatchOptions {
  /**
   * Moves a message whose handling threw an error `refusedAtOnce` accepts to its queue's DLQ at once, with
   * the error's message as its reason (`cch-dead-letter-reason`) and its sender (`cch-original-sender`), as
   * the engine dead-letters a refused reply. A failed DLQ send leaves the message to the redrive policy.
   */
  readonly deadLetters?: SqsDeadLetters;
  readonly refusedAtOnce?: (error: unknown) => boolean;
}

/**
 * One SQS batch for a bridging Lambda: each message parsed as the engine parses it and handled on its
 * own, so a bad one never blocks the others (ReportBatchItemFailures). A message that failed comes back;
 * one that can never succeed (not JSON, schema-invalid, refused) is logged with its reason every time and
 * left to the queue's redrive policy, which moves it to the DLQ, unless `options` dead-letter it at once.
 * `handle` is told who sent the message (SQS's SenderId), for the reply bridge's sender check.
 */
export async function handleBridgeBatch(
  event: SQSEvent,
  logger: Logger,
  handle: (message: InboundMessage, delivery: Delivery) => Promise<string>,
  options: BridgeBatchOptions = {},
): Promise<SQSBatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const parsed = parseInboundMessage(record.body);
    if (!parsed.ok) {
      logger.error(
        { message_id: record.messageId, reason: parsed.reason },
        'poison message; it will go to the DLQ',
      );
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const senderId = record.attributes.SenderId || undefined;
    try {
      const outcome = await handle(parsed.message, { senderId });
      logger.info({ message_id: record.messageId, type: parsed.message.type, outcome }, 'message handled');
    } catch (error) {
      if (options.deadLetters && options.refusedAtOnce?.(error)) {
        if (await deadLetter(options.deadLetters, record, String((error as Error).message), senderId, logger))
          continue;
      } else {
        const retryable = error instanceof EngineError ? error.retryable : true;
        logger[retryable ? 'warn' : 'error'](
          { message_id: record.messageId, type: parsed.message.type, error: String(error), retryable },
          retryable ? 'message failed; it comes back' : 'message refused; it will go to the DLQ',
        );
      }
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** True when the copy is in the DLQ (the original may be acknowledged); false when it must be failed. */
async function deadLetter(
  deadLetters: SqsDeadLetters,
  record: SQSRecord,
  reason: string,
  senderId: string | undefined,
  logger: Logger,
): Promise<boolean> {
  try {
    await deadLetters.send(
      {
        queueName: record.eventSourceARN.split(':').pop() ?? '',
        messageId: record.messageId,
        body: record.body,
        // Who sent it stays with it (a refused reply's sender is what an operator asks first).
        attributes: withSender(toSdkAttributes(record.messageAttributes), senderId),
        reason,
      },
      (fields, message) => logger.error(fields, message),
    );
    return true;
  } catch (error) {
    logger.error(
      { message_id: record.messageId, reason, error: String(error) },
      'dead-letter copy not sent; the message is failed and the redrive policy moves it',
    );
    return false;
  }
}
