import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { QueueUrls } from '../aws/queue-urls';
import type { RefreshingReplyKeys } from '../aws/reply-keys';
import { replyKeysFromEnv } from '../aws/reply-keys-from-env';
import { SqsCapabilityDispatcher } from '../aws/sqs-capability-dispatcher';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { systemClock } from '../graph/engine-dependencies';
import { RequestIds } from '../graph/request-ids';
import { resourceNames } from '../naming/resource-names';
import { DynamoDbTaskTokenStore } from './dynamodb-task-token-store';
import { RequestDispatch } from './request-dispatch';
import { stepFunctionsNames } from './step-functions-names';
import type { RequestTaskPayload } from './step-payloads';

/**
 * The request Lambda of Step Functions mode, invoked by an async_request's task with its token: records
 * request id -> token, then sends the ASYNC_REQ to the capability's queue (claim check for large ones), as
 * the engine does. Configuration: CCH_ENV, CCH_OWNER (every name, see step-functions-names.ts);
 * CCH_REPLY_QUEUE_URL (the requests' reply_to); CCH_REPLY_KEYS_SECRET_ARN (or CCH_REPLY_KEYS off AWS),
 * the keys request ids are tagged with, as the engine tags them. Built once per container.
 */
let dispatch: RequestDispatch | undefined;
let replyKeys: RefreshingReplyKeys | undefined;

export async function handler(event: RequestTaskPayload): Promise<{ readonly request_id: string }> {
  replyKeys ??= replyKeysFromEnv(process.env);
  // Before anything is tagged: a container that cannot read the keys sends nothing.
  await replyKeys.refresh();
  dispatch ??= create(replyKeys);
  const request = await dispatch.handle(event);
  return { request_id: request.request_id };
}

function create(keys: RefreshingReplyKeys): RequestDispatch {
  const stage = { env: required('CCH_ENV'), owner: required('CCH_OWNER') };
  const names = resourceNames(stage);
  const sqs = new SQSClient({});
  const claimCheck = new SqsClaimCheck({
    s3: new S3Client({}),
    bucket: names.eventDataBucket,
    prefix: names.sqsPayloadPrefix,
  });
  return new RequestDispatch({
    tokens: new DynamoDbTaskTokenStore(new DynamoDBClient({}), stepFunctionsNames(stage).taskTokenTable),
    dispatcher: new SqsCapabilityDispatcher(
      sqs,
      new QueueUrls(sqs),
      names.capabilityRequestQueue,
      claimCheck,
    ),
    clock: systemClock,
    replyTo: required('CCH_REPLY_QUEUE_URL'),
    requestIds: new RequestIds(keys),
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
