import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pino from 'pino';
import { capabilityMocksSchema } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { createCapabilityMock } from './capability-mock';
import { sampleDataOutput } from './sample-data-outputs';
import { capabilityMockClaimCheck } from './stage-claim-check';

/**
 * The capability-mock Lambda (see infra/src/capability-mock-function.ts for its environment):
 * - CCH_EVENTDATA_BUCKET names the bucket whose sample data default outputs point at, and where replies over
 *   the SQS limit are offloaded;
 * - CCH_ENV and CCH_OWNER name the stage, whose `sqsPayloadPrefix` the offloaded replies are written under
 *   (the prefix the role may write to and the bucket's lifecycle rule expires);
 * - CCH_MOCK_SCENARIOS (JSON, optional) scripts replies per capability id.
 * Built once per container, on the first invocation; a missing variable fails that invocation with a message
 * (the batch comes back) instead of writing large replies to a guessed bucket.
 */
const logger = pino({ base: { service: 'capability-mock' }, timestamp: pino.stdTimeFunctions.isoTime });
let mock: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  mock ??= build();
  return mock(event);
}

function build(): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const bucket = process.env.CCH_EVENTDATA_BUCKET;
  const env = process.env.CCH_ENV;
  const owner = process.env.CCH_OWNER;
  if (!bucket || !env || !owner) {
    throw new Error(
      'CCH_EVENTDATA_BUCKET, CCH_ENV and CCH_OWNER must be set (the claim check writes large replies to that ' +
        "bucket under the stage's payload prefix)",
    );
  }
  // The same claim check as the orchestrator's (aws-orchestrator.ts): large requests it wrote are read back
  // here, and large replies land where it reads them and where the lifecycle rule expires them.
  const claimCheck = capabilityMockClaimCheck(new S3Client({}), { env, owner }, bucket);
  return createCapabilityMock({
    sqs: new SQSClient({}),
    claimCheck,
    scenarios: capabilityMocksSchema.parse(JSON.parse(process.env.CCH_MOCK_SCENARIOS ?? '{}')),
    defaultOutput: sampleDataOutput(bucket),
    log: (level, fields, message) => logger[level](fields, message),
  });
}
