import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { DynamoDBSaver } from '../checkpoint';
import type { Logger } from '../runtime/ports';
import { awsCall } from './aws-errors';
import { deleteInstanceItems, instanceKey } from './dynamodb-instance-store';

/*
 * Retention: a finished instance is removed whole, a live one never loses an item.
 *
 * An instance is its status record (`PK = INSTANCE#<id>`, `SK = STATUS`, see DynamoDbInstanceStore) plus
 * its checkpoint partition (`PK = THREAD#<id>`, see DynamoDBSaver). Only the status record of a finished
 * instance carries a TTL; checkpoint items carry none. When the record goes (DynamoDB TTL on AWS, the
 * LocalRetentionSweeper locally), this module deletes the partition.
 *
 * Invariants:
 * - Nothing is deleted while the instance's STATUS item exists. It is read with a consistent GetItem right
 *   before the partition is deleted: a late or repeated event, or one for an id a new START has taken
 *   since (an id can be taken again only once its record is gone), leaves the instance as it is.
 * - A purge is idempotent: deleting a partition that is already empty does nothing, so repeated stream
 *   records, retries and the sweeper's own retries are harmless.
 * - The partition is deleted checkpoint items first (DynamoDBSaver.deleteThread), so a reader at any
 *   moment sees fewer checkpoints, never a checkpoint with parts missing.
 * - Every removal of a STATUS item is purged, whoever made it. DynamoDB TTL is the normal case; an operator
 *   deleting a record is the other. A partition whose record is gone is unreachable (the runtime reads the
 *   record first and treats a missing one as no instance), and if it stayed, a START reusing the id would
 *   resume the old graph from it instead of starting afresh. Keeping "no STATUS item, no checkpoints" true
 *   after every removal is what makes an id safe to reuse.
 *
 * Known gap (detected, not prevented): a START that takes a gone instance's id in the few milliseconds
 * between the GetItem and the end of the delete can lose checkpoints it wrote meanwhile. The purge reads
 * the STATUS item again afterwards and logs that case as an error (outcome `reused`).
 */

/** How a STATUS item is keyed, so the stream filter and the purge agree with the instance store. */
export const STATUS_ITEM_KEYS = (() => {
  const { PK, SK } = instanceKey('');
  return { partitionKeyPrefix: PK.S, sortKey: SK.S } as const;
})();

/** `expired`: DynamoDB's TTL process removed the record; `deleted`: anyone else did. */
export type RemovalCause = 'expired' | 'deleted';

export type PurgeOutcome =
  /** The checkpoint partition is gone (or was already). */
  | { readonly kind: 'purged'; readonly instanceId: string }
  /** The STATUS item exists: the instance is live (or its id was taken again) and nothing was touched. */
  | { readonly kind: 'live'; readonly instanceId: string }
  /** The STATUS item appeared while the partition was being deleted: a START took the id meanwhile. */
  | { readonly kind: 'reused'; readonly instanceId: string };

export interface RetentionPurgerOptions {
  readonly client: DynamoDBClient;
  /** The workflow state table: status records and checkpoints. */
  readonly tableName: string;
  readonly logger: Logger;
}

/** Deletes the checkpoints of instances whose status record is gone. See the invariants above. */
export class RetentionPurger {
  private readonly checkpoints: DynamoDBSaver;

  constructor(private readonly options: RetentionPurgerOptions) {
    this.checkpoints = new DynamoDBSaver({ client: options.client, tableName: options.tableName });
  }

  /** Purges `instanceId` if, and only if, its STATUS item does not exist. Throws on DynamoDB failures. */
  async purgeInstance(instanceId: string, cause: RemovalCause): Promise<PurgeOutcome> {
    const log = this.options.logger.child({ instance_id: instanceId, removal: cause });
    if (await this.statusItemExists(instanceId)) {
      log.info({}, 'retention: status record present; instance kept');
      return { kind: 'live', instanceId };
    }
    await this.checkpoints.deleteThread(instanceId);
    await deleteInstanceItems(this.options.client, this.options.tableName, instanceId);
    if (await this.statusItemExists(instanceId)) {
      log.error(
        {},
        'retention: the instance id was started again while its old checkpoints were being purged; ' +
          'the new instance may have lost checkpoints (check its status)',
      );
      return { kind: 'reused', instanceId };
    }
    log.info({}, 'retention: instance purged');
    return { kind: 'purged', instanceId };
  }

  /** Purges the instance whose STATUS item a stream record removes; `undefined` for any other record. */
  async purgeStreamRecord(record: DynamoDBRecord): Promise<PurgeOutcome | undefined> {
    const removal = statusRemovalOf(record);
    if (removal === undefined) return undefined;
    return this.purgeInstance(removal.instanceId, removal.cause);
  }

  private async statusItemExists(instanceId: string): Promise<boolean> {
    const response = await awsCall('DYNAMODB', 'GetItem (status record)', () =>
      this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: instanceKey(instanceId),
          ConsistentRead: true,
          ProjectionExpression: 'PK',
        }),
      ),
    );
    return response.Item !== undefined;
  }
}

/**
 * The instance whose STATUS item a stream record removes, and who removed it; `undefined` when the record
 * is not such a removal. TTL deletions are made by the principal `dynamodb.amazonaws.com` of type
 * `Service` (the only deletions that carry a `userIdentity`).
 */
export function statusRemovalOf(
  record: DynamoDBRecord,
): { readonly instanceId: string; readonly cause: RemovalCause } | undefined {
  if (record.eventName !== 'REMOVE') return undefined;
  const pk = record.dynamodb?.Keys?.PK?.S;
  const sk = record.dynamodb?.Keys?.SK?.S;
  if (pk === undefined || sk !== STATUS_ITEM_KEYS.sortKey) return undefined;
  if (!pk.startsWith(STATUS_ITEM_KEYS.partitionKeyPrefix)) return undefined;
  const instanceId = pk.slice(STATUS_ITEM_KEYS.partitionKeyPrefix.length);
  if (instanceId === '') return undefined;
  const identity = record.userIdentity as { type?: unknown; principalId?: unknown } | undefined;
  const byTtl = identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com';
  return { instanceId, cause: byTtl ? 'expired' : 'deleted' };
}

/**
 * Purges a batch of stream records in order. At the first failure it stops and reports that record's
 * sequence number: Lambda retries the shard from there (records after it come again; purges are
 * idempotent), and after the event source's retries sends the batch to its on-failure destination.
 */
export async function purgeStreamBatch(
  purger: RetentionPurger,
  records: readonly DynamoDBRecord[],
  logger: Logger,
): Promise<DynamoDBBatchResponse> {
  for (const record of records) {
    try {
      await purger.purgeStreamRecord(record);
    } catch (error) {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      logger.error(
        {
          instance_id: statusRemovalOf(record)?.instanceId,
          sequence_number: sequenceNumber,
          err: error,
        },
        'retention: purge failed; the stream retries from this record',
      );
      // Without a sequence number nothing can be pointed at: fail the whole batch instead.
      if (sequenceNumber === undefined) throw error;
      return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}
