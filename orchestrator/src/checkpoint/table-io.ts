import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  CheckpointItemTooLargeError,
  CheckpointStoreError,
  isConditionalCheckFailed,
  translateSdkError,
} from './errors';
import { MAX_ITEM_BYTES, itemSizeBytes, type Item } from './item-size';
import type { Key } from './storage-layout';

/*
 * The few DynamoDB primitives the saver needs, with the SDK's quirks handled once: every read strongly
 * consistent, batches split to the API limits and their unprocessed parts retried, SDK errors translated
 * into CheckpointErrors (conditional-check failures become a `false` result instead).
 */

const BATCH_WRITE_MAX_ITEMS = 25;
const BATCH_GET_MAX_KEYS = 100;
const BATCH_CONCURRENCY = 8;
const MAX_ATTEMPTS_WITHOUT_PROGRESS = 8;

export type SortKeyCondition =
  { readonly beginsWith: string } | { readonly between: readonly [string, string] };

export interface QueryOptions {
  readonly pk: string;
  /** Condition on SK; the whole partition when absent. */
  readonly sk?: SortKeyCondition;
  readonly descending?: boolean;
  /** Items per page (DynamoDB `Limit`); by default a page is up to 1 MB. */
  readonly pageSize?: number;
  /** Attributes to return; all by default. */
  readonly projection?: readonly string[];
}

export class CheckpointTable {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async put(item: Item): Promise<void> {
    assertFits(item);
    await this.send('PutItem', () =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item })),
    );
  }

  /** Puts `item` only if no item has its key; `false` when one does. */
  async putIfAbsent(item: Item): Promise<boolean> {
    return this.conditionalPut(item, 'attribute_not_exists(#pk)', { '#pk': 'PK' });
  }

  /** Puts `item` only if the stored item's numeric `attribute` still equals `expected`. */
  async putIfAttributeEquals(item: Item, attribute: string, expected: AttributeValue): Promise<boolean> {
    return this.conditionalPut(item, '#a = :expected', { '#a': attribute }, { ':expected': expected });
  }

  async get(key: Key, projection?: readonly string[]): Promise<Item | undefined> {
    const response = await this.send('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: key,
          ConsistentRead: true,
          ...projectionOf(projection),
        }),
      ),
    );
    return response.Item;
  }

  /** Every item of the query, page after page, in key order (reversed when `descending`). */
  async *query(options: QueryOptions): AsyncGenerator<Item> {
    const names: Record<string, string> = { '#pk': 'PK', '#sk': 'SK' };
    const values: Record<string, AttributeValue> = { ':pk': { S: options.pk } };
    let condition = '#pk = :pk';
    if (options.sk === undefined) {
      delete names['#sk'];
    } else if ('beginsWith' in options.sk) {
      condition += ' AND begins_with(#sk, :prefix)';
      values[':prefix'] = { S: options.sk.beginsWith };
    } else {
      condition += ' AND #sk BETWEEN :low AND :high';
      values[':low'] = { S: options.sk.between[0] };
      values[':high'] = { S: options.sk.between[1] };
    }
    const projection = projectionOf(options.projection);
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.send('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: condition,
            ExpressionAttributeNames: { ...names, ...projection.ExpressionAttributeNames },
            ExpressionAttributeValues: values,
            ...(projection.ProjectionExpression
              ? { ProjectionExpression: projection.ProjectionExpression }
              : {}),
            ConsistentRead: true,
            ScanIndexForward: !options.descending,
            ...(options.pageSize !== undefined ? { Limit: options.pageSize } : {}),
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of response.Items ?? []) yield item;
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Every item whose PK and SK start with the given prefixes, in no particular order. */
  async *scan(pkPrefix: string, skPrefix: string): AsyncGenerator<Item> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const response = await this.send('Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'begins_with(#pk, :pk) AND begins_with(#sk, :sk)',
            ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
            ExpressionAttributeValues: { ':pk': { S: pkPrefix }, ':sk': { S: skPrefix } },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of response.Items ?? []) yield item;
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Reads the items of `keys` (those that exist), in no particular order. */
  async batchGet(keys: readonly Key[], projection?: readonly string[]): Promise<Item[]> {
    const unique = [...new Map(keys.map((key) => [`${key.PK.S}\u0000${key.SK.S}`, key])).values()];
    const groups = chunk(unique, BATCH_GET_MAX_KEYS);
    const results = await mapConcurrently(groups, BATCH_CONCURRENCY, (group) =>
      this.batchGetGroup(group, projection),
    );
    return results.flat();
  }

  /** Writes every item; resolves once all are acknowledged. */
  async batchPut(items: readonly Item[]): Promise<void> {
    items.forEach(assertFits);
    await this.batchWrite(items.map((item) => ({ PutRequest: { Item: item } })));
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    await this.batchWrite(keys.map((key) => ({ DeleteRequest: { Key: key } })));
  }

  private async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    if (requests.length === 1 && requests[0]?.PutRequest?.Item) {
      await this.put(requests[0].PutRequest.Item);
      return;
    }
    await mapConcurrently(chunk(requests, BATCH_WRITE_MAX_ITEMS), BATCH_CONCURRENCY, async (group) => {
      let pending: WriteRequest[] = group;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt >= MAX_ATTEMPTS_WITHOUT_PROGRESS) throw unprocessed('BatchWriteItem', pending.length);
        if (attempt > 0) await backoff(attempt);
        const batch = pending;
        const response = await this.send('BatchWriteItem', () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = response.UnprocessedItems?.[this.tableName] ?? [];
      }
    });
  }

  private async batchGetGroup(keys: Key[], projection?: readonly string[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Key[] = keys;
    for (let stalled = 0; pending.length > 0;) {
      if (stalled >= MAX_ATTEMPTS_WITHOUT_PROGRESS) throw unprocessed('BatchGetItem', pending.length);
      if (stalled > 0) await backoff(stalled);
      const request: KeysAndAttributes = { Keys: pending, ConsistentRead: true, ...projectionOf(projection) };
      const response = await this.send('BatchGetItem', () =>
        this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: request } })),
      );
      const got = response.Responses?.[this.tableName] ?? [];
      items.push(...got);
      const left = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Key[];
      // A response cut short by its size limit is progress: ask again at once for the rest.
      stalled = left.length > 0 && got.length === 0 ? stalled + 1 : 0;
      pending = left;
    }
    return items;
  }

  private async conditionalPut(
    item: Item,
    condition: string,
    names: Record<string, string>,
    values?: Record<string, AttributeValue>,
  ): Promise<boolean> {
    assertFits(item);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw translateSdkError('PutItem', error);
    }
  }

  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateSdkError(operation, error);
    }
  }
}

/** Refuses, with a clear error, an item DynamoDB would reject for its size. */
function assertFits(item: Item): void {
  const bytes = itemSizeBytes(item);
  if (bytes > MAX_ITEM_BYTES)
    throw new CheckpointItemTooLargeError(`item ${item.SK?.S}`, bytes, MAX_ITEM_BYTES);
}

function projectionOf(projection: readonly string[] | undefined): {
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
} {
  if (projection === undefined || projection.length === 0) return {};
  const names = Object.fromEntries(projection.map((name, i) => [`#p${i}`, name]));
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    // After a failure no worker starts new work: the caller is about to give up on the whole batch.
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return results;
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unprocessed(operation: string, count: number): CheckpointStoreError {
  return new CheckpointStoreError(operation, true, {
    cause: new Error(`${count} requests stayed unprocessed after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts`),
  });
}
