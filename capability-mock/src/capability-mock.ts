import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { QueueUrls } from '../../orchestrator/src/aws/queue-urls';
import { sqsBatches } from '../../orchestrator/src/aws/sqs-batches';
import {
  isPayloadPointer,
  messageBytes,
  type OutgoingMessage,
  type SqsClaimCheck,
} from '../../orchestrator/src/aws/sqs-claim-check';
import { SqsDeadLetters } from '../../orchestrator/src/aws/sqs-dead-letter';
import { toSdkAttributes } from '../../orchestrator/src/aws/sqs-message-attributes';
import {
  MockCapabilities,
  type CapabilityMocks,
  type DefaultOutput,
} from '../../orchestrator/src/capability-mocks/capability-mocks';
import { capabilityMessageSchema, type CapabilityMessage } from '../../orchestrator/src/runtime/messages';
import { bodyProblems, jsonErrorWithoutText } from '../../orchestrator/src/runtime/parse-message';

/** SQS delays a message by at most 15 minutes; a longer scripted delay is cut to that. */
const MAX_DELAY_SECONDS = 900;

export interface CapabilityMockOptions {
  readonly sqs: SQSClient;
  /**
   * The claim check (SQS Extended Client format): reads requests offloaded to S3 and offloads replies over
   * its threshold. Without it an offloaded request cannot be read (it is dead-lettered) and a reply over
   * SQS's limit cannot be sent.
   */
  readonly claimCheck?: SqsClaimCheck;
  /** Per capability id: failure, delay, duplicate or missing replies (the `wf run --mocks` language). */
  readonly scenarios?: CapabilityMocks;
  /** The value of an expected output key the scenario does not set, e.g. an S3 URI of sample data. */
  readonly defaultOutput?: DefaultOutput;
  readonly log?: (level: 'info' | 'error', fields: object, message: string) => void;
}

/**
 * The mock capability: consumes ASYNC_REQ messages from capability request queues and answers on each
 * request's `reply_to` queue as its scenario says. By default: SUCCESS at once, with a value for each
 * expected output key. An ASYNC_CANCELLED notice (the instance was cancelled) is logged and consumed: the
 * mock has no work to stop, and a reply it already scheduled is acknowledged as stale. A message that can
 * never be read (not JSON, neither of those, a pointer to nothing) goes to its queue's DLQ at once with the
 * reason; one whose reply cannot be sent now fails alone.
 */
export function createCapabilityMock(options: CapabilityMockOptions) {
  const planner = new MockCapabilities(options.scenarios ?? {}, options.defaultOutput);
  const log = options.log ?? (() => undefined);
  const deadLetters = new SqsDeadLetters(options.sqs, new QueueUrls(options.sqs), options.claimCheck);

  /** True when the record may be deleted. */
  async function deadLetter(record: SQSRecord, reason: string): Promise<boolean> {
    try {
      await deadLetters.send(
        {
          queueName: record.eventSourceARN.split(':').pop() ?? '',
          messageId: record.messageId,
          body: record.body,
          attributes: toSdkAttributes(record.messageAttributes),
          reason,
        },
        (fields, message) => log('error', fields, message),
      );
      return true;
    } catch (error) {
      log('error', { message_id: record.messageId, reason, error: String(error) }, 'could not dead-letter');
      return false;
    }
  }

  /** The message a record carries; a string says why it can never be read; undefined: try again later. */
  async function read(record: SQSRecord): Promise<CapabilityMessage | string | undefined> {
    if (!options.claimCheck && isPayloadPointer(record.body)) {
      return 'the request was offloaded to S3 (SQS Extended Client format) and this consumer has no claim check';
    }
    let body: string;
    try {
      body = options.claimCheck
        ? await options.claimCheck.resolve(record.body, record.messageAttributes)
        : record.body;
    } catch (error) {
      const e = error as { retryable?: boolean; code?: string; message?: string };
      if (e.retryable !== false) {
        log(
          'error',
          { message_id: record.messageId, error: String(error) },
          'capability request not readable now',
        );
        return undefined;
      }
      return `${e.code ?? 'UNREADABLE'}: ${e.message ?? String(error)}`;
    }
    return parseCapabilityRequest(body);
  }

  /** Each distinct reply body once through the claim check (duplicates share one offloaded object). */
  async function outgoing(bodies: readonly string[]): Promise<OutgoingMessage[]> {
    const prepared = new Map<string, Promise<OutgoingMessage>>();
    return Promise.all(
      bodies.map((body) => {
        let message = prepared.get(body);
        if (!message) {
          message = options.claimCheck
            ? options.claimCheck.offload(body)
            : Promise.resolve({ body, attributes: {} });
          prepared.set(body, message);
        }
        return message;
      }),
    );
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    for (const record of event.Records) {
      const request = await read(record);
      if (request === undefined) {
        failures.push(record.messageId);
        continue;
      }
      if (typeof request === 'string') {
        if (!(await deadLetter(record, request))) failures.push(record.messageId);
        continue;
      }
      if (request.type === 'ASYNC_CANCELLED') {
        log(
          'info',
          {
            instance_id: request.instance_id,
            request_id: request.request_id,
            capability_id: request.capability_id,
            reason: request.reason,
          },
          'mock capability: request cancelled (nothing to stop)',
        );
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
        const messages = await outgoing(replies.map((reply) => JSON.stringify(reply)));
        const entries = messages.map((message, i) => ({ id: String(i), message }));
        for (const batch of sqsBatches(entries, (e) => messageBytes(e.message.body, e.message.attributes))) {
          const response = await options.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: request.reply_to,
              Entries: batch.map(({ id, message }) => ({
                Id: id,
                MessageBody: message.body,
                ...(Object.keys(message.attributes).length > 0
                  ? { MessageAttributes: message.attributes }
                  : {}),
                DelaySeconds: delay,
              })),
            }),
          );
          if ((response.Failed ?? []).length > 0)
            throw new Error(`reply not sent: ${JSON.stringify(response.Failed)}`);
        }
        log(
          'info',
          {
            ...fields,
            status: replies[0]?.status,
            copies: replies.length,
            delay_seconds: delay,
            offloaded: messages[0]?.body !== JSON.stringify(replies[0]),
          },
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

/**
 * A request body as the message it carries, or the one-line reason it is malformed (the DLQ's reason
 * attribute and the log line): each problem as `path: what is wrong`, quoting nothing of the body, as
 * the orchestrator's own reasons do.
 */
export function parseCapabilityRequest(body: string): CapabilityMessage | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return `malformed capability request: the body is not JSON: ${jsonErrorWithoutText(error, body)}`;
  }
  const parsed = capabilityMessageSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  return `malformed capability request: ${bodyProblems(parsed.error.issues, json).join('; ')}`;
}
