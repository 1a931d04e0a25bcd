import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { resourceNames, type Stage } from '../../orchestrator/src/naming/resource-names';
import {
  QUEUE_SETTINGS,
  type ConsumedQueue,
  type LocalResources,
  type QueueSettings,
} from './provision-local';
import { localReplyKeys } from './local-reply-keys';

/**
 * Finds, by name, the resources another process provisioned (`pnpm local --no-workers`): the command and
 * reply queues, and every capability request queue that exists now. Names come from the one naming module,
 * so nothing is passed between the processes but the stage and the endpoints.
 */
export async function resolveLocalResources(sqs: SQSClient, stage: Stage): Promise<LocalResources> {
  const names = resourceNames(stage);
  const capabilityQueues = new Map<string, ConsumedQueue>();
  for (const domain of await existingCapabilityDomains(sqs, stage)) {
    capabilityQueues.set(
      domain,
      await consumedQueue(sqs, names.capabilityRequestQueue(domain), names.capabilityRequestDlq(domain)),
    );
  }
  return {
    stage,
    names,
    commandQueue: await consumedQueue(sqs, names.commandQueue, names.commandDlq),
    replyQueue: await consumedQueue(sqs, names.replyQueue, names.replyDlq),
    capabilityQueues,
    replyKeys: localReplyKeys(stage),
  };
}

/** The domains that have a request queue in this stage (`cch-<env>-<owner>-capability-<domain>-request-queue`). */
export async function existingCapabilityDomains(sqs: SQSClient, stage: Stage): Promise<string[]> {
  const prefix = resourceNames(stage).prefix + 'capability-';
  const suffix = '-request-queue';
  const domains: string[] = [];
  let token: string | undefined;
  do {
    const page = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken: token }),
    );
    for (const url of page.QueueUrls ?? []) {
      const name = url.split('/').pop() ?? '';
      if (name.startsWith(prefix) && name.endsWith(suffix))
        domains.push(name.slice(prefix.length, -suffix.length));
    }
    token = page.NextToken;
  } while (token);
  return domains.sort();
}

/** A queue and its DLQ as a poller needs them; fails with QueueDoesNotExist when either is missing. */
export async function consumedQueue(sqs: SQSClient, name: string, dlqName: string): Promise<ConsumedQueue> {
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
  const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: dlqName }))).QueueUrl as string;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`no ARN for queue ${url}`);
  return { name, url, arn, dlqUrl };
}

/**
 * The visibility timeout and redrive of an existing queue (and its DLQ's retention), so queues a worker
 * creates later for new capability domains behave like those the servers' process provisioned.
 */
export async function queueSettingsOf(sqs: SQSClient, queue: ConsumedQueue): Promise<QueueSettings> {
  const [main, dlq] = await Promise.all([
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
      }),
    ),
    sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['MessageRetentionPeriod'] }),
    ),
  ]);
  const redrive = JSON.parse(main.Attributes?.RedrivePolicy ?? '{}') as { maxReceiveCount?: number | string };
  const number = (text: unknown, fallback: number) => {
    const value = Number(text);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    visibilityTimeoutSeconds: number(
      main.Attributes?.VisibilityTimeout,
      QUEUE_SETTINGS.visibilityTimeoutSeconds,
    ),
    maxReceiveCount: number(redrive.maxReceiveCount, QUEUE_SETTINGS.maxReceiveCount),
    dlqRetentionSeconds: number(dlq.Attributes?.MessageRetentionPeriod, QUEUE_SETTINGS.dlqRetentionSeconds),
  };
}
