import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EngineMessage, WorkflowMessenger } from '../runtime/ports';
import { translateAwsError } from './aws-errors';
import type { QueueUrls } from './queue-urls';
import type { SqsClaimCheck } from './sqs-claim-check';
import { stringAttribute } from './sqs-message-attributes';

/**
 * The orchestrator's messages to itself, on its own queues: a child's START_WORKFLOW and CANCEL_WORKFLOW
 * to the command queue, a child's end (ASYNC_RESP) to the reply queue, where the parent's reply check
 * expects the orchestrator's own principal as sender. Bodies over the claim-check threshold (a large
 * start context or output) travel through S3 as capability requests do. Every fault is thrown, translated:
 * the runtime sends the whole set again (each message is idempotent on its instance).
 */
export class SqsWorkflowMessenger implements WorkflowMessenger {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueUrls,
    private readonly queueNames: { readonly command: string; readonly reply: string },
    private readonly claimCheck: SqsClaimCheck,
  ) {}

  async send(messages: readonly EngineMessage[]): Promise<void> {
    for (const message of messages) {
      const queueName = message.type === 'ASYNC_RESP' ? this.queueNames.reply : this.queueNames.command;
      const queueUrl = await this.queues.url(queueName);
      const { body, attributes } = await this.claimCheck.offload(JSON.stringify(message), {
        instance_id: stringAttribute(message.instance_id ?? ''),
      });
      try {
        await this.sqs.send(
          new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
        );
      } catch (error) {
        throw translateAwsError('SQS', `SendMessage ${message.type} to ${queueName}`, error);
      }
    }
  }
}
