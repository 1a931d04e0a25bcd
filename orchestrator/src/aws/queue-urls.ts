import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsCall } from './aws-errors';

/** Resolves queue names to URLs once per container (GetQueueUrl), so callers work with names only. */
export class QueueUrls {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly sqs: SQSClient) {}

  url(queueName: string): Promise<string> {
    let url = this.cache.get(queueName);
    if (!url) {
      url = awsCall('SQS', `GetQueueUrl ${queueName}`, async () => {
        const response = await this.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
        if (!response.QueueUrl) throw new Error(`no URL for queue ${queueName}`);
        return response.QueueUrl;
      });
      url.catch(() => this.cache.delete(queueName));
      this.cache.set(queueName, url);
    }
    return url;
  }
}
