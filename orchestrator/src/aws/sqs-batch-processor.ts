import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { HandleOutcome } from '../runtime/handle-outcome';
import { parseInboundMessage } from '../runtime/parse-message';
import type { Logger } from '../runtime/ports';
import type { OrchestratorRuntime } from '../runtime/orchestrator-runtime';

/** Processes at most this many instances of a batch at once. */
const INSTANCE_CONCURRENCY = 4;

/**
 * Turns an SQS batch into runtime calls, the way the event source mapping expects
 * (`ReportBatchItemFailures`): every record that is not done is listed, and only those come back.
 * - Records of one instance run in order, one at a time (they would only fight over the lease);
 *   different instances run concurrently.
 * - A poison record (not JSON, schema-invalid) fails alone, with its reason logged; SQS moves it to the
 *   DLQ after maxReceiveCount.
 * - A retry (busy instance, early reply) shortens the record's visibility to the runtime's delay, so it
 *   comes back in seconds rather than after the full visibility timeout.
 * - An unexpected error fails the record alone; the rest of the batch is unaffected.
 */
export class SqsBatchProcessor {
  constructor(
    private readonly runtime: OrchestratorRuntime,
    private readonly sqs: SQSClient,
    private readonly queueUrlOf: (record: SQSRecord) => Promise<string>,
    private readonly logger: Logger,
  ) {}

  async process(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: string[] = [];
    const groups = new Map<string, SQSRecord[]>();
    for (const record of event.Records) {
      const parsed = parseInboundMessage(record.body);
      if (!parsed.ok) {
        this.logger.error(
          {
            message_id: record.messageId,
            receive_count: record.attributes.ApproximateReceiveCount,
            reason: parsed.reason,
          },
          'poison message: it goes to the DLQ after its retries',
        );
        failures.push(record.messageId);
        continue;
      }
      const message = parsed.message;
      const group = 'instance_id' in message && message.instance_id ? message.instance_id : record.messageId;
      groups.set(group, [...(groups.get(group) ?? []), record]);
    }

    const queue = [...groups.values()];
    const worker = async () => {
      for (let records = queue.shift(); records; records = queue.shift()) {
        for (const record of records) {
          if (!(await this.processRecord(record))) failures.push(record.messageId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSTANCE_CONCURRENCY, queue.length) }, worker));
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  /** True when the record is done and may be deleted. */
  private async processRecord(record: SQSRecord): Promise<boolean> {
    const parsed = parseInboundMessage(record.body);
    if (!parsed.ok) return false;
    const message = parsed.message;
    const log = this.logger.child({
      message_id: record.messageId,
      message_type: message.type,
      ...('instance_id' in message && message.instance_id ? { instance_id: message.instance_id } : {}),
      ...('workflow_id' in message ? { workflow_id: message.workflow_id } : {}),
      ...('request_id' in message ? { request_id: message.request_id } : {}),
    });
    let outcome: HandleOutcome;
    try {
      outcome = await this.runtime.handle(message, record.messageId);
    } catch (error) {
      const e = error as { code?: string; retryable?: boolean; message?: string };
      log.error(
        {
          error: {
            code: e.code ?? 'UNEXPECTED',
            retryable: e.retryable ?? true,
            message: e.message ?? String(error),
          },
        },
        'message failed; it will be redelivered',
      );
      return false;
    }
    if (outcome.kind === 'ack') return true;
    if (outcome.kind === 'reject') {
      log.error(
        { reason: outcome.reason, receive_count: record.attributes.ApproximateReceiveCount },
        'message rejected: it goes to the DLQ after its retries',
      );
      return false;
    }
    log.info({ reason: outcome.reason, retry_in_seconds: outcome.delaySeconds }, 'message will be retried');
    try {
      const queueUrl = await this.queueUrlOf(record);
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: outcome.delaySeconds,
        }),
      );
    } catch (error) {
      log.warn(
        { error: String(error) },
        'could not shorten visibility; the message returns after the full timeout',
      );
    }
    return false;
  }
}
