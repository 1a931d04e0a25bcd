import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { capabilityDomain } from '../naming/resource-names';
import { CapabilityQueueMissingError, EngineError, MessageUndeliverableError } from '../runtime/errors';
import type { CapabilityMessage } from '../runtime/messages';
import type { CapabilityDispatcher, DispatchReport, UndeliverableRequest } from '../runtime/ports';
import { translateAwsError } from './aws-errors';
import { isQueueMissing, type QueueUrls } from './queue-urls';
import { sqsBatches } from './sqs-batches';
import { messageBytes, type OutgoingMessage, type SqsClaimCheck } from './sqs-claim-check';
import { stringAttribute } from './sqs-message-attributes';

interface Entry {
  readonly request: CapabilityMessage;
  readonly message: OutgoingMessage;
}

/**
 * Sends ASYNC_REQ messages (and ASYNC_CANCELLED notices, the same way) to `capability-<domain>-request-queue`, in batches (ten entries, 256 KiB) per
 * queue. A request over the claim-check threshold travels as a pointer to its body in S3.
 *
 * What cannot be sent is sorted by whether a retry could ever help:
 * - never (reported in `undeliverable`, the other requests still go): the domain has no queue
 *   (CapabilityQueueMissingError); a request SQS refuses as the sender's fault even when sent through S3,
 *   or too large for any claim check (MessageUndeliverableError);
 * - maybe (thrown, retryable or not, and the runtime dispatches again with the same request ids): any
 *   other fault. Capabilities must treat a repeated request_id as the same request.
 */
export class SqsCapabilityDispatcher implements CapabilityDispatcher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueUrls,
    private readonly queueNameOf: (domain: string) => string,
    private readonly claimCheck: SqsClaimCheck,
  ) {}

  async dispatch(requests: readonly CapabilityMessage[]): Promise<DispatchReport> {
    const byDomain = new Map<string, CapabilityMessage[]>();
    for (const request of requests) {
      const domain = capabilityDomain(request.capability_id);
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), request]);
    }
    const undeliverable: UndeliverableRequest[] = [];
    for (const [domain, batch] of byDomain) {
      undeliverable.push(...(await this.sendToDomain(domain, batch)));
    }
    return { undeliverable };
  }

  private async sendToDomain(
    domain: string,
    requests: readonly CapabilityMessage[],
  ): Promise<UndeliverableRequest[]> {
    const queueName = this.queueNameOf(domain);
    const missing = (cause: unknown) =>
      requests.map((request) => ({
        request_id: request.request_id,
        error: new CapabilityQueueMissingError(domain, queueName, { cause }),
      }));
    let queueUrl: string;
    try {
      queueUrl = await this.queues.url(queueName);
    } catch (error) {
      if (isQueueMissing(error)) return missing(error);
      throw error;
    }

    const undeliverable: UndeliverableRequest[] = [];
    const entries: Entry[] = [];
    for (const request of requests) {
      const result = await this.prepare(request);
      if (result instanceof MessageUndeliverableError) {
        undeliverable.push({ request_id: request.request_id, error: result });
      } else {
        entries.push({ request, message: result });
      }
    }

    try {
      for (const chunk of sqsBatches(entries, bytesOf)) {
        undeliverable.push(...(await this.sendChunk(queueUrl, queueName, chunk)));
      }
    } catch (error) {
      if (!isQueueMissing(error)) throw error;
      // The queue was deleted after its URL was cached: what was sent went with it. Look it up afresh
      // next time, so a queue created again is used.
      this.queues.forget(queueName);
      return missing(error);
    }
    return undeliverable;
  }

  /** Sends one batch; entries SQS refuses as the sender's fault get a last chance alone, through S3. */
  private async sendChunk(
    queueUrl: string,
    queueName: string,
    chunk: readonly Entry[],
  ): Promise<UndeliverableRequest[]> {
    let failed: { entry: Entry; code: string; message: string }[];
    try {
      failed = await this.sendBatch(queueUrl, chunk);
    } catch (error) {
      if (isQueueMissing(error)) throw error;
      const translated = translateAwsError('SQS', `SendMessageBatch ${queueName}`, error);
      if (translated.retryable) throw translated;
      // Refused as a whole (e.g. too long, as SQS counts it): each entry gets its own chance below.
      failed = chunk.map((entry) => ({ entry, code: translated.code, message: translated.message }));
    }
    const undeliverable: UndeliverableRequest[] = [];
    for (const { entry, code, message } of failed) {
      const last = await this.sendAlone(queueUrl, queueName, entry);
      if (last === undefined) continue;
      undeliverable.push({
        request_id: entry.request.request_id,
        error: new MessageUndeliverableError(
          last.code,
          `capability request ${entry.request.request_id} to ${queueName} cannot be sent: ${last.message} (first refused with ${code}: ${message})`,
        ),
      });
    }
    return undeliverable;
  }

  /** The message to send for a request, or why no message can carry it. S3 faults are thrown. */
  private async prepare(request: CapabilityMessage): Promise<OutgoingMessage | MessageUndeliverableError> {
    try {
      return await this.claimCheck.offload(JSON.stringify(request), requestAttributes(request));
    } catch (error) {
      if (error instanceof MessageUndeliverableError) return error;
      if (error instanceof EngineError && !error.retryable) {
        return new MessageUndeliverableError(error.code, error.message, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Sends one batch. Entries SQS refuses as the sender's fault are returned, for `sendAlone`; any other
   * refusal fails the whole dispatch (retryable), as a partial send is redone with the same request ids.
   */
  private async sendBatch(
    queueUrl: string,
    chunk: readonly Entry[],
  ): Promise<{ entry: Entry; code: string; message: string }[]> {
    const response = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((entry, n) => ({
          Id: String(n),
          MessageBody: entry.message.body,
          MessageAttributes: entry.message.attributes,
        })),
      }),
    );
    const failed = response.Failed ?? [];
    const transient = failed.filter((f) => !f.SenderFault);
    if (transient.length > 0) {
      const reasons = transient.map((f) => `${f.Id}: ${f.Code ?? '?'} ${f.Message ?? ''}`).join('; ');
      throw new EngineError('SQS_PARTIAL_SEND', `capability requests not sent: ${reasons}`, true);
    }
    return failed.map((f) => ({
      entry: chunk[Number(f.Id)] as Entry,
      code: `SQS_${f.Code ?? 'SenderFault'}`,
      message: f.Message ?? 'refused',
    }));
  }

  /**
   * The last chance of a request SQS refused: alone, and through S3 whatever its size. Returns why it
   * still cannot be sent, or undefined once it is sent. Retryable faults are thrown.
   */
  private async sendAlone(
    queueUrl: string,
    queueName: string,
    entry: Entry,
  ): Promise<{ code: string; message: string } | undefined> {
    let message: OutgoingMessage;
    try {
      message = await this.claimCheck.offload(
        JSON.stringify(entry.request),
        requestAttributes(entry.request),
        {
          force: true,
        },
      );
    } catch (error) {
      if (error instanceof EngineError && !error.retryable) return error;
      throw error;
    }
    try {
      const failed = await this.sendBatch(queueUrl, [{ request: entry.request, message }]);
      return failed[0] && { code: failed[0].code, message: failed[0].message };
    } catch (error) {
      if (isQueueMissing(error)) throw error;
      const translated = translateAwsError('SQS', `SendMessageBatch ${queueName}`, error);
      if (translated.retryable) throw translated;
      return translated;
    }
  }
}

const bytesOf = (entry: Entry) => messageBytes(entry.message.body, entry.message.attributes);

/** Attributes every request carries, so consumers can route or log without parsing the body. */
function requestAttributes(request: CapabilityMessage) {
  return {
    instance_id: stringAttribute(request.instance_id),
    request_id: stringAttribute(request.request_id),
  };
}
