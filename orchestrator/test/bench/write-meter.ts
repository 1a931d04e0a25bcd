import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSizeBytes, writeUnits } from '../../src/checkpoint/item-size';

/** Totals of what a DynamoDB client wrote, measured from the requests it sent. */
export interface WriteTotals {
  readonly requests: number;
  readonly items: number;
  readonly bytes: number;
  readonly writeUnits: number;
}

export interface WriteMeter {
  totals(): WriteTotals;
}

type WireValue = Record<string, unknown>;

/**
 * Middleware that measures every item a client writes, from the serialized request body as it goes to
 * the wire, so savers built on the plain client and on the document client are measured the same way.
 * Write units follow DynamoDB's rule: `ceil(item size / 1 KB)` per item put (at least 1), the size being
 * attribute names plus values (item-size.ts). A delete costs at least 1 unit; the bench deletes nothing.
 */
export function meterWrites(client: DynamoDBClient): WriteMeter {
  let requests = 0;
  let items = 0;
  let bytes = 0;
  let units = 0;
  const record = (item: WireValue | undefined) => {
    if (item === undefined) return;
    const sdkItem = fromWire(item);
    items += 1;
    bytes += itemSizeBytes(sdkItem);
    units += writeUnits(sdkItem);
  };
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = request.headers?.['x-amz-target'] ?? request.headers?.['X-Amz-Target'] ?? '';
      const operation = target.split('.').pop() ?? '';
      const text = bodyText(request.body);
      if (
        text !== undefined &&
        ['PutItem', 'BatchWriteItem', 'UpdateItem', 'DeleteItem'].includes(operation)
      ) {
        const body = JSON.parse(text) as {
          Item?: WireValue;
          RequestItems?: Record<string, { PutRequest?: { Item?: WireValue }; DeleteRequest?: unknown }[]>;
        };
        requests += 1;
        if (operation === 'PutItem') record(body.Item);
        if (operation === 'BatchWriteItem') {
          for (const request of Object.values(body.RequestItems ?? {}).flat()) {
            if (request.PutRequest) record(request.PutRequest.Item);
            else {
              items += 1;
              units += 1;
            }
          }
        }
        if (operation === 'UpdateItem' || operation === 'DeleteItem') {
          items += 1;
          units += 1;
        }
      }
      return next(args);
    },
    { step: 'build', name: 'checkpointBenchWriteMeter' },
  );
  return { totals: () => ({ requests, items, bytes, writeUnits: units }) };
}

/** The JSON body: a string, or bytes (the SDK's body adapter is a Uint8Array). */
function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  // A view on the same memory: the SDK's body adapter warns when its own string methods are used.
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return undefined;
}

/** JSON wire format (binary as base64) back to SDK attribute values, to size them. */
function fromWire(item: WireValue): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, valueFromWire(value as WireValue)]),
  );
}

function valueFromWire(value: WireValue): AttributeValue {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: (value.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  if (Array.isArray(value.L)) return { L: (value.L as WireValue[]).map(valueFromWire) };
  if (value.M !== undefined && typeof value.M === 'object') return { M: fromWire(value.M as WireValue) };
  return value as unknown as AttributeValue;
}
