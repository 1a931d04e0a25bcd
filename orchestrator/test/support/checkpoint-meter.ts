import type {
  BatchGetItemCommandOutput,
  BatchWriteItemCommandInput,
  DynamoDBClient,
  GetItemCommandOutput,
  PutItemCommandInput,
  QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { itemSizeBytes, writeUnits, type Item } from '../../src/checkpoint/item-size';

/**
 * What a checkpointer's requests cost, counted from the items the client sends and gets back. Write units
 * follow DynamoDB's rule (ceil(item bytes / 1 KB) per item); bytes fetched are the items as returned
 * (projected), so DynamoDB bills at least that much.
 */
export interface CheckpointTotals {
  itemsWritten: number;
  bytesWritten: number;
  writeUnits: number;
  /** Items returned by GetItem and BatchGetItem (values, bodies and chunks fetched by reference). */
  itemsFetched: number;
  bytesFetched: number;
  /** Items returned by Query. */
  itemsQueried: number;
  bytesQueried: number;
}

export interface CheckpointMeter {
  totals(): CheckpointTotals;
  /** What `work` cost. */
  measured<T>(work: () => Promise<T>): Promise<{ result: T; cost: CheckpointTotals }>;
}

export function meterCheckpointClient(client: DynamoDBClient): CheckpointMeter {
  const totals: CheckpointTotals = {
    itemsWritten: 0,
    bytesWritten: 0,
    writeUnits: 0,
    itemsFetched: 0,
    bytesFetched: 0,
    itemsQueried: 0,
    bytesQueried: 0,
  };
  const wrote = (item: Item | undefined) => {
    if (item === undefined) return;
    totals.itemsWritten += 1;
    totals.bytesWritten += itemSizeBytes(item);
    totals.writeUnits += writeUnits(item);
  };
  const fetched = (items: readonly Item[]) => {
    totals.itemsFetched += items.length;
    for (const item of items) totals.bytesFetched += itemSizeBytes(item);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (command === 'PutItemCommand') wrote((args.input as PutItemCommandInput).Item);
      if (command === 'BatchWriteItemCommand') {
        const input = args.input as BatchWriteItemCommandInput;
        for (const request of Object.values(input.RequestItems ?? {}).flat()) wrote(request.PutRequest?.Item);
      }
      const result = await next(args);
      const output = result.output as unknown;
      if (command === 'GetItemCommand') {
        const item = (output as GetItemCommandOutput).Item;
        fetched(item ? [item] : []);
      }
      if (command === 'BatchGetItemCommand') {
        fetched(Object.values((output as BatchGetItemCommandOutput).Responses ?? {}).flat());
      }
      if (command === 'QueryCommand') {
        const items = (output as QueryCommandOutput).Items ?? [];
        totals.itemsQueried += items.length;
        for (const item of items) totals.bytesQueried += itemSizeBytes(item);
      }
      return result;
    },
    { step: 'initialize', name: 'checkpointMeter' },
  );
  const snapshot = () => ({ ...totals });
  return {
    totals: snapshot,
    async measured(work) {
      const before = snapshot();
      const result = await work();
      const after = snapshot();
      const cost = Object.fromEntries(
        Object.entries(after).map(([key, value]) => [key, value - before[key as keyof CheckpointTotals]]),
      ) as unknown as CheckpointTotals;
      return { result, cost };
    },
  };
}
