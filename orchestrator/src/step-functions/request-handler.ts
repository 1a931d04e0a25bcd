import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { QueueUrls } from '../aws/queue-urls';
import { SqsCapabilityDispatcher } from '../aws/sqs-capability-dispatcher';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { systemClock } from '../graph/engine-dependencies';
import { resourceNames } from '../naming/resource-names';
import { DynamoDbTaskTokenStore } from './dynamodb-task-token-store';
import { RequestDispatch } from './request-dispatch';
import { stepFunctionsNames } from './step-functions-names';
import type { RequestTaskPayload } from './step-payloads';

/**
 * The request Lambda of Step Functions mode, invoked by an async_request's task with its token: records
 * request id -> token, then sends the ASYNC_REQ to the capability's queue (claim check for large ones), as
 * the engine does. Configuration: CCH_ENV, CCH_OWNER (every name, see step-functions-names.ts);
 * CCH_REPLY_QUEUE_URL (the requests' reply_to). Built once per container.
 */
let dispatch: RequestDispatch | undefined;

export async function handler(event: RequestTaskPayload): Promise<{ readonly request_id: string }> {
  dispatch ??= create();
  const request = await dispatch.handle(event);
  return { request_id: request.request_id };
}

function create(): RequestDispatch {
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
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
