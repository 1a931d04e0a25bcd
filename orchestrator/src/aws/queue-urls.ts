import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCall } from './aws-errors';

/**
 * Resolves queue names to URLs once per container (GetQueueUrl), so callers work with names only.
 * Only URLs that were found are kept: a failed lookup (a queue that does not exist yet) is asked again
 * next time, and a caller that finds a cached queue gone `forget`s it, so a queue created or re-created
 * later is picked up without a restart.
 */
export class QueueUrls {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly sqs: SQSClient) {}

  url(queueName: string): Promise<string> {
    let url = this.cache.get(queueName);
    if (!url) {
      const lookup = awsCall('SQS', `GetQueueUrl ${queueName}`, async () => {
        const response = await this.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
        if (!response.QueueUrl) throw new Error(`no URL for queue ${queueName}`);
        return response.QueueUrl;
      });
      lookup.catch(() => {
        if (this.cache.get(queueName) === lookup) this.cache.delete(queueName);
      });
      this.cache.set(queueName, lookup);
      url = lookup;
    }
    return url;
  }

  /** Drops a cached URL (its queue was found deleted), so the next call looks the name up again. */
  forget(queueName: string): void {
    this.cache.delete(queueName);
  }
}

/** SQS error names (JSON and query protocol) for "this queue does not exist". */
const QUEUE_MISSING = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

/** True when an error (an SDK error, or an EngineError translated from one) says the queue does not exist. */
export function isQueueMissing(error: unknown): boolean {
  // Follows `cause` a few levels (translation wraps once); bounded in case a chain is cyclic.
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const { name, Code, code } = e as { name?: unknown; Code?: unknown; code?: unknown };
    if (code === 'SQS_QueueDoesNotExist') return true;
    if ([name, Code, code].some((value) => typeof value === 'string' && QUEUE_MISSING.has(value))) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
