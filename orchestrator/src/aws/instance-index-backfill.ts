import {
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { awsCall, translateAwsError } from './aws-errors';
import { decodeRecord } from './dynamodb-instance-store';
import { indexAttributes } from './instance-index-layout';

export interface BackfillReport {
  /** Status records found without the index keys (without `ix_changed`: before `by-change` existed). */
  readonly found: number;
  /** Of those, given their keys now. */
  readonly indexed: number;
  /** Changed by a commit while the backfill ran (a commit writes the keys itself, or a later pass will). */
  readonly changed: number;
}

/**
 * Gives the instance index keys to status records written before the indexes existed (a deployment that
 * predates them, or predates `by-change` and `by-deadline`: every record without `ix_changed`): run once
 * after the deploys that add the indexes, when no orchestrator of the old version is left. It scans the whole table (checkpoints too), once, so it is an operator's one-off, never part of a
 * request path. Each record is updated only if it is still the version read and still has no keys, so a
 * concurrent commit always wins; idempotent, and a second pass finds nothing to do.
 */
export async function backfillInstanceIndex(
  dynamodb: DynamoDBClient,
  table: string,
  options: { readonly dryRun?: boolean; readonly progress?: (report: BackfillReport) => void } = {},
): Promise<BackfillReport> {
  let found = 0;
  let indexed = 0;
  let changed = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await awsCall('DYNAMODB', 'Scan (status records without index keys)', () =>
      dynamodb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'SK = :status AND attribute_not_exists(ix_changed)',
          ProjectionExpression: 'PK, SK, #record, #version',
          ExpressionAttributeNames: { '#record': 'record', '#version': 'version' },
          ExpressionAttributeValues: { ':status': { S: 'STATUS' } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      const blob = item.record?.B;
      if (blob === undefined || item.PK === undefined || item.SK === undefined) continue;
      found++;
      if (options.dryRun) continue;
      const attributes = Object.entries(
        indexAttributes(decodeRecord(blob)) as Record<string, string | undefined>,
      ).filter((entry): entry is [string, string] => entry[1] !== undefined);
      const version = item.version?.N;
      try {
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { PK: item.PK, SK: item.SK },
            UpdateExpression: `SET ${attributes.map(([name]) => `${name} = :${name}`).join(', ')}`,
            ConditionExpression:
              'attribute_not_exists(ix_changed) AND ' +
              (version === undefined ? 'attribute_not_exists(#version)' : '#version = :v'),
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: {
              ...Object.fromEntries(attributes.map(([name, value]) => [`:${name}`, { S: value }])),
              ...(version === undefined ? {} : { ':v': { N: version } }),
            },
          }),
        );
        indexed++;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
          throw translateAwsError('DYNAMODB', 'UpdateItem (index keys)', error);
        }
        changed++;
      }
    }
    start = page.LastEvaluatedKey;
    options.progress?.({ found, indexed, changed });
  } while (start);
  return { found, indexed, changed };
}
