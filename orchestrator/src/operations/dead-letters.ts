import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { awsCall } from '../aws/aws-errors';
import { isQueueMissing } from '../aws/queue-urls';
import { DEFERRALS_ATTRIBUTE, FIRST_RECEIVED_ATTRIBUTE } from '../aws/sqs-batch-processor';
import type { SqsClaimCheck } from '../aws/sqs-claim-check';
import { isPayloadPointer } from '../aws/sqs-claim-check';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../aws/sqs-dead-letter';
import type { SdkMessageAttributes } from '../aws/sqs-message-attributes';
import { resourceNames, type ResourceNames, type Stage } from '../naming/resource-names';

/**
 * Attributes a redriven message loses, so it starts afresh on its queue: why it was dead-lettered, and the
 * deferral counters that would otherwise dead-letter it again at once for having waited too long.
 */
export const REDRIVE_STRIPPED_ATTRIBUTES: readonly string[] = [
  DEAD_LETTER_REASON_ATTRIBUTE,
  DEFERRALS_ATTRIBUTE,
  FIRST_RECEIVED_ATTRIBUTE,
];

/** The orchestrator's own queues; any other name is a capability domain. */
export const ORCHESTRATOR_QUEUE_LABELS = ['command', 'reply'] as const;

/** A work queue and the DLQ its failed messages end in. */
export interface DeadLetterQueue {
  /** `command`, `reply`, or the capability domain (`import` for `capability-import-request-queue`). */
  readonly label: string;
  readonly sourceQueue: string;
  readonly deadLetterQueue: string;
}

/** One message in a DLQ, as an operator needs to judge it. */
export interface DeadLetteredMessage {
  readonly queue: string;
  readonly sourceQueue: string;
  readonly deadLetterQueue: string;
  /** The id of the copy in the DLQ: what `redrive` takes. */
  readonly messageId: string;
  /**
   * Why it was dead-lettered (`cch-dead-letter-reason`); null when the queue's redrive policy moved it
   * (a consumer that failed to dead-letter it itself), which records no reason.
   */
  readonly reason: string | null;
  /** When the copy entered the DLQ (its SentTimestamp), ISO-8601; null when SQS did not say. */
  readonly deadLetteredAt: string | null;
  /** From the body when it is a message of ours (JSON with a `type`); absent otherwise. */
  readonly type?: string;
  readonly instanceId?: string;
  readonly workflowId?: string;
  readonly requestId?: string;
  /** The body is a claim-check pointer (the real body is in S3); redrive moves the pointer. */
  readonly offloaded: boolean;
  /** The body as it sits in the DLQ (a pointer stays a pointer). */
  readonly body: string;
}

export type RedriveSelection = { readonly all: true } | { readonly messageIds: readonly string[] };

export interface RedriveReport {
  /** Sent back to their source queue and deleted from the DLQ. */
  readonly redriven: readonly {
    readonly queue: string;
    readonly messageId: string;
    readonly sourceQueue: string;
    /** The id the message has on its source queue now. */
    readonly newMessageId: string;
  }[];
  /** Asked for by id but not found in the DLQs searched (already redriven, or a wrong id). */
  readonly notFound: readonly string[];
  /** Could not be moved; still in their DLQ (a send failed), or possibly in both (a delete failed). */
  readonly failed: readonly { readonly queue: string; readonly messageId: string; readonly error: string }[];
}

export interface DeadLettersOptions {
  readonly sqs: SQSClient;
  readonly stage: Stage;
  /**
   * Resolves offloaded bodies, so their type and instance are shown too.
   * @default none (such a message is shown as offloaded)
   */
  readonly claimCheck?: SqsClaimCheck;
  /**
   * How long a message received while listing or searching stays hidden from other readers of the DLQ. It
   * only needs to outlast one pass over the DLQ: every message received is made visible again at the end
   * (ChangeMessageVisibility 0), and a crash leaves them hidden for this long at most. @default 60
   */
  readonly holdSeconds?: number;
  /**
   * Long-poll wait of each receive. SQS's short poll samples a subset of its servers and can come back empty
   * from a queue that has messages, so an empty answer only means "no more" after a long poll. @default 1
   */
  readonly waitTimeSeconds?: number;
}

/** The operator's view of dead-lettered messages (`wf dlq`), reusable by any front end. */
export class DeadLetters {
  private readonly names: ResourceNames;
  private readonly holdSeconds: number;
  private readonly waitTimeSeconds: number;

  constructor(private readonly options: DeadLettersOptions) {
    this.names = resourceNames(options.stage);
    this.holdSeconds = options.holdSeconds ?? 60;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
  }

  /**
   * The DLQs `selector` names: `command`, `reply`, a capability domain, or (undefined) all of them, the
   * capability ones found by listing the stage's queues.
   */
  async queues(selector?: string): Promise<DeadLetterQueue[]> {
    const { names } = this;
    const command = { label: 'command', sourceQueue: names.commandQueue, deadLetterQueue: names.commandDlq };
    const reply = { label: 'reply', sourceQueue: names.replyQueue, deadLetterQueue: names.replyDlq };
    if (selector === 'command') return [command];
    if (selector === 'reply') return [reply];
    if (selector !== undefined) return [this.capabilityQueue(selector)];
    const domains = await this.capabilityDomains();
    return [command, reply, ...domains.map((domain) => this.capabilityQueue(domain))];
  }

  /**
   * Up to `limit` messages of the selected DLQs, oldest first within each. Nothing is consumed: each
   * message is received with a visibility timeout of `holdSeconds` and made visible again before this
   * returns (also when it throws). Listing counts as a receive on the DLQ copy; DLQs have no redrive policy,
   * so that moves nothing.
   */
  async list(selector?: string, { limit = 100 }: { limit?: number } = {}): Promise<DeadLetteredMessage[]> {
    // The DLQs are read side by side: each empty one costs a long poll, and a stage has one per domain.
    const perQueue = await settled(
      (await this.queues(selector)).map(async (queue) => {
        const url = await this.queueUrl(queue);
        const held = new Held(this.options.sqs, url);
        try {
          await this.scan(url, held, () => held.size >= limit);
          const messages = await Promise.all(held.messages().map((m) => this.describe(queue, m)));
          return messages.sort(byDeadLetteredAt);
        } finally {
          await held.releaseAll();
        }
      }),
    );
    return perQueue.flat().slice(0, limit);
  }

  /**
   * Moves messages back to the queue they were dead-lettered from: the chosen ids, or every message of the
   * selected DLQs. Each is sent to its source queue with the same body and its attributes less
   * REDRIVE_STRIPPED_ATTRIBUTES, and deleted from the DLQ only after the send succeeded: a crash in between
   * leaves a duplicate (which the engine tolerates), never a loss. Messages not chosen are made visible
   * again. With `all`, a message dead-lettered during the pass with the body of one moved in it (it
   * failed again at once) is left for the operator to look at, so the pass ends.
   */
  async redrive(selector: string | undefined, selection: RedriveSelection): Promise<RedriveReport> {
    const wanted = 'all' in selection ? undefined : new Set(selection.messageIds);
    const passStart = Date.now();
    // Bodies moved in this pass: a copy of one that is back in the DLQ already (it failed again at once)
    // is left there, so that `all` cannot chase its own redrives round and round.
    const movedBodies = new Set<string>();
    const redriven: RedriveReport['redriven'][number][] = [];
    const failed: RedriveReport['failed'][number][] = [];
    const redriveFrom = async (queue: DeadLetterQueue): Promise<void> => {
      if (wanted?.size === 0) return;
      const dlqUrl = await this.queueUrl(queue);
      const held = new Held(this.options.sqs, dlqUrl);
      let sourceUrl: Promise<string> | undefined;
      try {
        // Moved as they are found, so a large DLQ is never held whole (its hold could lapse mid-way).
        await this.scan(
          dlqUrl,
          held,
          () => wanted?.size === 0,
          async (message) => {
            const id = message.MessageId ?? '';
            if (wanted && !wanted.has(id)) return;
            const body = message.Body ?? '';
            if (!wanted && movedBodies.has(body) && sentAt(message) >= passStart) return;
            wanted?.delete(id);
            movedBodies.add(body);
            held.forget(id);
            sourceUrl ??= this.sourceUrl(queue);
            try {
              const newMessageId = await this.moveBack(message, dlqUrl, await sourceUrl);
              redriven.push({
                queue: queue.label,
                messageId: id,
                sourceQueue: queue.sourceQueue,
                newMessageId,
              });
            } catch (error) {
              failed.push({ queue: queue.label, messageId: id, error: errorText(error) });
              // Back in view at once for the next attempt (a failed delete leaves it visible anyway).
              await held.release([message]);
            }
          },
        );
      } finally {
        await held.releaseAll();
      }
    };
    // Side by side, as list: the ids asked for may be in any of them.
    await settled((await this.queues(selector)).map(redriveFrom));
    return { redriven, notFound: [...(wanted ?? [])], failed };
  }

  /** Sends `message` to its source queue, then deletes it from the DLQ; the new message id. */
  private async moveBack(message: Message, dlqUrl: string, sourceUrl: string): Promise<string> {
    const sent = await awsCall('SQS', 'SendMessage (redrive)', () =>
      this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: sourceUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: redriveAttributes(message.MessageAttributes),
        }),
      ),
    );
    await awsCall('SQS', 'DeleteMessage (redrive)', () =>
      this.options.sqs.send(
        new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }),
      ),
    );
    return sent.MessageId ?? '';
  }

  /**
   * Receives from `url` until a long poll brings nothing new (or `enough`), holding each message. Stops as
   * well when a receive brings only messages already seen: their hold lapsed, so the pass has gone round.
   */
  private async scan(
    url: string,
    held: Held,
    enough: () => boolean,
    onMessage?: (message: Message) => Promise<void>,
  ): Promise<void> {
    const seen = new Set<string>();
    while (!enough()) {
      const response = await awsCall('SQS', 'ReceiveMessage (DLQ)', () =>
        this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.holdSeconds,
            // local-aws-sqs ignores MessageSystemAttributeNames; AttributeNames works on both.
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        ),
      );
      const fresh = (response.Messages ?? []).filter((m) => {
        const id = m.MessageId ?? '';
        held.hold(m);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (fresh.length === 0) return;
      for (const message of fresh) {
        if (enough()) return;
        await onMessage?.(message);
      }
    }
  }

  private async describe(queue: DeadLetterQueue, message: Message): Promise<DeadLetteredMessage> {
    const body = message.Body ?? '';
    const offloaded = isPayloadPointer(body);
    let text = body;
    if (offloaded && this.options.claimCheck) {
      try {
        text = await this.options.claimCheck.resolve(body, message.MessageAttributes);
      } catch {
        // Shown as offloaded without a summary: the listing must not fail on one unreadable payload.
      }
    }
    const sent = sentAt(message);
    return {
      queue: queue.label,
      sourceQueue: queue.sourceQueue,
      deadLetterQueue: queue.deadLetterQueue,
      messageId: message.MessageId ?? '',
      reason: message.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue ?? null,
      deadLetteredAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
      ...summary(text),
      offloaded,
      body,
    };
  }

  private capabilityQueue(domain: string): DeadLetterQueue {
    return {
      label: domain,
      sourceQueue: this.names.capabilityRequestQueue(domain),
      deadLetterQueue: this.names.capabilityRequestDlq(domain),
    };
  }

  /** Domains with a request DLQ in this stage, from queue names (`...-capability-<domain>-request-dlq`). */
  private async capabilityDomains(): Promise<string[]> {
    const prefix = `${this.names.prefix}capability-`;
    const suffix = '-request-dlq';
    const domains: string[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall('SQS', 'ListQueues', () =>
        this.options.sqs.send(
          new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken: token }),
        ),
      );
      for (const url of page.QueueUrls ?? []) {
        const name = url.split('/').pop() ?? '';
        if (name.startsWith(prefix) && name.endsWith(suffix)) {
          domains.push(name.slice(prefix.length, -suffix.length));
        }
      }
      token = page.NextToken;
    } while (token);
    return domains.sort();
  }

  private queueUrl(queue: DeadLetterQueue): Promise<string> {
    return this.lookUp(queue.deadLetterQueue, `no dead-letter queue ${queue.deadLetterQueue}`);
  }

  private sourceUrl(queue: DeadLetterQueue): Promise<string> {
    return this.lookUp(queue.sourceQueue, `the source queue ${queue.sourceQueue} does not exist`);
  }

  private async lookUp(name: string, missing: string): Promise<string> {
    try {
      const response = await awsCall('SQS', `GetQueueUrl ${name}`, () =>
        this.options.sqs.send(new GetQueueUrlCommand({ QueueName: name })),
      );
      if (!response.QueueUrl) throw new Error(`no URL for queue ${name}`);
      return response.QueueUrl;
    } catch (error) {
      if (isQueueMissing(error)) throw new DeadLetterQueueMissingError(missing, { cause: error });
      throw error;
    }
  }
}

/** A DLQ (or the queue a redrive sends to) does not exist in this stage. */
export class DeadLetterQueueMissingError extends Error {
  override name = 'DeadLetterQueueMissingError';
}

/**
 * Messages received from one queue and not yet dealt with, by id: each was received with a visibility
 * timeout, and `releaseAll` makes them visible again. A message received twice keeps its newest receipt
 * handle (SQS accepts only the latest).
 */
class Held {
  private readonly byId = new Map<string, Message>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly url: string,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  hold(message: Message): void {
    this.byId.set(message.MessageId ?? '', message);
  }

  forget(messageId: string): void {
    this.byId.delete(messageId);
  }

  messages(): Message[] {
    return [...this.byId.values()];
  }

  async releaseAll(): Promise<void> {
    const messages = this.messages();
    this.byId.clear();
    await this.release(messages);
  }

  /** Visibility 0, ten at a time. Best effort: a handle that lapsed is already visible. */
  async release(messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      try {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.url,
            Entries: batch.map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
      } catch {
        // The hold lapses by itself after holdSeconds.
      }
    }
  }
}

/** What a redriven copy carries: the received attributes as SendMessage takes them, less the stripped. */
export function redriveAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SdkMessageAttributes {
  const out: SdkMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (REDRIVE_STRIPPED_ATTRIBUTES.includes(name)) continue;
    const attribute: MessageAttributeValue = { DataType: value.DataType };
    if (value.StringValue !== undefined) attribute.StringValue = value.StringValue;
    if (value.BinaryValue !== undefined) attribute.BinaryValue = value.BinaryValue;
    out[name] = attribute;
  }
  return out;
}

/** The identifying fields of one of our messages; nothing for anything else. */
function summary(
  text: string,
): Pick<DeadLetteredMessage, 'type' | 'instanceId' | 'workflowId' | 'requestId'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const field = (name: string) => {
    const value = (parsed as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  const out: { type?: string; instanceId?: string; workflowId?: string; requestId?: string } = {};
  const type = field('type');
  const instanceId = field('instance_id');
  const workflowId = field('workflow_id');
  const requestId = field('request_id');
  if (type !== undefined) out.type = type;
  if (instanceId !== undefined) out.instanceId = instanceId;
  if (workflowId !== undefined) out.workflowId = workflowId;
  if (requestId !== undefined) out.requestId = requestId;
  return out;
}

/**
 * Promise.all that waits for every promise before it rejects (with the first reason): no queue's pass is
 * left running, holding messages, after the call returned.
 */
async function settled<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** When the message was sent to the queue it is on (epoch ms); NaN when SQS did not say. */
function sentAt(message: Message): number {
  return Number(message.Attributes?.SentTimestamp);
}

function byDeadLetteredAt(a: DeadLetteredMessage, b: DeadLetteredMessage): number {
  return (a.deadLetteredAt ?? '').localeCompare(b.deadLetteredAt ?? '');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
