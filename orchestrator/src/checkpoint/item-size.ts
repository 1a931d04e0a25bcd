import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB refuses any item larger than 400 KB (400 * 1024 bytes), attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** One write capacity unit covers an item of up to 1 KB; a larger item costs one unit per started KB. */
export const WRITE_UNIT_BYTES = 1024;

export type Item = Record<string, AttributeValue>;

/**
 * Size of an item as DynamoDB bills and limits it: for each attribute, the UTF-8 length of its name plus
 * the size of its value (strings in UTF-8 bytes, binaries in raw bytes, numbers one byte per two
 * significant digits plus one, lists and maps 3 bytes plus 1 byte per element).
 */
export function itemSizeBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Length(name) + attributeValueBytes(value);
  return size;
}

/** Write units one put of this item consumes: `ceil(size / 1 KB)`, at least 1. */
export function writeUnits(item: Item): number {
  return Math.max(1, Math.ceil(itemSizeBytes(item) / WRITE_UNIT_BYTES));
}

export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Length(value.S);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Length(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined)
    return 3 + value.L.reduce((sum, element) => sum + 1 + attributeValueBytes(element), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSizeBytes(value.M);
  throw new Error('unknown DynamoDB attribute value type');
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function numberBytes(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  return significant.length === 0 ? 1 : Math.ceil(significant.length / 2) + 1;
}
