import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDbInstanceStore } from '../aws/dynamodb-instance-store';
import { S3DefinitionCatalog } from '../aws/s3-definition-catalog';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { systemClock } from '../graph/engine-dependencies';
import { DynamoDbInstanceIndex } from '../aws/dynamodb-instance-index';
import { localClientConfig, localPortsFromEnv } from '../naming/local-endpoints';
import { resourceNames, type Stage } from '../naming/resource-names';
import { DeadLetters } from '../operations/dead-letters';
import type { DefinitionFilesPort, InstanceQueryPort } from '../operations/operations-ports';

/** Which stack an operator command reads, and the SDK settings that reach it. */
export interface OperatorTarget {
  readonly stage: Stage;
  readonly clients: {
    readonly dynamodb: DynamoDBClientConfig;
    readonly sqs: SQSClientConfig;
    readonly s3: S3ClientConfig;
  };
}

/**
 * As `wf status` decides: the deployment named by CCH_ENV/CCH_OWNER (credentials, region and any
 * AWS_ENDPOINT_URL_* from the SDK's usual chain), else, or with `--local`, the embedded stack (`pnpm
 * local`) on the ports in CCH_LOCAL_*_PORT (default 4567, 9324, 4569). A port that is set but malformed
 * is refused, never replaced by the default.
 */
export function operatorTarget(local: boolean, env: NodeJS.ProcessEnv): OperatorTarget {
  if (!local && env.CCH_ENV && env.CCH_OWNER) {
    return { stage: { env: env.CCH_ENV, owner: env.CCH_OWNER }, clients: { dynamodb: {}, sqs: {}, s3: {} } };
  }
  return {
    stage: { env: 'local', owner: env.CCH_OWNER ?? 'dev' },
    clients: localClientConfig(localPortsFromEnv(env)),
  };
}

/** The operator queries' storage for a target (clients only: nothing is called until a query runs). */
export function openInstanceQueries(target: OperatorTarget): {
  readonly port: InstanceQueryPort;
  readonly table: string;
  close(): void;
} {
  const names = resourceNames(target.stage);
  const dynamodb = new DynamoDBClient(target.clients.dynamodb);
  const s3 = new S3Client(target.clients.s3);
  return {
    port: new DynamoDbInstanceIndex(dynamodb, names.stateTable, s3, names.definitionsBucket),
    table: names.stateTable,
    close() {
      dynamodb.destroy();
      s3.destroy();
    },
  };
}

/** The definitions bucket of a target, as the definitions catalog reads it (clients only, as above). */
export function openDefinitionFiles(target: OperatorTarget): {
  readonly files: DefinitionFilesPort;
  close(): void;
} {
  const s3 = new S3Client(target.clients.s3);
  return {
    files: new S3DefinitionCatalog(s3, resourceNames(target.stage).definitionsBucket),
    close: () => s3.destroy(),
  };
}

/** The status records of a target, as the commands that act on one instance read them (clients only). */
export function openInstanceStore(target: OperatorTarget): {
  readonly store: DynamoDbInstanceStore;
  readonly table: string;
  readonly close: () => void;
} {
  const table = resourceNames(target.stage).stateTable;
  const dynamodb = new DynamoDBClient(target.clients.dynamodb);
  return {
    store: new DynamoDbInstanceStore(dynamodb, table, systemClock),
    table,
    close: () => dynamodb.destroy(),
  };
}

/** The dead-letter queues of a target, as `wf dlq` reads them (clients only, as above). */
export function openDeadLetters(target: OperatorTarget): {
  list: DeadLetters['list'];
  close(): void;
} {
  const names = resourceNames(target.stage);
  const sqs = new SQSClient(target.clients.sqs);
  const s3 = new S3Client(target.clients.s3);
  const deadLetters = new DeadLetters({
    sqs,
    stage: target.stage,
    claimCheck: new SqsClaimCheck({ s3, bucket: names.eventDataBucket, prefix: names.sqsPayloadPrefix }),
  });
  return {
    list: (selector, options) => deadLetters.list(selector, options),
    close() {
      sqs.destroy();
      s3.destroy();
    },
  };
}
