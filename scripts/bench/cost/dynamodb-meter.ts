import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RESOLUTION_PREFIX } from '../../../orchestrator/src/aws/dynamodb-instance-store';
import { itemSizeBytes } from '../../../orchestrator/src/checkpoint/item-size';
import { itemReadUnits, queryReadUnits, writeUnits } from './capacity-units';
import { operationDelta } from './operation-counts';

/** What a DynamoDB client did, from the requests it sent and the responses it got. */
export interface DynamoDbUsage {
  readonly requests: number;
  /** Requests by operation (`GetItem`, `Query`, ...), failed ones included. */
  readonly byOperation: Readonly<Record<string, number>>;
  /**
   * Write units as DynamoDB bills them: dynalite's ReturnConsumedCapacity, which sizes the stored item
   * before and after (an UpdateItem of one attribute is billed on the whole item). A conditional write
   * that failed counts 1 (DynamoDB bills it too; dynalite reports nothing for it).
   */
  readonly wcu: number;
  /**
   * Read units as DynamoDB bills them: dynalite's ReturnConsumedCapacity, which sizes the whole stored
   * items even when a projection returns less (4 KB per unit, per item for GetItem, on the total for Query).
   */
  readonly rcu: number;
  /** The same rules applied to the items that came back on the wire (lower than `rcu` under projections). */
  readonly rcuFromWire: number;
  /** Item bytes sent: whole items for puts, key plus values for updates. */
  readonly bytesWritten: number;
  /** Item bytes that came back (projected items as returned). */
  readonly bytesRead: number;
  readonly failedConditions: number;
  /**
   * Write units of each resolution item (`R#<request id>`) written, by request id, as DynamoDB bills one
   * item (BatchWriteItem reports its units per table, not per item). A commit's resolution items are
   * written by the instance's next message (the record carries them until then), so a window of
   * messages holds the items of the commit before it and not those of its own last commit: these let a
   * figure charge each reply its own items (`flush-attribution.ts`).
   */
  readonly resolutionItemUnits: Readonly<Record<string, number>>;
}

export const NO_DYNAMODB_USAGE: DynamoDbUsage = {
  requests: 0,
  byOperation: {},
  wcu: 0,
  rcu: 0,
  rcuFromWire: 0,
  bytesWritten: 0,
  bytesRead: 0,
  failedConditions: 0,
  resolutionItemUnits: {},
};

export interface DynamoDbMeter {
  usage(): DynamoDbUsage;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const CAPACITY_OPERATIONS = new Set([
  ...WRITES,
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
]);

type Item = Record<string, AttributeValue>;
interface Input {
  ReturnConsumedCapacity?: string;
  Item?: Item;
  Key?: Item;
  ExpressionAttributeValues?: Item;
  ConsistentRead?: boolean;
  RequestItems?: Record<string, unknown>;
}
interface Output {
  ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
  UnprocessedItems?: Record<string, unknown>;
  Item?: Item;
  Items?: Item[];
  Responses?: Record<string, Item[]>;
}

/**
 * Measures every request of a DynamoDB client by middleware: operation counts, bytes each way, and
 * capacity. It asks each request for `ReturnConsumedCapacity: TOTAL` (which changes nothing else) so the
 * billed units come from the server's view of the stored items; it also applies DynamoDB's read rules
 * to the items on the wire as a cross-check.
 */
export function meterDynamoDb(client: DynamoDBClient): DynamoDbMeter {
  const byOperation: Record<string, number> = {};
  let requests = 0;
  let wcu = 0;
  let rcu = 0;
  let rcuFromWire = 0;
  let bytesWritten = 0;
  let bytesRead = 0;
  let failedConditions = 0;
  const resolutionItemUnits: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Input;
      if (CAPACITY_OPERATIONS.has(operation) && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      requests += 1;
      byOperation[operation] = (byOperation[operation] ?? 0) + 1;
      bytesWritten += sentBytes(operation, input);
      try {
        const result = await next(args);
        const output = result.output as Output;
        // Recorded once written (a BatchWriteItem's unprocessed items come back in a request of their own).
        const unprocessed = new Set(
          putItems('BatchWriteItem', { RequestItems: output.UnprocessedItems }).map((item) => item.SK?.S),
        );
        for (const item of putItems(operation, input)) {
          const sk = item.SK?.S;
          if (sk?.startsWith(RESOLUTION_PREFIX) && !unprocessed.has(sk)) {
            resolutionItemUnits[sk.slice(RESOLUTION_PREFIX.length)] = writeUnits(itemBytes(item));
          }
        }
        const consumed = [output.ConsumedCapacity ?? []].flat();
        const units = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        const returned = returnedItems(output);
        const returnedBytes = returned.map(itemBytes);
        bytesRead += returnedBytes.reduce((a, b) => a + b, 0);
        if (WRITES.has(operation)) {
          wcu += consumed.length > 0 ? units : 1;
        } else {
          const wire =
            operation === 'Query' || operation === 'Scan'
              ? queryReadUnits(returnedBytes, input.ConsistentRead === true)
              : operation === 'GetItem'
                ? itemReadUnits(returnedBytes[0], input.ConsistentRead === true)
                : returnedBytes.reduce((sum, b) => sum + itemReadUnits(b, true), 0);
          rcuFromWire += wire;
          rcu += consumed.length > 0 ? units : wire;
        }
        return result;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
          failedConditions += 1;
          wcu += writeUnits(0);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchDynamoDbMeter', priority: 'high' },
  );
  return {
    usage: () => ({
      requests,
      byOperation: { ...byOperation },
      wcu,
      rcu,
      rcuFromWire,
      bytesWritten,
      bytesRead,
      failedConditions,
      resolutionItemUnits: { ...resolutionItemUnits },
    }),
  };
}

function putItems(operation: string, input: Input): Item[] {
  if (operation === 'PutItem') return input.Item ? [input.Item] : [];
  if (operation !== 'BatchWriteItem') return [];
  return (Object.values(input.RequestItems ?? {}) as { PutRequest?: { Item?: Item } }[][])
    .flat()
    .flatMap((w) => (w.PutRequest?.Item ? [w.PutRequest.Item] : []));
}

const ATTRIBUTE_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M']);

/**
 * An item's size whichever client sent or received it: a DynamoDBDocumentClient on the metered client
 * (the task token store's) passes this middleware plain JavaScript values, which are sized as the
 * attribute values it marshals them to (string S, number N, boolean BOOL, null NULL, array L, object M).
 */
function itemBytes(item: Record<string, unknown>): number {
  return itemSizeBytes(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, attributeOf(v)])));
}

function attributeOf(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) return { L: value.map(attributeOf) };
  const entries = Object.entries(value as Record<string, unknown>);
  const [only] = entries;
  if (entries.length === 1 && only && ATTRIBUTE_TYPES.has(only[0])) return value as AttributeValue;
  return { M: Object.fromEntries(entries.map(([k, v]) => [k, attributeOf(v)])) };
}

function sentBytes(operation: string, input: Input): number {
  if (operation === 'PutItem' && input.Item) return itemBytes(input.Item);
  if (operation === 'UpdateItem') {
    return itemBytes(input.Key ?? {}) + itemBytes(input.ExpressionAttributeValues ?? {});
  }
  if (operation === 'BatchWriteItem') {
    let bytes = 0;
    for (const writes of Object.values(input.RequestItems ?? {}) as {
      PutRequest?: { Item?: Item };
      DeleteRequest?: { Key?: Item };
    }[][]) {
      for (const w of writes) bytes += itemBytes(w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {});
    }
    return bytes;
  }
  return 0;
}

function returnedItems(output: Output): Item[] {
  if (output.Item) return [output.Item];
  if (output.Items) return output.Items;
  if (output.Responses) return Object.values(output.Responses).flat();
  return [];
}

/** `after - before`, field by field. */
export function dynamoDbDelta(after: DynamoDbUsage, before: DynamoDbUsage): DynamoDbUsage {
  return {
    requests: after.requests - before.requests,
    byOperation: operationDelta(after.byOperation, before.byOperation),
    wcu: after.wcu - before.wcu,
    rcu: after.rcu - before.rcu,
    rcuFromWire: after.rcuFromWire - before.rcuFromWire,
    bytesWritten: after.bytesWritten - before.bytesWritten,
    bytesRead: after.bytesRead - before.bytesRead,
    failedConditions: after.failedConditions - before.failedConditions,
    resolutionItemUnits: Object.fromEntries(
      Object.entries(after.resolutionItemUnits).filter(([id]) => !(id in before.resolutionItemUnits)),
    ),
  };
}
