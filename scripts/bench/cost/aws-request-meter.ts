import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { sqsBilledRequests } from './price-model';
import { operationDelta } from './operation-counts';

/** A message the client handed to SQS, as sent. */
export interface SentMessage {
  readonly queueUrl: string;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly delaySeconds: number;
}

export interface AwsRequestUsage {
  readonly requests: number;
  readonly byOperation: Readonly<Record<string, number>>;
  /** SQS: requests as billed, every started 64 KB of payload counted once. Others: `requests`. */
  readonly billedRequests: number;
  /** Payload bytes sent (message bodies and attributes; S3 object bodies). */
  readonly bytesSent: number;
}

export const NO_AWS_REQUESTS: AwsRequestUsage = {
  requests: 0,
  byOperation: {},
  billedRequests: 0,
  bytesSent: 0,
};

export interface AwsRequestMeter {
  usage(): AwsRequestUsage;
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

export interface AwsRequestObserver {
  /** Every message sent to SQS, once the send succeeded. */
  readonly onSent?: (message: SentMessage) => void;
  /** Every SQS request: its operation, the queue it names, and the requests it is billed as. */
  readonly onRequest?: (operation: string, queueUrl: string, billedRequests: number) => void;
}

/**
 * Counts the requests of an SQS or S3 client by operation, with what they carry, and hands every message
 * sent to SQS to the observer (the bench delivers them itself, on its own clock: SQS delays and timers
 * would otherwise take real minutes).
 */
export function meterAwsRequests(
  client: MiddlewareClient,
  service: 'SQS' | 'S3',
  observer: AwsRequestObserver = {},
  /** false: only hand sent messages to the observer, counting nothing. */
  count = true,
): AwsRequestMeter {
  const byOperation: Record<string, number> = {};
  let requests = 0;
  let billedRequests = 0;
  let bytesSent = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      if (!count) {
        const result = await next(args);
        for (const message of sentMessages(operation, args.input)) observer.onSent?.(message);
        return result;
      }
      requests += 1;
      byOperation[operation] = (byOperation[operation] ?? 0) + 1;
      const messages = service === 'SQS' ? sentMessages(operation, args.input) : [];
      const payload =
        service === 'SQS'
          ? messages.reduce((sum, m) => sum + messageBytes(m), 0)
          : objectBytes((args.input as { Body?: unknown }).Body);
      bytesSent += payload;
      const billed = service === 'SQS' ? sqsBilledRequests(payload) : 1;
      billedRequests += billed;
      if (service === 'SQS')
        observer.onRequest?.(operation, (args.input as SendInput).QueueUrl ?? '', billed);
      const result = await next(args);
      for (const message of messages) observer.onSent?.(message);
      return result;
    },
    { step: 'initialize', name: `bench${service}Meter`, priority: 'high' },
  );
  return {
    usage: () => ({ requests, byOperation: { ...byOperation }, billedRequests, bytesSent }),
  };
}

interface SendInput {
  QueueUrl?: string;
  MessageBody?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  DelaySeconds?: number;
  Entries?: SendInput[];
}

function sentMessages(operation: string, input: object): SentMessage[] {
  const send = input as SendInput;
  const one = (entry: SendInput): SentMessage => ({
    queueUrl: send.QueueUrl ?? '',
    body: entry.MessageBody ?? '',
    attributes: entry.MessageAttributes ?? {},
    delaySeconds: entry.DelaySeconds ?? 0,
  });
  if (operation === 'SendMessage') return [one(send)];
  if (operation === 'SendMessageBatch') return (send.Entries ?? []).map(one);
  return [];
}

/** What SQS counts towards a message's size: its body and its attributes (names, types, values). */
function messageBytes(message: SentMessage): number {
  let bytes = Buffer.byteLength(message.body, 'utf8');
  for (const [name, value] of Object.entries(message.attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

function objectBytes(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

export function awsRequestDelta(after: AwsRequestUsage, before: AwsRequestUsage): AwsRequestUsage {
  return {
    requests: after.requests - before.requests,
    byOperation: operationDelta(after.byOperation, before.byOperation),
    billedRequests: after.billedRequests - before.billedRequests,
    bytesSent: after.bytesSent - before.bytesSent,
  };
}
