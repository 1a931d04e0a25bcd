import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { HandleOutcome } from '../runtime/handle-outcome';
import type { InboundMessage } from '../runtime/messages';
import type { OrchestratorRuntime } from '../runtime/orchestrator-runtime';
import { parseInboundMessage } from '../runtime/parse-message';
import type { Logger } from '../runtime/ports';
import { awsCall } from './aws-errors';
import type { QueueUrls } from './queue-urls';
import type { SqsClaimCheck } from './sqs-claim-check';
import { SqsDeadLetters } from './sqs-dead-letter';
import {
  numberAttribute,
  stringAttribute,
  toSdkAttributes,
  type SdkMessageAttributes,
} from './sqs-message-attributes';
import { senderPrincipal } from '../runtime/reply-senders';

/** Processes at most this many instances of a batch at once. */
const INSTANCE_CONCURRENCY = 4;
/** SQS delays a message by at most 15 minutes; a longer deferral comes back after 15 and defers again. */
const MAX_DELAY_SECONDS = 900;
/** Deferrals end after this long: see `maxDeferralMs`. */
const DEFAULT_MAX_DEFERRAL_MS = 3 * 24 * 3600 * 1000;
/** How many times a deferred message was deferred before (Number). */
export const DEFERRALS_ATTRIBUTE = 'cch-deferrals';
/** When the first copy of a deferred message was first received (Number, epoch milliseconds). */
export const FIRST_RECEIVED_ATTRIBUTE = 'cch-first-received';
/**
 * On a copy the orchestrator made (a deferred message, a dead letter): who sent the original, as SQS said
 * (`SenderId`). Believed only on a message whose own SenderId is one of `relaySenderIds`.
 */
export const ORIGINAL_SENDER_ATTRIBUTE = 'cch-original-sender';
/** SQS takes at most 10 attributes; the sender is not added to a copy that has this many already. */
const MAX_ATTRIBUTES_BEFORE_SENDER = 8;
/** Receives after which a message that keeps failing is dead-lettered with its reason. */
export const DEFAULT_MAX_RECEIVES = 5;

export interface SqsBatchProcessorOptions {
  /** With `handleReplies`, consecutive replies of one instance are applied together. */
  readonly runtime: Pick<OrchestratorRuntime, 'handle'> & Partial<Pick<OrchestratorRuntime, 'handleReplies'>>;
  readonly sqs: SQSClient;
  /** Resolves the record's queue (the last part of its eventSourceARN) and that queue's DLQ. */
  readonly queues: QueueUrls;
  /** Bodies offloaded to S3 (START contexts, replies) are fetched through this before parsing. */
  readonly claimCheck: SqsClaimCheck;
  readonly logger: Logger;
  /**
   * A message that failed (threw, or stayed not processable) on its `maxReceives`-th receive is
   * dead-lettered with its reason. The queue's redrive maxReceiveCount must stay above this: it is only the
   * backstop for a dead-letter send that failed. @default 5
   */
  readonly maxReceives?: number;
  /**
   * A message deferred for longer than this since it was first received is dead-lettered with its reason:
   * waiting for a lease ends within minutes, so only a message the instance will never be ready for (a
   * reply to a request it never makes) gets there. It also keeps every copy younger than its claim-check
   * object (the bucket expires those after 21 days). @default 3 days
   */
  readonly maxDeferralMs?: number;
  /**
   * Principals (SenderId without the session) whose messages carry their original's sender in
   * `cch-original-sender`: the orchestrator's own, which re-sends deferred replies. Any other sender's
   * attribute is ignored, so nobody can claim to be another principal. @default none
   */
  readonly relaySenderIds?: readonly string[];
  /**
   * The message types each queue carries, by queue name (docs/messages.md): the command queue commands
   * and timers, the reply queue replies. Anything else is dead-lettered unread, so a capability team, which
   * may send to the reply queue only, cannot start, cancel or redrive an instance there. A queue not
   * named here carries any type. @default none
   */
  readonly messageTypesByQueue?: Readonly<Record<string, readonly InboundMessage['type'][]>>;
}

/** A record whose body was resolved and parsed, ready for the runtime. */
interface Prepared {
  readonly record: SQSRecord;
  readonly message: InboundMessage;
  readonly log: Logger;
  /** Who sent it (see `senderOf`). */
  readonly senderId: string | undefined;
}

/**
 * Turns an SQS batch into runtime calls, the way the event source mapping expects
 * (`ReportBatchItemFailures`): every record that is not done is listed, and only those come back.
 * - Every body is resolved first (the claim check: a large START or reply arrives as an S3 pointer).
 * - Records of one instance run in order, one at a time (they would only fight over the lease);
 *   different instances run concurrently. Consecutive replies of one instance (a fan-out's branches
 *   answering together) are applied together: one lease, one graph run, one commit (see
 *   `OrchestratorRuntime.handleReplies`); if that fails, each is applied on its own, so one reply that
 *   cannot be applied holds none of the others back.
 * - What a record becomes follows the runtime's outcome:
 *   - `ack`: deleted.
 *   - `retry`: its visibility is shortened to the delay and it is failed, so it comes back soon; that
 *     counts as a receive, and on the `maxReceives`-th it is dead-lettered with the retry's reason.
 *   - `defer`: a copy is sent to the same queue with the delay, then the original is deleted, so waiting
 *     (a busy instance, a reply that is early) never counts towards the DLQ. If the copy cannot be sent,
 *     it is handled as a retry instead (without dead-lettering: it is processable).
 *   - `reject`, and poison (not JSON, schema-invalid, a pointer to nothing): dead-lettered at once.
 *   - a thrown error: failed, to be redelivered, until its `maxReceives`-th receive, then dead-lettered.
 * - A record already received more than `maxReceives` times never completed on any of them (its worker
 *   died or timed out each time): dead-lettered before it is processed again.
 * Dead-lettering sends the message, with the reason attribute, to its queue's DLQ and then deletes it;
 * a failed send leaves the record failed, for the redrive policy to catch.
 */
export class SqsBatchProcessor {
  private readonly maxReceives: number;
  private readonly deadLetters: SqsDeadLetters;

  constructor(private readonly options: SqsBatchProcessorOptions) {
    this.maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
    this.deadLetters = new SqsDeadLetters(options.sqs, options.queues, options.claimCheck);
  }

  async process(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: string[] = [];
    const prepared = await Promise.all(
      event.Records.map(async (record) => {
        const ready = await this.prepare(record);
        if (ready === false) failures.push(record.messageId);
        return ready;
      }),
    );

    const groups = new Map<string, Prepared[]>();
    for (const ready of prepared) {
      if (typeof ready !== 'object') continue;
      const { message, record } = ready;
      const group = 'instance_id' in message && message.instance_id ? message.instance_id : record.messageId;
      groups.set(group, [...(groups.get(group) ?? []), ready]);
    }
    const queue = [...groups.values()];
    const worker = async () => {
      for (let records = queue.shift(); records; records = queue.shift()) {
        for (const run of consecutiveReplies(records)) {
          for (const [ready, done] of await this.processRun(run)) {
            if (!done) failures.push(ready.record.messageId);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSTANCE_CONCURRENCY, queue.length) }, worker));
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  /**
   * Resolves and parses a record. Returns it ready for the runtime; `true` when it is done already
   * (dead-lettered); `false` when it must be failed.
   */
  private async prepare(record: SQSRecord): Promise<Prepared | boolean> {
    const receives = receiveCount(record);
    const bare = this.options.logger.child({ message_id: record.messageId });
    if (receives > this.maxReceives) {
      return this.deadLetter(
        record,
        `received ${receives} times without completing (the worker died or timed out on it each time)`,
        bare,
      );
    }
    let body: string;
    try {
      body = await this.options.claimCheck.resolve(record.body, record.messageAttributes);
    } catch (error) {
      const e = describeError(error);
      if (e.retryable && receives < this.maxReceives) {
        bare.error({ error: e, receive_count: receives }, 'message failed; it will be redelivered');
        return false;
      }
      return this.deadLetter(record, `${e.code}: ${e.message}`, bare);
    }
    const parsed = parseInboundMessage(body);
    if (!parsed.ok) return this.deadLetter(record, parsed.reason, bare);
    const message = parsed.message;
    // Who sent it matters for replies only (see ReplySenders); commands carry nothing more.
    const senderId = message.type === 'ASYNC_RESP' ? this.senderOf(record) : undefined;
    const queueName = queueNameOf(record);
    const carried = this.options.messageTypesByQueue?.[queueName];
    if (carried && !carried.includes(message.type)) {
      return this.deadLetter(
        record,
        `${message.type} does not belong on ${queueName}, which carries ${carried.join(', ')} only; ` +
          'nothing was applied',
        bare,
        senderId,
      );
    }
    const log = this.options.logger.child({
      message_id: record.messageId,
      message_type: message.type,
      ...('instance_id' in message && message.instance_id ? { instance_id: message.instance_id } : {}),
      ...('workflow_id' in message ? { workflow_id: message.workflow_id } : {}),
      ...('request_id' in message ? { request_id: message.request_id } : {}),
    });
    return { record, message, log, senderId };
  }

  /** SQS's SenderId, or the original's for a copy the orchestrator itself made (deferred, redriven). */
  private senderOf(record: SQSRecord): string | undefined {
    const sent = record.attributes.SenderId || undefined;
    const carried = record.messageAttributes[ORIGINAL_SENDER_ATTRIBUTE]?.stringValue;
    if (sent && carried && (this.options.relaySenderIds ?? []).includes(senderPrincipal(sent)))
      return carried;
    return sent;
  }

  /** Each record of `run` with whether it is done and may be deleted. */
  private async processRun(run: readonly Prepared[]): Promise<[Prepared, boolean][]> {
    const replies = run.flatMap(({ record, message, senderId }) =>
      message.type === 'ASYNC_RESP' ? [{ message, messageId: record.messageId, delivery: { senderId } }] : [],
    );
    const together = this.options.runtime.handleReplies?.bind(this.options.runtime);
    if (together && run.length > 1 && replies.length === run.length) {
      let outcomes: HandleOutcome[] | undefined;
      try {
        outcomes = await together(replies);
      } catch (error) {
        const first = run[0] as Prepared;
        const e = describeError(error);
        // Replies that stop a parallel together are no fault: one at a time, their order decides.
        if (e.code === 'REPLIES_STOP_PARALLEL') first.log.info({ replies: run.length }, e.message);
        else
          first.log.warn(
            { error: e, replies: run.length },
            'replies applied together failed; applying each on its own',
          );
      }
      if (outcomes) {
        const settled = outcomes;
        return Promise.all(
          run.map(
            async (ready, i) =>
              [ready, await this.settle(ready, settled[i] as HandleOutcome)] as [Prepared, boolean],
          ),
        );
      }
    }
    const done: [Prepared, boolean][] = [];
    for (const ready of run) done.push([ready, await this.processRecord(ready)]);
    return done;
  }

  /** True when the record is done and may be deleted. */
  private async processRecord(ready: Prepared): Promise<boolean> {
    const { record, message, log, senderId } = ready;
    const receives = receiveCount(record);
    let outcome: HandleOutcome;
    try {
      outcome = await this.options.runtime.handle(message, record.messageId, { senderId });
    } catch (error) {
      const e = describeError(error);
      if (receives >= this.maxReceives) return this.deadLetter(record, `${e.code}: ${e.message}`, log);
      log.error({ error: e, receive_count: receives }, 'message failed; it will be redelivered');
      return false;
    }
    return this.settle(ready, outcome);
  }

  /** Carries out the runtime's outcome for a record; true when it is done and may be deleted. */
  private async settle({ record, log, senderId }: Prepared, outcome: HandleOutcome): Promise<boolean> {
    const receives = receiveCount(record);
    switch (outcome.kind) {
      case 'ack':
        return true;
      case 'reject':
        return this.deadLetter(record, outcome.reason, log, senderId);
      case 'retry':
        if (receives >= this.maxReceives) {
          return this.deadLetter(
            record,
            `${outcome.reason} (still not processable after ${receives} receives)`,
            log,
          );
        }
        log.info(
          { reason: outcome.reason, retry_in_seconds: outcome.delaySeconds },
          'message will be retried',
        );
        return this.retryLater(record, outcome.delaySeconds, log);
      case 'defer':
        return this.defer(record, outcome.reason, outcome.delaySeconds, log, senderId);
    }
  }

  /**
   * Sends a copy of the record with the delay and reports the original done, so its receive count starts
   * again. Only after the copy was accepted: otherwise the original is retried instead.
   */
  private async defer(
    record: SQSRecord,
    reason: string,
    delaySeconds: number,
    log: Logger,
    senderId: string | undefined,
  ) {
    const attributes = withSender(toSdkAttributes(record.messageAttributes), senderId);
    const deferrals = Number(attributes[DEFERRALS_ATTRIBUTE]?.StringValue ?? 0) || 0;
    attributes[DEFERRALS_ATTRIBUTE] = numberAttribute(deferrals + 1);
    if (!attributes[FIRST_RECEIVED_ATTRIBUTE]) {
      const first = Number(record.attributes.ApproximateFirstReceiveTimestamp) || Date.now();
      attributes[FIRST_RECEIVED_ATTRIBUTE] = numberAttribute(first);
    }
    const firstReceived = Number(attributes[FIRST_RECEIVED_ATTRIBUTE]?.StringValue);
    const maxDeferralMs = this.options.maxDeferralMs ?? DEFAULT_MAX_DEFERRAL_MS;
    if (Number.isFinite(firstReceived) && Date.now() - firstReceived > maxDeferralMs) {
      const hours = Math.round(maxDeferralMs / 3_600_000);
      return this.deadLetter(record, `${reason} (deferred for more than ${hours} hours)`, log);
    }
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
    const queueName = queueNameOf(record);
    try {
      const copy = await this.options.claimCheck.offload(record.body, attributes);
      const queueUrl = await this.options.queues.url(queueName);
      await awsCall('SQS', `SendMessage ${queueName}`, () =>
        this.options.sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: copy.body,
            MessageAttributes: copy.attributes,
            DelaySeconds: delay,
          }),
        ),
      );
    } catch (error) {
      log.warn(
        { reason, error: describeError(error), retry_in_seconds: delay },
        'could not defer the message; it will be retried instead',
      );
      return this.retryLater(record, delay, log);
    }
    log.info({ reason, defer_seconds: delay, deferrals: deferrals + 1 }, 'message deferred');
    return true;
  }

  /** Makes the record visible again after `delaySeconds` and reports it failed (it counts as a receive). */
  private async retryLater(record: SQSRecord, delaySeconds: number, log: Logger): Promise<false> {
    try {
      const queueUrl = await this.options.queues.url(queueNameOf(record));
      await awsCall('SQS', 'ChangeMessageVisibility', () =>
        this.options.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: Math.max(0, Math.min(43_200, Math.ceil(delaySeconds))),
          }),
        ),
      );
    } catch (error) {
      log.warn(
        { error: String(error) },
        'could not shorten visibility; the message returns after the full timeout',
      );
    }
    return false;
  }

  /** True when the record is now in its DLQ (and may be deleted); false when it must stay failed. */
  private async deadLetter(
    record: SQSRecord,
    reason: string,
    log: Logger,
    senderId?: string,
  ): Promise<boolean> {
    try {
      await this.deadLetters.send(
        {
          queueName: queueNameOf(record),
          messageId: record.messageId,
          body: record.body,
          // Who sent it stays with it (a refused reply's sender is what an operator asks first).
          attributes: withSender(toSdkAttributes(record.messageAttributes), senderId),
          reason,
        },
        (fields, message) => log.error({ ...fields, receive_count: receiveCount(record) }, message),
      );
      return true;
    } catch (error) {
      log.error(
        { reason, error: describeError(error) },
        'could not dead-letter the message; it stays on its queue for the redrive policy',
      );
      return false;
    }
  }
}

/** `attributes` with the original sender recorded (replacing any claim), where SQS's limit leaves room. */
export function withSender(
  attributes: SdkMessageAttributes,
  senderId: string | undefined,
): SdkMessageAttributes {
  const { [ORIGINAL_SENDER_ATTRIBUTE]: _claimed, ...rest } = attributes;
  if (senderId === undefined || Object.keys(rest).length > MAX_ATTRIBUTES_BEFORE_SENDER) return rest;
  return { ...rest, [ORIGINAL_SENDER_ATTRIBUTE]: stringAttribute(senderId) };
}

/** The queue a record came from: the last part of its eventSourceARN. */
function queueNameOf(record: SQSRecord): string {
  return record.eventSourceARN.split(':').pop() ?? '';
}

function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

function describeError(error: unknown): { code: string; retryable: boolean; message: string } {
  const e = error as { code?: unknown; retryable?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'UNEXPECTED',
    retryable: typeof e?.retryable === 'boolean' ? e.retryable : true,
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

/**
 * An instance's records split into runs: each maximal run of consecutive replies, and every other record
 * on its own, in their order.
 */
function consecutiveReplies(records: readonly Prepared[]): Prepared[][] {
  const runs: Prepared[][] = [];
  for (const ready of records) {
    const last = runs[runs.length - 1];
    const reply = ready.message.type === 'ASYNC_RESP';
    if (reply && last?.[0]?.message.type === 'ASYNC_RESP') last.push(ready);
    else runs.push([ready]);
  }
  return runs;
}
