import type { S3Client } from '@aws-sdk/client-s3';
import { SqsClaimCheck } from '../../orchestrator/src/aws/sqs-claim-check';
import { resourceNames, type Stage } from '../../orchestrator/src/naming/resource-names';

/**
 * The capability mock's claim check, the same as the orchestrator's (aws-orchestrator.ts): large requests
 * the orchestrator offloaded are read back from whatever bucket their pointer names, and replies over the
 * threshold (256 KiB) are written to `bucket` under the stage's `sqsPayloadPrefix`, where the orchestrator
 * reads them, the mock's role may write and the bucket's lifecycle rule expires them. The Lambda (handler.ts)
 * and the local stack's mock pollers both build it here, so `pnpm local` reads claim-checked requests too.
 */
export function capabilityMockClaimCheck(
  s3: S3Client,
  stage: Stage,
  bucket = resourceNames(stage).eventDataBucket,
): SqsClaimCheck {
  return new SqsClaimCheck({ s3, bucket, prefix: resourceNames(stage).sqsPayloadPrefix });
}
