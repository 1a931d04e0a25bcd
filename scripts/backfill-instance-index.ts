import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { backfillInstanceIndex } from '../orchestrator/src/aws/instance-index-backfill';
import { operatorTarget } from '../orchestrator/src/cli/operator-target';
import { resourceNames } from '../orchestrator/src/naming/resource-names';
import { applyCliEnvironment } from './cli-environment';

/**
 * `npx tsx scripts/backfill-instance-index.ts [--dry-run] [--local]`: gives the instance index keys to
 * status records written before the index existed, on the deployment named by CCH_ENV/CCH_OWNER (or the
 * local stack). Run once after the deploy that adds the indexes. Scans the table once.
 */
async function main(): Promise<number> {
  applyCliEnvironment();
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean', default: false }, local: { type: 'boolean', default: false } },
  });
  const target = operatorTarget(values.local, process.env);
  const table = resourceNames(target.stage).stateTable;
  const dynamodb = new DynamoDBClient(target.clients.dynamodb);
  try {
    const report = await backfillInstanceIndex(dynamodb, table, {
      dryRun: values['dry-run'],
      progress: (r) => process.stderr.write(`${table}: ${JSON.stringify(r)}\n`),
    });
    process.stdout.write(`${JSON.stringify({ table, dry_run: values['dry-run'], ...report })}\n`);
    return 0;
  } finally {
    dynamodb.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `backfill-instance-index: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
