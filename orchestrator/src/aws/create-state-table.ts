import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { createCheckpointTable } from '../checkpoint';
import { EngineError } from '../errors/engine-error';
import { awsCall, translateAwsError } from './aws-errors';
import { INSTANCE_INDEX, type InstanceIndexLayout } from './instance-index-layout';

/**
 * Creates the workflow state table as the CDK app defines it, for the local stack and tests: keys `PK`/`SK`,
 * on-demand, the instance indexes (keys only, `by-change` with `ix_workflow`), TTL on `ttlAttributeName` where the server has the TTL API.
 * Idempotent. A table that exists without the indexes is refused with a message: an emulator like dynalite
 * cannot add an index to an existing table, and listing would silently find nothing.
 */
export async function createStateTable(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly ttlAttributeName?: string } = {},
): Promise<void> {
  const indexes: GlobalSecondaryIndex[] = Object.values(INSTANCE_INDEX).map((index: InstanceIndexLayout) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: index.include
      ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] }
      : { ProjectionType: 'KEYS_ONLY' },
  }));
  const attributes = new Set([
    'PK',
    'SK',
    ...indexes.flatMap((i) => i.KeySchema?.map((k) => k.AttributeName)),
  ]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [...attributes].map((name) => ({
          AttributeName: name as string,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'ResourceInUseException') {
      throw translateAwsError('DYNAMODB', 'CreateTable', error);
    }
  }
  // Waits until ACTIVE and turns TTL on; accepts the table just created.
  await createCheckpointTable(client, tableName, options);
  const { Table } = await awsCall('DYNAMODB', 'DescribeTable', () =>
    client.send(new DescribeTableCommand({ TableName: tableName })),
  );
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = indexes.map((i) => i.IndexName).filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new EngineError(
      'STATE_TABLE_WITHOUT_INDEX',
      `table ${tableName} exists without the instance index ${missing.join(', ')}: delete it and provision again`,
      false,
    );
  }
}
