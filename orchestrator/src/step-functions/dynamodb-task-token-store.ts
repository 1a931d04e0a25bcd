import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsCall } from '../aws/aws-errors';
import type { TaskTokenRecord, TaskTokenStore } from './task-token-store';

/**
 * Task token records in their own table, keyed by `request_id` (string), with `expires_at` as its TTL
 * attribute. Puts and closes are conditional, so two request Lambdas or two replies never both win.
 */
export class DynamoDbTaskTokenStore implements TaskTokenStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async putIfAbsent(record: TaskTokenRecord): Promise<TaskTokenRecord> {
    try {
      await awsCall('DYNAMODB', 'PutItem task token', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: record,
            ConditionExpression: 'attribute_not_exists(request_id)',
          }),
        ),
      );
      return record;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const known = await this.get(record.request_id);
      if (!known) throw error;
      return known;
    }
  }

  async get(requestId: string): Promise<TaskTokenRecord | undefined> {
    const { Item } = await awsCall('DYNAMODB', 'GetItem task token', () =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { request_id: requestId }, ConsistentRead: true }),
      ),
    );
    return Item as TaskTokenRecord | undefined;
  }

  async close(requestId: string, status: 'REPLIED' | 'STALE'): Promise<boolean> {
    try {
      await awsCall('DYNAMODB', 'UpdateItem task token', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { request_id: requestId },
            UpdateExpression: 'SET #status = :status',
            ConditionExpression: '#status = :waiting',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':status': status, ':waiting': 'WAITING' },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}

function isConditionFailed(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return (
    cause instanceof ConditionalCheckFailedException ||
    (cause as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}
