import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CheckpointStoreError, translateSdkError } from './errors';

export interface CreateCheckpointTableOptions {
  /** Enable DynamoDB TTL on this attribute; emulators without the TTL API (dynalite) are tolerated. */
  readonly ttlAttributeName?: string;
  /** How long to wait for the table to become ACTIVE. */
  readonly timeoutMs?: number;
}

/**
 * Creates the checkpoint table (string keys `PK` and `SK`, on-demand billing) and waits until it is
 * ACTIVE. Idempotent: an existing table is accepted as it is. Meant for tests and the local stack; on AWS
 * the table belongs to the CDK stack.
 */
export async function createCheckpointTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateCheckpointTableOptions = {},
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'ResourceInUseException') {
      throw translateSdkError('CreateTable', error);
    }
  }
  await waitUntilActive(client, tableName, options.timeoutMs ?? 30_000);
  if (options.ttlAttributeName !== undefined) {
    try {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: options.ttlAttributeName, Enabled: true },
        }),
      );
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      // Already enabled (AWS), or an emulator without the TTL API (dynalite): nothing to do.
      const alreadyEnabled = name === 'ValidationException' && /already enabled/i.test(String(error));
      if (!alreadyEnabled && name !== 'UnknownOperationException')
        throw translateSdkError('UpdateTimeToLive', error);
    }
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name !== 'ResourceNotFoundException') {
        throw translateSdkError('DescribeTable', error);
      }
    }
    if (Date.now() > deadline) {
      throw new CheckpointStoreError('DescribeTable', true, {
        cause: new Error(`table ${tableName} not ACTIVE after ${timeoutMs} ms`),
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
