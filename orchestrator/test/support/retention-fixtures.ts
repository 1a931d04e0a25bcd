import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { instanceKey } from '../../src/aws/dynamodb-instance-store';
import { DynamoDBSaver } from '../../src/checkpoint';
import { partitionKey } from '../../src/checkpoint/storage-layout';
import { incompressibleText } from '../../src/checkpoint/testing/incompressible-text';
import { scanTable, type RawItem } from './table-items';

/*
 * Instances as the state table holds them, for the retention tests: a STATUS item and a checkpoint
 * partition written by the real DynamoDBSaver, in several namespaces (as a fan-out's branch subgraphs
 * write them), with a value large enough to be chunked and a task's pending writes.
 */

export interface PlantedInstance {
  /** Status of the STATUS item; omit `status` for an instance whose record is already gone. */
  readonly status?: string;
  /** Epoch seconds in the STATUS item's `ttl` attribute (finished instances only). */
  readonly ttl?: number;
}

export async function plantInstance(
  client: DynamoDBClient,
  tableName: string,
  instanceId: string,
  planted: PlantedInstance,
): Promise<void> {
  const saver = new DynamoDBSaver({ client, tableName });
  for (const ns of ['', 'Fan_Out_B1:1', 'Fan_Out_B2:2']) {
    const checkpoint: Checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      // Over the inline limit (32 KB): stored as a chunk beside the checkpoint item.
      channel_values: { context: { blob: incompressibleText(ns, 60_000) }, step: ns },
      channel_versions: { context: 1, step: 1 },
    };
    const config = await saver.put(
      { configurable: { thread_id: instanceId, checkpoint_ns: ns } },
      checkpoint,
      { source: 'loop', step: 0, parents: {} },
      { context: 1, step: 1 },
    );
    await saver.putWrites(config, [['reply', { ok: true }]], `task-${ns}`);
  }
  // The history and resolution items the instance store moves out of the record (append-only).
  for (const sk of ['H#0000000000', 'H#0000000001', `R#${instanceId}:Task_A:1`]) {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { PK: { S: instanceKey(instanceId).PK.S }, SK: { S: sk }, entry: { S: '{}' } },
      }),
    );
  }
  if (planted.status === undefined) return;
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        ...instanceKey(instanceId),
        status: { S: planted.status },
        ...(planted.ttl === undefined ? {} : { ttl: { N: String(planted.ttl) } }),
      },
    }),
  );
}

/** Every item of an instance: its STATUS item and its checkpoint partition. */
export async function itemsOf(
  client: DynamoDBClient,
  tableName: string,
  instanceId: string,
): Promise<RawItem[]> {
  const keys = new Set([instanceKey(instanceId).PK.S, partitionKey(instanceId)]);
  const items = await scanTable(client, tableName);
  return items.filter((item) => keys.has(item.PK?.S ?? '')).sort(byKey);
}

function byKey(a: RawItem, b: RawItem): number {
  const key = (item: RawItem) => `${item.PK?.S ?? ''}\u0000${item.SK?.S ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** The stream record DynamoDB emits when an instance's STATUS item is removed (KEYS_ONLY view). */
export function statusRemoval(
  instanceId: string,
  by: 'ttl' | 'user' = 'ttl',
  sequenceNumber = '100',
): DynamoDBRecord {
  const { PK, SK } = instanceKey(instanceId);
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'REMOVE',
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: 1_767_225_600,
      Keys: { PK: { S: PK.S }, SK: { S: SK.S } },
      SequenceNumber: sequenceNumber,
      SizeBytes: 64,
      StreamViewType: 'KEYS_ONLY',
    },
    ...(by === 'ttl' ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}
