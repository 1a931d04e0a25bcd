import {
  BatchGetItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../graph/engine-dependencies';
import type {
  IndexEntry,
  IndexQuery,
  IndexQueryResult,
  InstanceQueryPort,
  LeaseState,
} from '../operations/operations-ports';
import type { InstanceRecord } from '../runtime/instance-record';
import { EngineError } from '../runtime/errors';
import { awsCall } from './aws-errors';
import { decodeRecord, DynamoDbInstanceStore } from './dynamodb-instance-store';
import { INSTANCE_INDEX, type InstanceIndexLayout } from './instance-index-layout';
import { S3DefinitionStore } from './s3-definition-store';

/** The layout of each index a query may name. */
const INDEXES: Readonly<
  Record<Exclude<IndexQuery['partition']['index'], 'sfn-executions'>, InstanceIndexLayout>
> = {
  'by-status': INSTANCE_INDEX.byStatus,
  'by-workflow': INSTANCE_INDEX.byWorkflow,
  'by-change': INSTANCE_INDEX.byChange,
  'by-deadline': INSTANCE_INDEX.byDeadline,
};

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;

/**
 * The operator queries' storage on AWS: the instance indexes of the state table (Query, newest first),
 * status records and lease items in bulk (BatchGetItem, consistent), and pinned definitions in S3.
 * Reads only.
 */
export class DynamoDbInstanceIndex implements InstanceQueryPort {
  private readonly store: DynamoDbInstanceStore;
  private readonly definitions: S3DefinitionStore;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    s3: S3Client,
    definitionsBucket: string,
  ) {
    this.store = new DynamoDbInstanceStore(dynamodb, table, systemClock);
    this.definitions = new S3DefinitionStore(s3, definitionsBucket);
  }

  async queryIndex(query: IndexQuery): Promise<IndexQueryResult> {
    if (query.partition.index === 'sfn-executions') {
      // Step Functions mode's partitions are read by MixedInstanceIndex, never by the state table.
      throw new Error('the state table has no sfn-executions partition');
    }
    const index = INDEXES[query.partition.index];
    const values: Record<string, AttributeValue> = { ':p': { S: query.partition.key } };
    const names: Record<string, string> = { '#p': index.partitionKey };
    let condition = '#p = :p';
    if (query.from !== undefined || query.to !== undefined) names['#s'] = index.sortKey;
    if (query.from !== undefined && query.to !== undefined) {
      condition += ' AND #s BETWEEN :from AND :to';
    } else if (query.from !== undefined) {
      condition += ' AND #s >= :from';
    } else if (query.to !== undefined) {
      condition += ' AND #s <= :to';
    }
    if (query.from !== undefined) values[':from'] = { S: query.from };
    if (query.to !== undefined) values[':to'] = { S: query.to };
    let filter: string | undefined;
    if (query.partition.workflow_id !== undefined) {
      // `ix_workflow` is `<workflow_id>#<status>#<shard>`, and `#` is not part of a workflow id.
      filter = 'begins_with(#w, :w)';
      names['#w'] = INSTANCE_INDEX.byWorkflow.partitionKey;
      values[':w'] = { S: `${query.partition.workflow_id}#` };
    }
    // The index's key of an entry is its table key plus the index keys, all known from the entry.
    let start: Record<string, AttributeValue> | undefined = query.after
      ? {
          PK: { S: `INSTANCE#${query.after.instance_id}` },
          SK: { S: 'STATUS' },
          [index.partitionKey]: { S: query.partition.key },
          [index.sortKey]: { S: query.after.sort_key },
        }
      : undefined;
    // A filtered page may come back empty with more to read: read on until it holds an entry or the end.
    for (;;) {
      const response = await awsCall('DYNAMODB', `Query (${index.name})`, () =>
        this.dynamodb.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index.name,
            KeyConditionExpression: condition,
            ...(filter ? { FilterExpression: filter } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            Limit: query.limit,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      const entries: IndexEntry[] = (response.Items ?? []).map((item) => ({
        instance_id: (item.PK?.S ?? '').slice('INSTANCE#'.length),
        sort_key: item[index.sortKey]?.S ?? '',
      }));
      start = response.LastEvaluatedKey;
      if (entries.length > 0 || start === undefined) return { entries, more: start !== undefined };
    }
  }

  async records(instanceIds: readonly string[]): Promise<Map<string, InstanceRecord>> {
    const items = await this.batchGet(instanceIds, 'STATUS', '#r', { '#r': 'record' });
    const records = new Map<string, InstanceRecord>();
    for (const [id, item] of items) {
      const blob = item.record?.B;
      if (blob !== undefined) records.set(id, decodeRecord(blob));
    }
    return records;
  }

  async leases(instanceIds: readonly string[]): Promise<Map<string, LeaseState>> {
    const items = await this.batchGet(instanceIds, 'LEASE', 'lease_expires', {});
    const leases = new Map<string, LeaseState>();
    for (const [id, item] of items) {
      const expires = Number(item.lease_expires?.N);
      if (Number.isFinite(expires)) leases.set(id, { expires_at: expires });
    }
    return leases;
  }

  instance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.store.get(instanceId);
  }

  pinnedDefinition(sha256: string): Promise<string | undefined> {
    return this.definitions.loadPinned(sha256);
  }

  /** The `sk` items of these instances, by instance id; resends what DynamoDB left unprocessed. */
  private async batchGet(
    instanceIds: readonly string[],
    sk: 'STATUS' | 'LEASE',
    projection: string,
    names: Record<string, string>,
  ): Promise<Map<string, Record<string, AttributeValue>>> {
    const found = new Map<string, Record<string, AttributeValue>>();
    const unique = [...new Set(instanceIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      let keys: Record<string, AttributeValue>[] = unique
        .slice(i, i + BATCH_GET_KEYS)
        .map((id) => ({ PK: { S: `INSTANCE#${id}` }, SK: { S: sk } }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8)
          throw new EngineError('DYNAMODB_UNPROCESSED', `${this.table}: keys left unread`, true);
        const response = await awsCall('DYNAMODB', `BatchGetItem (${sk})`, () =>
          this.dynamodb.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.table]: {
                  Keys: keys,
                  ConsistentRead: true,
                  ProjectionExpression: `PK, ${projection}`,
                  ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
                },
              },
            }),
          ),
        );
        for (const item of response.Responses?.[this.table] ?? []) {
          found.set((item.PK?.S ?? '').slice('INSTANCE#'.length), item);
        }
        keys = response.UnprocessedKeys?.[this.table]?.Keys ?? [];
        if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    return found;
  }
}
