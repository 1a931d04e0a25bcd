import {
  DeleteItemCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { instanceKey } from '../../orchestrator/src/aws/dynamodb-instance-store';
import { RetentionPurger, STATUS_ITEM_KEYS } from '../../orchestrator/src/aws/retention-purger';
import { systemClock, type Clock } from '../../orchestrator/src/graph/engine-dependencies';
import type { Logger } from '../../orchestrator/src/runtime/ports';

export interface LocalRetentionSweeperOptions {
  readonly client: DynamoDBClient;
  /** The workflow state table. */
  readonly tableName: string;
  readonly logger: Logger;
  /** The table's TTL attribute (epoch seconds), as the CDK stack enables it. @default `ttl` */
  readonly ttlAttribute?: string;
  /** Time between the end of one sweep and the start of the next. @default 60 seconds */
  readonly intervalMs?: number;
  readonly clock?: Clock;
}

/** What one sweep did. */
export interface SweepResult {
  /** Instances whose expired status record this sweep deleted. */
  readonly expired: readonly string[];
  /** Instances whose checkpoints were purged (expired now, or left over from a failed purge). */
  readonly purged: readonly string[];
  /** Instances whose purge failed; the next sweep tries them again. */
  readonly failed: readonly string[];
}

/**
 * What DynamoDB TTL and the retention stream consumer do on AWS, for the local stack, whose dynalite has
 * neither: every interval, find the STATUS items whose `ttl` has passed, delete each, then purge that
 * instance's checkpoints with the same RetentionPurger the Lambda runs.
 *
 * - A record is deleted only if its `ttl` is still the one the scan saw (a condition on the delete), as TTL
 *   deletes only items still expired: one rewritten meanwhile is left for a later sweep to judge.
 * - Only Number `ttl`s count, as for DynamoDB TTL (a string `ttl` never expires).
 * - A purge that fails after its record is gone is retried by every later sweep until it succeeds (the
 *   Lambda's stream retries); being in memory, that list does not survive a restart of the local stack.
 * - Sweeps never overlap: the next is scheduled when one ends.
 * - A Scan with a filter reads the whole table every sweep: fine for the local stack, not for AWS.
 */
export class LocalRetentionSweeper {
  private readonly purger: RetentionPurger;
  private readonly ttlAttribute: string;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  /** Records already deleted whose checkpoints are still to purge. */
  private readonly pendingPurges = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Bumped by `start` and `stop`: a sweep of an older generation schedules no successor. */
  private generation = 0;
  private started = false;

  constructor(private readonly options: LocalRetentionSweeperOptions) {
    this.purger = new RetentionPurger({
      client: options.client,
      tableName: options.tableName,
      logger: options.logger,
    });
    this.ttlAttribute = options.ttlAttribute ?? 'ttl';
    this.intervalMs = options.intervalMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Sweeps now, then every interval until `stop()`. A failed sweep is logged and the next one runs. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.generation += 1;
    this.schedule(0, this.generation);
  }

  /** Stops sweeping; resolves once a sweep in progress has ended. */
  async stop(): Promise<void> {
    this.started = false;
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep: retry earlier failed purges, then expire and purge every instance whose `ttl` has passed. */
  async sweep(): Promise<SweepResult> {
    const expired: string[] = [];
    const purged: string[] = [];
    const failed: string[] = [];
    const purge = async (instanceId: string) => {
      try {
        const outcome = await this.purger.purgeInstance(instanceId, 'expired');
        this.pendingPurges.delete(instanceId);
        if (outcome.kind === 'purged') purged.push(instanceId);
      } catch (error) {
        this.pendingPurges.add(instanceId);
        failed.push(instanceId);
        this.options.logger.error(
          { instance_id: instanceId, err: error },
          'retention: purge failed; the next sweep retries it',
        );
      }
    };
    for (const instanceId of [...this.pendingPurges]) await purge(instanceId);
    const now = Math.floor(this.clock.now().getTime() / 1000);
    for await (const { instanceId, ttl } of this.expiredRecords(now)) {
      if (!(await this.deleteIfUnchanged(instanceId, ttl))) continue;
      expired.push(instanceId);
      await purge(instanceId);
    }
    return { expired, purged, failed };
  }

  private schedule(delayMs: number, generation: number): void {
    this.timer = setTimeout(() => {
      const sweep = this.sweep().catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'retention: sweep failed; the next one retries');
      });
      this.running = sweep;
      void sweep.then(() => {
        if (generation === this.generation) this.schedule(this.intervalMs, generation);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** STATUS items whose Number `ttl` is at or before `now` (epoch seconds). */
  private async *expiredRecords(now: number): AsyncGenerator<{ instanceId: string; ttl: AttributeValue }> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new ScanCommand({
          TableName: this.options.tableName,
          FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :sk AND #ttl <= :now',
          ProjectionExpression: '#pk, #ttl',
          ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK', '#ttl': this.ttlAttribute },
          ExpressionAttributeValues: {
            ':prefix': { S: STATUS_ITEM_KEYS.partitionKeyPrefix },
            ':sk': { S: STATUS_ITEM_KEYS.sortKey },
            ':now': { N: String(now) },
          },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item.PK?.S;
        const ttl = item[this.ttlAttribute];
        if (pk === undefined || ttl === undefined) continue;
        yield { instanceId: pk.slice(STATUS_ITEM_KEYS.partitionKeyPrefix.length), ttl };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Deletes the STATUS item if its `ttl` is still `ttl`; `false` when it changed or is gone. */
  private async deleteIfUnchanged(instanceId: string, ttl: AttributeValue): Promise<boolean> {
    try {
      await this.options.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: instanceKey(instanceId),
          ConditionExpression: '#ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': this.ttlAttribute },
          ExpressionAttributeValues: { ':ttl': ttl },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
