import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type RawItem = Record<string, AttributeValue>;

/** Every item of a table, as stored (strongly consistent scan). */
export async function scanTable(client: DynamoDBClient, tableName: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let startKey: RawItem | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** The checkpoint item of checkpoint `id` (its SK ends `#<id>#`; task items go on after it), as stored. */
export async function checkpointItemOf(
  client: DynamoDBClient,
  tableName: string,
  id: string,
): Promise<RawItem> {
  const item = (await scanTable(client, tableName)).find((candidate) => candidate.SK?.S?.endsWith(`#${id}#`));
  if (item === undefined) throw new Error(`no checkpoint item for ${id}`);
  return item;
}
