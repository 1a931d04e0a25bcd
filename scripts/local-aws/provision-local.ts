import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { isQueueMissing } from '../../orchestrator/src/aws/queue-urls';
import { createStateTable } from '../../orchestrator/src/aws/create-state-table';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import { capabilityDomainsIn } from '../../orchestrator/src/naming/capability-domains';
import {
  capabilityDomain,
  resourceNames,
  type ResourceNames,
  type Stage,
} from '../../orchestrator/src/naming/resource-names';
import type { ReplyKeys } from '../../orchestrator/src/graph/request-ids';
import type { EmbeddedAws } from './embedded-aws';
import { localReplyKeys } from './local-reply-keys';

/**
 * The queue settings the CDK app uses too: Lambda-style consumers; redrive to the DLQ after ten receives.
 * Consumers dead-letter a failing message themselves, with its reason, on its fifth receive
 * (SqsBatchProcessor's maxReceives); the redrive policy is only the backstop for when that send fails, so
 * its count must stay above the consumers'.
 */
export const QUEUE_SETTINGS: {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly dlqRetentionSeconds: number;
} = {
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 10,
  dlqRetentionSeconds: 14 * 24 * 3600,
};

export interface ConsumedQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
}

export interface LocalResources {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly commandQueue: ConsumedQueue;
  readonly replyQueue: ConsumedQueue;
  /** One request queue per capability domain. */
  readonly capabilityQueues: ReadonlyMap<string, ConsumedQueue>;
  /** The stage's reply keys (Secrets Manager's on AWS): see local-reply-keys.ts. */
  readonly replyKeys: ReplyKeys;
}

export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Creates on the embedded stack the resources the CDK app defines, named by the same module (env `local`):
 * the state table (with the instance indexes), the definitions and event-data buckets, and the command,
 * reply and capability request queues, each with its DLQ and redrive policy; and the stage's reply keys
 * (generated on first use, see local-reply-keys.ts). Idempotent.
 */
export type QueueSettings = typeof QUEUE_SETTINGS;

export async function provisionLocal(
  aws: EmbeddedAws,
  owner = 'dev',
  settings: QueueSettings = QUEUE_SETTINGS,
): Promise<LocalResources> {
  const stage = { env: 'local', owner };
  const names = resourceNames(stage);
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  const s3 = new S3Client(aws.clientConfig.s3);
  const sqs = new SQSClient(aws.clientConfig.sqs);
  try {
    await createStateTable(dynamodb, names.stateTable, { ttlAttributeName: 'ttl' });
    for (const bucket of [names.definitionsBucket, names.eventDataBucket]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const queue = (name: string, dlqName: string) => createQueueWithDlq(sqs, name, dlqName, settings);
    const domains = capabilityDomainsIn(join(REPO_ROOT, 'workflow-definitions'));
    const capabilityQueues = new Map<string, ConsumedQueue>();
    for (const domain of domains) {
      capabilityQueues.set(
        domain,
        await queue(names.capabilityRequestQueue(domain), names.capabilityRequestDlq(domain)),
      );
    }
    return {
      stage,
      names,
      commandQueue: await queue(names.commandQueue, names.commandDlq),
      replyQueue: await queue(names.replyQueue, names.replyDlq),
      capabilityQueues,
      replyKeys: localReplyKeys(stage),
    };
  } finally {
    dynamodb.destroy();
    s3.destroy();
    sqs.destroy();
  }
}

/**
 * Creates the request queue and its DLQ (with the redrive policy) of every domain that has no request
 * queue yet, and returns the queues it created (so a caller can start consumers for exactly those).
 * Existing queues are left as they are. Safe to run concurrently: CreateQueue with the same attributes
 * is idempotent.
 */
export async function ensureCapabilityQueues(
  sqs: SQSClient,
  stage: Stage,
  domains: Iterable<string>,
  settings: QueueSettings = QUEUE_SETTINGS,
): Promise<ConsumedQueue[]> {
  const names = resourceNames(stage);
  const created: ConsumedQueue[] = [];
  for (const domain of new Set(domains)) {
    const name = names.capabilityRequestQueue(domain);
    if (await queueExists(sqs, name)) continue;
    created.push(await createQueueWithDlq(sqs, name, names.capabilityRequestDlq(domain), settings));
  }
  return created;
}

/**
 * The capability domains a workflow definition sends requests to (each needs a request queue), sorted;
 * none for text that is not a valid definition (`wf validate` is where that is reported).
 */
export function domainsOfDefinitionText(yamlText: string): string[] {
  const { definition } = validateDefinition('definition.yaml', yamlText);
  const domains = new Set<string>();
  for (const node of Object.values(definition?.nodes ?? {})) {
    if (node.type !== 'async_request') continue;
    try {
      domains.add(capabilityDomain(node.capability_id));
    } catch {
      // Not a valid queue-name part: no queue can be made for it (the validator reports it).
    }
  }
  return [...domains].sort();
}

async function queueExists(sqs: SQSClient, name: string): Promise<boolean> {
  try {
    await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return true;
  } catch (error) {
    if (isQueueMissing(error)) return false;
    throw error;
  }
}

async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  dlqName: string,
  settings: QueueSettings,
): Promise<ConsumedQueue> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: dlqName,
      Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
    }),
  );
  const dlqArn = await queueArn(sqs, dlq.QueueUrl as string);
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  const url = created.QueueUrl as string;
  return { name, url, arn: await queueArn(sqs, url), dlqUrl: dlq.QueueUrl as string };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`no ARN for queue ${url}`);
  return arn;
}
