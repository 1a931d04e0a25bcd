import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbInstanceIndex } from './aws/dynamodb-instance-index';
import { MixedInstanceIndex } from './aws/mixed-instance-index';
import { SfnExecutionReader } from './aws/sfn-execution-reader';
import { deployedStateMachines } from './aws/sfn-state-machines';
import { createPinoLogger } from './aws/pino-logger';
import { resourceNames } from './naming/resource-names';
import { runStuckCheck, stuckCheckEmf, type StuckCheckResult } from './operations/stuck-check';
import { DEFAULT_STUCK_AFTER_MS } from './operations/stuck-instances';

/**
 * The scheduled stuck check (infra/src/stuck-check-function.ts runs it every few minutes): counts overdue
 * waits and stuck instances (operations/stuck-check.ts) and publishes them as EMF gauges, which the
 * `waits-overdue` and `instances-stuck` alarms watch. Logs one line per stuck instance with its reasons.
 *
 * Configuration: CCH_ENV and CCH_OWNER name the table; CCH_STUCK_AFTER_SECONDS (default 15 minutes) is how
 * long an instance may show no sign of life, or a wait stay open past its deadline, before it counts.
 * CCH_STEP_FUNCTIONS=on (set by the stack when it deploys Step Functions mode) judges the RUNNING
 * executions of the deployment's state machines too, as `wf list --stuck` does, so a stuck instance of
 * either mode raises the same alarms; unset, only the engine's instances are read.
 * Lambda's remaining time bounds a run: a run that could not see every live instance says so in its log,
 * and publishes what it counted (a lower bound).
 */
export async function handler(
  _event: unknown,
  context?: { getRemainingTimeInMillis?: () => number },
): Promise<Omit<StuckCheckResult, 'stuck'>> {
  const env = process.env.CCH_ENV;
  const owner = process.env.CCH_OWNER;
  if (!env || !owner) throw new Error('CCH_ENV and CCH_OWNER must be set (they name the state table)');
  const names = resourceNames({ env, owner });
  const stuckAfterSeconds = Number(process.env.CCH_STUCK_AFTER_SECONDS ?? DEFAULT_STUCK_AFTER_MS / 1000);
  if (!Number.isFinite(stuckAfterSeconds) || stuckAfterSeconds <= 0) {
    throw new Error(
      `CCH_STUCK_AFTER_SECONDS=${process.env.CCH_STUCK_AFTER_SECONDS} is not a number of seconds`,
    );
  }
  const log = createPinoLogger().child({ component: 'stuck-check' });
  const dynamodb = new DynamoDBClient({});
  const s3 = new S3Client({});
  const sfn = process.env.CCH_STEP_FUNCTIONS === 'on' ? new SFNClient({}) : undefined;
  try {
    const engine = new DynamoDbInstanceIndex(dynamodb, names.stateTable, s3, names.definitionsBucket);
    const port = sfn
      ? new MixedInstanceIndex(
          engine,
          new SfnExecutionReader(sfn, () => deployedStateMachines(sfn, { env, owner })),
        )
      : engine;
    const remaining = context?.getRemainingTimeInMillis?.();
    const now = new Date();
    const result = await runStuckCheck(port, {
      now,
      stuckAfterMs: stuckAfterSeconds * 1000,
      // Leaves ten seconds of the invocation to publish what was counted.
      ...(remaining === undefined ? {} : { budgetMs: Math.max(0, remaining - 10_000) }),
    });
    for (const row of result.stuck) {
      log.warn(
        { instance_id: row.instance_id, workflow_id: row.workflow_id, status: row.status, stuck: row.stuck },
        'instance stuck',
      );
    }
    const { waitsOverdue, instancesStuck, complete } = result;
    log.info({ waits_overdue: waitsOverdue, instances_stuck: instancesStuck, complete }, 'stuck check done');
    process.stdout.write(
      stuckCheckEmf(result, names.metricsNamespace, names.metricDimensions, now.getTime()) + '\n',
    );
    return { waitsOverdue, instancesStuck, complete };
  } finally {
    dynamodb.destroy();
    s3.destroy();
    sfn?.destroy();
  }
}
