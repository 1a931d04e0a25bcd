import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EmfMetrics } from '../aws/emf-metrics';
import { createPinoLogger } from '../aws/pino-logger';
import { QueueUrls } from '../aws/queue-urls';
import { type RefreshingReplyKeys, replySendersFromEnv } from '../aws/reply-keys';
import { replyKeysFromEnv } from '../aws/reply-keys-from-env';
import { SqsDeadLetters } from '../aws/sqs-dead-letter';
import { RequestIds } from '../graph/request-ids';
import { resourceNames } from '../naming/resource-names';
import { handleBridgeBatch } from './bridge-batch';
import { DynamoDbTaskTokenStore } from './dynamodb-task-token-store';
import { ReplyBridge, ReplyRefusedError } from './reply-bridge';
import { RefusedCommandError } from './command-bridge';
import { SfnTaskCompletion } from './sfn-task-completion';
import { stepFunctionsNames } from './step-functions-names';

/**
 * The reply Lambda of Step Functions mode, on the reply queue: each ASYNC_RESP completes the task its
 * request id's token names (ReplyBridge); duplicates and stale replies are acknowledged. A reply the
 * engine would refuse (its id's tag does not verify, or its sender may not answer the capability's
 * domain) is refused the same way: counted (RepliesRefused), logged, and dead-lettered at once with the
 * reason. Configuration: CCH_ENV, CCH_OWNER; the engine's reply security (docs/security.md):
 * CCH_REPLY_KEYS_SECRET_ARN (or CCH_REPLY_KEYS off AWS), CCH_REPLY_SENDERS. Built once per container.
 */
const logger = createPinoLogger().child({ component: 'step-functions-reply' });
let bridge: ReplyBridge | undefined;
let deadLetters: SqsDeadLetters | undefined;
let replyKeys: RefreshingReplyKeys | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  replyKeys ??= replyKeysFromEnv(process.env);
  // Before anything is verified: a container that cannot read the keys processes nothing.
  await replyKeys.refresh();
  bridge ??= create(replyKeys);
  if (!deadLetters) {
    const sqs = new SQSClient({});
    deadLetters = new SqsDeadLetters(sqs, new QueueUrls(sqs));
  }
  const replies = bridge;
  return handleBridgeBatch(
    event,
    logger,
    async (message, delivery) => {
      if (message.type !== 'ASYNC_RESP') {
        throw new RefusedCommandError('NOT_A_REPLY', `${message.type} does not belong on the reply queue`);
      }
      return replies.handle(message, delivery);
    },
    { deadLetters, refusedAtOnce: (error) => error instanceof ReplyRefusedError },
  );
}

function create(keys: RefreshingReplyKeys): ReplyBridge {
  const stage = { env: process.env.CCH_ENV ?? '', owner: process.env.CCH_OWNER ?? '' };
  const names = resourceNames(stage);
  return new ReplyBridge({
    tokens: new DynamoDbTaskTokenStore(new DynamoDBClient({}), stepFunctionsNames(stage).taskTokenTable),
    completion: new SfnTaskCompletion(new SFNClient({})),
    requestIds: new RequestIds(keys),
    senders: replySendersFromEnv(process.env),
    metrics: new EmfMetrics(names.metricsNamespace, names.metricDimensions),
    logger,
  });
}
