import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { translateAwsError } from '../aws/aws-errors';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { resourceNames } from '../naming/resource-names';
import type { InboundMessage } from '../runtime/messages';
import type { OperatorTarget } from './operator-target';

/**
 * Sends a message to the target's orchestrator command queue, as any caller would: a body over SQS's
 * limit travels through S3 in the SQS Extended Client format (as run-test's START does). Returns the
 * SQS message id.
 */
export async function sendCommand(target: OperatorTarget, message: InboundMessage): Promise<string> {
  const names = resourceNames(target.stage);
  const sqs = new SQSClient(target.clients.sqs);
  const s3 = new S3Client(target.clients.s3);
  try {
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.commandQueue }))).QueueUrl;
    if (!queueUrl) throw new Error(`no command queue ${names.commandQueue}`);
    const claimCheck = new SqsClaimCheck({
      s3,
      bucket: names.eventDataBucket,
      prefix: names.sqsPayloadPrefix,
    });
    const outgoing = await claimCheck.offload(JSON.stringify(message));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: outgoing.body,
        ...(outgoing.offloaded ? { MessageAttributes: outgoing.attributes } : {}),
      }),
    );
    return sent.MessageId ?? '';
  } catch (error) {
    throw translateAwsError('SQS', `send ${message.type} to ${names.commandQueue}`, error);
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}
