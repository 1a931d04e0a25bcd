import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { createStateTable } from '../../src/aws/create-state-table';
import { DynamoDbInstanceIndex } from '../../src/aws/dynamodb-instance-index';
import { DynamoDbInstanceStore } from '../../src/aws/dynamodb-instance-store';
import type { InstanceRecord } from '../../src/runtime/instance-record';
import { FakeClock } from '../../src/runtime/memory/fake-clock';

/**
 * The embedded AWS with a state table created as the local stack creates it (instance indexes included),
 * the query adapter over it, and a record of every DynamoDB command sent (to prove there is no Scan).
 */
export interface IndexedTable {
  readonly aws: EmbeddedAws;
  readonly dynamodb: DynamoDBClient;
  readonly table: string;
  readonly port: DynamoDbInstanceIndex;
  readonly commands: string[];
  store(clock?: FakeClock): DynamoDbInstanceStore;
  stop(): Promise<void>;
}

export async function startIndexedTable(table = 'cch-test-state-table'): Promise<IndexedTable> {
  const aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  const s3 = new S3Client(aws.clientConfig.s3);
  const commands: string[] = [];
  dynamodb.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandNames' },
  );
  await createStateTable(dynamodb, table, { ttlAttributeName: 'ttl' });
  return {
    aws,
    dynamodb,
    table,
    port: new DynamoDbInstanceIndex(dynamodb, table, s3, 'no-such-bucket'),
    commands,
    store: (clock = new FakeClock()) => new DynamoDbInstanceStore(dynamodb, table, clock),
    async stop() {
      dynamodb.destroy();
      s3.destroy();
      await aws.stop();
    },
  };
}

/** A status record as the runtime writes one; `created_at` is the index's time. */
export function statusRecord(
  instanceId: string,
  overrides: Partial<InstanceRecord> & { created_at: string },
): InstanceRecord {
  return {
    instance_id: instanceId,
    workflow_id: 'import_vn_memphis_v1',
    status: 'RUNNING',
    context: { shipmentId: 'SHP-1' },
    waits: [],
    history: [],
    definition: { key: 'import_vn_memphis_v1.yaml', sha256: 'a'.repeat(64) },
    error: null,
    start_context: {},
    dispatched: [],
    cancelled_requests: [],
    resolved: {},
    updated_at: overrides.created_at,
    version: 1,
    ...overrides,
  };
}

const LEASE = { instance_id: '', token: 'test', expires_at: 0 };

/** Commits each record through the store (the index attributes come with it), `concurrency` at a time. */
export async function saveAll(
  store: DynamoDbInstanceStore,
  records: readonly InstanceRecord[],
  concurrency = 16,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < records.length) {
        const record = records[next++] as InstanceRecord;
        await store.save(record, { ...LEASE, instance_id: record.instance_id });
      }
    }),
  );
}
