import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  MockCapabilities,
  type CapabilityMocks,
} from '../../orchestrator/src/capability-mocks/capability-mocks';
import { asyncRequestMessageSchema, type AsyncRequestMessage } from '../../orchestrator/src/runtime/messages';

/** SQS delays a message by at most 15 minutes; a longer scripted delay is cut to that. */
const MAX_DELAY_SECONDS = 900;

export interface CapabilityMockOptions {
  readonly sqs: SQSClient;
  /** Per capability id: failure, delay, duplicate or missing replies (the `wf run --mocks` language). */
  readonly scenarios?: CapabilityMocks;
  /** The value of an expected output key the scenario does not set, e.g. an S3 URI of sample data. */
  readonly defaultOutput?: (request: AsyncRequestMessage, key: string) => unknown;
  readonly log?: (level: 'info' | 'error', fields: object, message: string) => void;
}

/**
 * The mock capability: consumes ASYNC_REQ messages from capability request queues and answers on each
 * request's `reply_to` queue as its scenario says. By default: SUCCESS at once, with a value for each
 * expected output key. A malformed request fails alone (and reaches the DLQ after its retries).
 */
export function createCapabilityMock(options: CapabilityMockOptions) {
  const planner = new MockCapabilities(options.scenarios ?? {}, options.defaultOutput);
  const log = options.log ?? (() => undefined);
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    for (const record of event.Records) {
      let request: AsyncRequestMessage;
      try {
        request = asyncRequestMessageSchema.parse(JSON.parse(record.body));
      } catch (error) {
        log('error', { message_id: record.messageId, error: String(error) }, 'malformed capability request');
        failures.push(record.messageId);
        continue;
      }
      const { delayMs, replies } = planner.plan(request);
      const fields = {
        instance_id: request.instance_id,
        request_id: request.request_id,
        capability_id: request.capability_id,
      };
      if (replies.length === 0) {
        log('info', fields, 'mock capability: scripted not to reply');
        continue;
      }
      try {
        const delay = Math.min(MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000));
        const response = await options.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: request.reply_to,
            Entries: replies.map((reply, i) => ({
              Id: String(i),
              MessageBody: JSON.stringify(reply),
              DelaySeconds: delay,
            })),
          }),
        );
        if ((response.Failed ?? []).length > 0)
          throw new Error(`reply not sent: ${JSON.stringify(response.Failed)}`);
        log(
          'info',
          { ...fields, status: replies[0]?.status, copies: replies.length, delay_seconds: delay },
          'mock capability replied',
        );
      } catch (error) {
        log('error', { ...fields, error: String(error) }, 'mock capability could not reply');
        failures.push(record.messageId);
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
