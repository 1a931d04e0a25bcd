import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SdkMessageAttributes } from '../../orchestrator/src/aws/sqs-message-attributes';
import type { ReplySenders } from '../../orchestrator/src/runtime/reply-senders';

/**
 * Who sent a message, on the embedded stack. SQS on AWS reports the sender itself (`SenderId`: the IAM
 * principal that called SendMessage, which no sender can choose); local-aws-sqs reports the same made-up
 * id for every message and has no IAM. So the local stack simulates principals: each of its senders (the
 * orchestrator, the capability mock, a test acting as a team) uses an SQS client that stamps its principal
 * on every message it sends, in this attribute, and the local poller hands it to the consumer as
 * `SenderId` (and removes it), exactly where Lambda's event source puts the real one.
 *
 * What this does not simulate: a sender that sets the attribute itself can claim any principal here,
 * whereas on AWS it cannot; and IAM, which on AWS stops a principal without `sqs:SendMessage` on the reply
 * queue from sending at all (infra/src/capability-teams.ts). A message from a client that stamps nothing
 * arrives with local-aws-sqs's own SenderId: a principal no domain has.
 */
export const LOCAL_SENDER_ATTRIBUTE = 'cch-local-sender-id';

/** The principals of the local stack (shaped like IAM role ids, which is what SQS reports on AWS). */
export const LOCAL_PRINCIPALS = {
  orchestrator: 'AROALOCALORCHESTRATOR',
  capabilityMock: 'AROALOCALCAPABILITYMOCK',
} as const;

/** The capability mock answers every domain on the local stack. */
export const LOCAL_REPLY_SENDERS: ReplySenders = { byDomain: {}, others: [LOCAL_PRINCIPALS.capabilityMock] };

/** The orchestrator re-sends deferred replies: its copies carry their original's sender. */
export const LOCAL_RELAY_SENDER_IDS: readonly string[] = [LOCAL_PRINCIPALS.orchestrator];

/**
 * Makes `sqs` send as `principal` (with a session name, as a role's SenderId has): every SendMessage and
 * SendMessageBatch entry gets the stamp, replacing any it had. Messages to a DLQ are not stamped: a
 * dead letter is redriven later by whoever runs `wf dlq redrive`, who is not the orchestrator, and a copied
 * stamp would let the redriven message pass for the orchestrator's.
 */
export function sendAs<T extends SQSClient>(sqs: T, principal: string, session = 'local'): T {
  const stamp = (attributes: SdkMessageAttributes | undefined): SdkMessageAttributes => ({
    ...attributes,
    [LOCAL_SENDER_ATTRIBUTE]: { DataType: 'String', StringValue: `${principal}:${session}` },
  });
  sqs.middlewareStack.add(
    (next, context) => (args) => {
      const input = args.input as {
        QueueUrl?: string;
        MessageAttributes?: SdkMessageAttributes;
        Entries?: { MessageAttributes?: SdkMessageAttributes }[];
      };
      if (input.QueueUrl?.endsWith('-dlq')) return next(args);
      if (context.commandName === 'SendMessageCommand') {
        const stamped = { ...input, MessageAttributes: stamp(input.MessageAttributes) };
        return next({ ...args, input: stamped as typeof args.input });
      }
      if (context.commandName === 'SendMessageBatchCommand') {
        const Entries = (input.Entries ?? []).map((e) => ({
          ...e,
          MessageAttributes: stamp(e.MessageAttributes),
        }));
        return next({ ...args, input: { ...input, Entries } as typeof args.input });
      }
      return next(args);
    },
    { step: 'initialize', name: 'cchLocalSender', override: true },
  );
  return sqs;
}
