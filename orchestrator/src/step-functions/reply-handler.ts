import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPinoLogger } from '../aws/pino-logger';
import { handleBridgeBatch } from './bridge-batch';
import { DynamoDbTaskTokenStore } from './dynamodb-task-token-store';
import { ReplyBridge } from './reply-bridge';
import { RefusedCommandError } from './command-bridge';
import { SfnTaskCompletion } from './sfn-task-completion';
import { stepFunctionsNames } from './step-functions-names';

/**
 * The reply Lambda of Step Functions mode, on the reply queue: each ASYNC_RESP completes the task its
 * request id's token names (ReplyBridge); duplicates and stale replies are acknowledged. Configuration:
 * CCH_ENV, CCH_OWNER. Built once per container.
 */
const logger = createPinoLogger().child({ component: 'step-functions-reply' });
let bridge: ReplyBridge | undefined;

export function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  bridge ??= new ReplyBridge({
    tokens: new DynamoDbTaskTokenStore(
      new DynamoDBClient({}),
      stepFunctionsNames({ env: process.env.CCH_ENV ?? '', owner: process.env.CCH_OWNER ?? '' })
        .taskTokenTable,
    ),
    completion: new SfnTaskCompletion(new SFNClient({})),
  });
  const replies = bridge;
  return handleBridgeBatch(event, logger, async (message) => {
    if (message.type !== 'ASYNC_RESP') {
      throw new RefusedCommandError('NOT_A_REPLY', `${message.type} does not belong on the reply queue`);
    }
    return replies.handle(message);
  });
}
