import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EngineError } from '../errors/engine-error';
import { parseInboundMessage } from '../runtime/parse-message';
import type { InboundMessage } from '../runtime/messages';
import type { Logger } from '../runtime/ports';

/**
 * One SQS batch for a bridging Lambda: each message parsed as the engine parses it and handled on its
 * own, so a bad one never blocks the others (ReportBatchItemFailures). A message that failed comes back;
 * one that can never succeed (not JSON, schema-invalid, refused) is logged with its reason every time and
 * left to the queue's redrive policy, which moves it to the DLQ.
 */
export async function handleBridgeBatch(
  event: SQSEvent,
  logger: Logger,
  handle: (message: InboundMessage) => Promise<string>,
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
    try {
      const outcome = await handle(parsed.message);
      logger.info({ message_id: record.messageId, type: parsed.message.type, outcome }, 'message handled');
    } catch (error) {
      const retryable = error instanceof EngineError ? error.retryable : true;
      logger[retryable ? 'warn' : 'error'](
        { message_id: record.messageId, type: parsed.message.type, error: String(error), retryable },
        retryable ? 'message failed; it comes back' : 'message refused; it will go to the DLQ',
      );
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
