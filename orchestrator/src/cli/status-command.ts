import { parseArgs } from 'node:util';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { DynamoDbInstanceStore } from '../aws/dynamodb-instance-store';
import { systemClock } from '../graph/engine-dependencies';
import { localClientConfig, localPortsFromEnv } from '../naming/local-endpoints';
import { resourceNames, type Stage } from '../naming/resource-names';
import { statusView } from '../runtime/instance-record';
import { UsageError, type CliIo } from './cli-io';
import { openExecutionReader, stepFunctionsClientConfig } from './operator-target';
import { awaitedBy } from './awaited-by';
import { errorLines } from './error-lines';
import { terminalSafe } from './terminal-safe';

export const STATUS_USAGE = 'usage: wf status <instance_id> [--json] [--local]';

export interface StatusTarget {
  readonly stage: Stage;
  readonly dynamodb: DynamoDBClientConfig;
  /** Where Step Functions mode's executions are read; absent: the engine's records only. */
  readonly sfn?: SFNClientConfig | undefined;
}

/**
 * Where `wf status` looks: the stack named by CCH_ENV/CCH_OWNER (AWS, or wherever AWS_ENDPOINT_URL_*
 * point), else, or with --local, the embedded stack on the ports `CCH_LOCAL_*_PORT` name (as `pnpm local`
 * printed them; default 4567, 9324, 4569).
 */
export function statusTarget(local: boolean, env: NodeJS.ProcessEnv): StatusTarget {
  const sfn = stepFunctionsClientConfig(local, env);
  if (!local && env.CCH_ENV && env.CCH_OWNER)
    return { stage: { env: env.CCH_ENV, owner: env.CCH_OWNER }, dynamodb: {}, sfn };
  return {
    stage: { env: 'local', owner: env.CCH_OWNER ?? 'dev' },
    dynamodb: localClientConfig(localPortsFromEnv(env)).dynamodb,
    sfn,
  };
}

/**
 * `wf status`: an instance's status record, as JSON (`--json`) or as a readable summary. The engine's
 * record when the state table has one, else, when the target reads Step Functions, the execution of that
 * name of one of the deployment's state machines (Step Functions mode), in the same shape plus
 * `engine: "stepfunctions"` and `step_functions` (see aws/sfn-execution-record.ts).
 */
export async function statusCommand(
  args: readonly string[],
  io: CliIo,
  target: (local: boolean) => StatusTarget = (local) => statusTarget(local, process.env),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { json: { type: 'boolean', default: false }, local: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [instanceId] = positionals;
  if (instanceId === undefined || positionals.length > 1) throw new UsageError(STATUS_USAGE);
  const { stage, dynamodb, sfn } = target(values.local);
  const client = new DynamoDBClient(dynamodb);
  const executions = openExecutionReader(stage, sfn);
  try {
    const store = new DynamoDbInstanceStore(client, resourceNames(stage).stateTable, systemClock);
    const record = (await store.get(instanceId)) ?? (await executions?.reader.instance(instanceId));
    if (!record) {
      const where = executions ? ' or among the Step Functions executions' : '';
      io.err(terminalSafe(`no instance ${instanceId} in ${resourceNames(stage).stateTable}${where}`) + '\n');
      return 1;
    }
    const view = statusView(record);
    if (values.json) {
      io.out(JSON.stringify(view) + '\n');
      return 0;
    }
    // Each line is one line of ours around values from outside (ids, a reply's error): shown inert.
    const line = (text: string) => io.out(terminalSafe(text) + '\n');
    line(`${view.instance_id}  ${view.workflow_id}  ${view.status}`);
    if (view.step_functions) line(`Step Functions execution ${view.step_functions.execution_arn}`);
    else line(`definition ${view.definition.key} (sha256 ${view.definition.sha256})`);
    for (const step of view.history) {
      const ms = Date.parse(step.ended_at) - Date.parse(step.started_at);
      line(`  ${step.status.padEnd(9)} ${step.node} (${ms} ms)`);
    }
    for (const wait of view.waits) {
      line(
        `  WAITING   ${wait.node}${awaitedBy(wait)} since ${wait.since}${wait.deadline ? `, until ${wait.deadline}` : ''}`,
      );
    }
    for (const text of view.error ? errorLines('error ', view.error) : []) line(text);
    return 0;
  } finally {
    client.destroy();
    executions?.close();
  }
}
