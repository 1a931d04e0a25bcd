import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { capabilityDomain } from '../naming/resource-names';
import { EngineError } from '../runtime/errors';
import type { AsyncRequestMessage } from '../runtime/messages';
import type { CapabilityDispatcher, DispatchReport } from '../runtime/ports';
import { awsCall } from './aws-errors';
import type { QueueUrls } from './queue-urls';

const SQS_BATCH_LIMIT = 10;

/**
 * Sends ASYNC_REQ messages to `capability-<domain>-request-queue`, in batches of ten per queue. Any entry
 * SQS refuses fails the whole dispatch (retryable): the runtime sends again with the same request ids, and
 * capabilities must treat a repeated request_id as the same request.
 */
export class SqsCapabilityDispatcher implements CapabilityDispatcher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueUrls,
    private readonly queueNameOf: (domain: string) => string,
  ) {}

  async dispatch(requests: readonly AsyncRequestMessage[]): Promise<DispatchReport> {
    const byDomain = new Map<string, AsyncRequestMessage[]>();
    for (const request of requests) {
      const domain = capabilityDomain(request.capability_id);
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), request]);
    }
    for (const [domain, batch] of byDomain) {
      const queueUrl = await this.queues.url(this.queueNameOf(domain));
      for (let i = 0; i < batch.length; i += SQS_BATCH_LIMIT) {
        const chunk = batch.slice(i, i + SQS_BATCH_LIMIT);
        const response = await awsCall('SQS', 'SendMessageBatch', () =>
          this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((request, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify(request),
                MessageAttributes: {
                  instance_id: { DataType: 'String', StringValue: request.instance_id },
                  request_id: { DataType: 'String', StringValue: request.request_id },
                },
              })),
            }),
          ),
        );
        const failed = response.Failed ?? [];
        if (failed.length > 0) {
          const reasons = failed.map((f) => `${f.Id}: ${f.Code ?? '?'} ${f.Message ?? ''}`).join('; ');
          throw new EngineError(
            'SQS_PARTIAL_SEND',
            `capability requests to ${domain} not sent: ${reasons}`,
            true,
          );
        }
      }
    }
    return { undeliverable: [] };
  }
}
