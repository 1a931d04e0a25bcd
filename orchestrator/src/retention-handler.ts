import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createPinoLogger } from './aws/pino-logger';
import { purgeStreamBatch, RetentionPurger, type PurgeOutcome } from './aws/retention-purger';
import { resourceNames } from './naming/resource-names';
import type { Logger } from './runtime/ports';

/**
 * An operator's request to purge instances by id, e.g. those named in the error logs of a batch that ended
 * in the retention DLQ (whose messages carry stream positions only, not ids):
 * `aws lambda invoke --function-name <retentionFunction> --payload '{"instance_ids":["..."]}' out.json`.
 * The same rule applies: an instance whose status record exists is left alone.
 */
export interface ManualPurgeEvent {
  readonly instance_ids: readonly string[];
}

/**
 * The retention Lambda, on the workflow state table's stream (filtered to removals of STATUS items; see
 * infra/src/retention-function.ts). Configuration: CCH_ENV and CCH_OWNER name the table (see
 * naming/resource-names.ts); AWS_REGION and the SDK's own AWS_ENDPOINT_URL_* variables do the rest.
 * Built once per container.
 */
let built: { readonly purger: RetentionPurger; readonly logger: Logger } | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse>;
export async function handler(event: ManualPurgeEvent): Promise<{ outcomes: PurgeOutcome[] }>;
export async function handler(
  event: DynamoDBStreamEvent | ManualPurgeEvent,
): Promise<DynamoDBBatchResponse | { outcomes: PurgeOutcome[] }> {
  built ??= build();
  const { purger, logger } = built;
  if ('Records' in event) return purgeStreamBatch(purger, event.Records, logger);
  const ids: unknown = (event as { instance_ids?: unknown }).instance_ids;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string' && id !== '')) {
    throw new Error('expected a DynamoDB stream event or { "instance_ids": ["<id>", ...] }');
  }
  const outcomes: PurgeOutcome[] = [];
  for (const instanceId of ids) outcomes.push(await purger.purgeInstance(instanceId, 'deleted'));
  return { outcomes };
}

function build() {
  const logger = createPinoLogger().child({ component: 'retention' });
  const tableName = resourceNames(stageFromEnv()).stateTable;
  return { purger: new RetentionPurger({ client: new DynamoDBClient({}), tableName, logger }), logger };
}

function stageFromEnv() {
  const env = process.env.CCH_ENV;
  const owner = process.env.CCH_OWNER;
  if (!env || !owner) throw new Error('CCH_ENV and CCH_OWNER must be set (they name the state table)');
  return { env, owner };
}
