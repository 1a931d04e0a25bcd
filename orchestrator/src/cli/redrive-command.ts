import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { resourceNames } from '../naming/resource-names';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { validateDefinition } from '../definition/validate-definition';
import {
  isTerminal,
  statusView,
  type InstanceRecord,
  type StepFunctionsExecutionRef,
} from '../runtime/instance-record';
import { redriveRefusal } from '../runtime/redrive-plan';
import type { RedriveWorkflow } from '../runtime/messages';
import { UsageError, type CliIo } from './cli-io';
import { sendCommand } from './command-sender';
import { followInstance, followTimeoutMs } from './instance-follower';
import {
  openExecutionReader,
  openInstanceQueries,
  openInstanceStore,
  operatorTarget,
  type OperatorTarget,
} from './operator-target';

export const REDRIVE_USAGE =
  'usage: wf redrive <instance_id> [--reason TEXT] [--by NAME] [--wait] [--timeout SECONDS] [--json] [--local]';

const REDRIVE_HELP = `${REDRIVE_USAGE}

Re-runs a FAILED instance (one whose wait timed out included) from the step that failed, as Step
Functions' redrive does: sends REDRIVE_WORKFLOW to the orchestrator's command queue. The same instance id,
its history kept; the steps that completed are not run again (their capabilities get no second request);
the failed step runs again (an async_request with a fresh request id). The history records the redrive
with who, when and why. Fix the cause first (the capability, its data), then redrive.

  --reason    why (recorded in the history)
  --by        who (recorded in the history; default: your user name)
  --wait      follow the redriven run, printing each step, until it ends; exit 0 only if it SUCCEEDED
  --timeout   how long --wait follows, in seconds (default 600)
  --json      print one JSON object: { instance_id, redrive_id, from_step } of the redrive sent, or with
              --wait the final status record
  --local     the embedded stack of \`pnpm local\` (CCH_LOCAL_*_PORT), not CCH_ENV/CCH_OWNER's deployment

Refused (exit 1, nothing sent) when the instance is not FAILED, failed before its first step, ended at
a FAILED end node (no step failed), or is a Step Functions mode instance (an execution of a state
machine: redrive that with Step Functions' RedriveExecution, \`aws stepfunctions redrive-execution
--execution-arn <ARN>\`). In a parallel, at any depth of nesting, each branch that stopped resumes where
it stopped (the failed step, or the wait a sibling's failure stopped); completed branches and completed
steps do not run again. The orchestrator refuses, with a log line and the RedrivesRefused metric, a
branch failure of an instance that failed before this version recorded where its branches stopped, when
re-running that branch from its start would repeat a completed step.

examples:
  wf redrive shipment-SHP-7 --reason 'customs endpoint fixed' --wait
  wf redrive 3f1c0a2e-... --by oncall --local`;

/** The definition the instance runs (its pinned snapshot), or undefined when it cannot be read. */
async function pinnedDefinition(
  where: OperatorTarget,
  record: InstanceRecord,
): Promise<WorkflowDefinition | undefined> {
  const queries = openInstanceQueries(where);
  try {
    const text = await queries.port.pinnedDefinition(record.definition.sha256);
    return text === undefined ? undefined : validateDefinition(record.definition.key, text).definition;
  } finally {
    queries.close();
  }
}

/** `wf redrive`: see REDRIVE_HELP. */
export async function redriveCommand(
  args: readonly string[],
  io: CliIo,
  target: (local: boolean) => OperatorTarget = (local) => operatorTarget(local, process.env),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      reason: { type: 'string' },
      by: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(REDRIVE_HELP + '\n');
    return 0;
  }
  const [instanceId] = positionals;
  if (instanceId === undefined || positionals.length > 1) throw new UsageError(REDRIVE_USAGE);
  const timeoutMs = followTimeoutMs(values.timeout);
  const where = target(values.local);
  const names = resourceNames(where.stage);
  const { store, table, close } = openInstanceStore(where);
  try {
    const record = await store.load(instanceId);
    if (!record) {
      const execution = await stepFunctionsExecution(where, instanceId);
      if (execution) {
        io.err(
          `wf redrive: instance ${instanceId} is a Step Functions execution (${execution.execution_status}); redrive it with Step Functions' RedriveExecution, e.g. aws stepfunctions redrive-execution --execution-arn ${execution.execution_arn}; nothing sent\n`,
        );
        return 1;
      }
      io.err(`wf redrive: no instance ${instanceId} in ${table}\n`);
      return 1;
    }
    // The orchestrator asks the same (and then reads the checkpoint): what it would refuse is not sent.
    const refused = redriveRefusal(record) ?? redriveRefusal(record, await pinnedDefinition(where, record));
    if (refused !== undefined) {
      io.err(`wf redrive: instance ${instanceId} cannot be redriven: ${refused}; nothing sent\n`);
      return 1;
    }
    const redriveId = randomUUID();
    const message: RedriveWorkflow = {
      type: 'REDRIVE_WORKFLOW',
      instance_id: instanceId,
      redrive_id: redriveId,
      by: values.by ?? whoAmI(),
      ...(values.reason === undefined ? {} : { reason: values.reason }),
    };
    await sendCommand(where, message);
    const from = record.error?.node ?? null;
    if (!values.json) io.out(`redrive ${redriveId} of ${instanceId} sent (from step ${from ?? '?'})\n`);
    if (!values.wait) {
      // As wf start --json without --wait: a script gets what it sent, to follow or log it.
      if (values.json)
        io.out(JSON.stringify({ instance_id: instanceId, redrive_id: redriveId, from_step: from }) + '\n');
      return 0;
    }
    const applied = (r: NonNullable<typeof record>) => (r.redrives ?? []).some((x) => x.id === redriveId);
    const followed = await followInstance((id) => store.get(id), instanceId, {
      timeoutMs,
      until: (r) => applied(r) && isTerminal(r.status),
      ...(values.json ? {} : { out: (line: string) => io.out(line + '\n') }),
    });
    if (followed.kind !== 'done') {
      io.err(
        followed.record && applied(followed.record)
          ? `wf redrive: instance ${instanceId} still ${followed.record.status} after ${timeoutMs / 1000} s\n`
          : `wf redrive: the redrive was not applied within ${timeoutMs / 1000} s: refused (see the orchestrator's log line 'REDRIVE_WORKFLOW refused'), failing while applied (its log lines 'message failed'; after its retries it is in the command DLQ: wf dlq list), or no orchestrator consumes ${names.commandQueue}\n`,
      );
      return 1;
    }
    const view = statusView(followed.record);
    if (values.json) io.out(JSON.stringify(view) + '\n');
    else io.out(`${view.status}${view.error ? `: ${view.error.code}: ${view.error.message}` : ''}\n`);
    return view.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    close();
  }
}

/**
 * The Step Functions execution of that name, when the target reads Step Functions (an id the engine's
 * table does not hold): what `wf status` would show, read only to name it in the refusal.
 */
async function stepFunctionsExecution(
  where: OperatorTarget,
  instanceId: string,
): Promise<StepFunctionsExecutionRef | undefined> {
  const executions = openExecutionReader(where.stage, where.clients.sfn);
  if (!executions) return undefined;
  try {
    return (await executions.reader.instance(instanceId))?.step_functions;
  } finally {
    executions.close();
  }
}

function whoAmI(): string {
  try {
    return process.env.USER ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}
