import { parseArgs } from 'node:util';
import { isTerminal, type InstanceRecord } from '../runtime/instance-record';
import type { CancelWorkflow } from '../runtime/messages';
import { UsageError, type CliIo } from './cli-io';
import { sendCommand } from './command-sender';
import { followInstance, followTimeoutMs } from './instance-follower';
import {
  openExecutionReader,
  openInstanceStore,
  operatorTarget,
  type OperatorTarget,
} from './operator-target';

export const CANCEL_USAGE =
  'usage: wf cancel <instance_id> [--reason TEXT] [--wait] [--timeout SECONDS] [--local]';

const CANCEL_HELP = `${CANCEL_USAGE}

Cancels a RUNNING or WAITING instance: sends CANCEL_WORKFLOW to the orchestrator's command queue. The
instance ends CANCELLED (an instance of Step Functions mode: its execution is stopped, ABORTED); each capability whose request it was awaiting gets an ASYNC_CANCELLED notice on
its request queue, and their late replies are acknowledged as stale.

  --reason    why (recorded as the instance's error message and sent in the notices)
  --wait      wait until the instance is CANCELLED; exit 0 only then
  --timeout   how long --wait waits, in seconds (default 120)
  --local     the embedded stack of \`pnpm local\` (CCH_LOCAL_*_PORT), not CCH_ENV/CCH_OWNER's deployment

An instance that has already ended is not changed: exit 0 if it is CANCELLED, else 1, nothing sent.

examples:
  wf cancel shipment-SHP-7 --reason 'shipment withdrawn by the customer' --wait
  wf cancel 3f1c0a2e-... --local`;

/** `wf cancel`: see CANCEL_HELP. */
export async function cancelCommand(
  args: readonly string[],
  io: CliIo,
  target: (local: boolean) => OperatorTarget = (local) => operatorTarget(local, process.env),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(CANCEL_HELP + '\n');
    return 0;
  }
  const [instanceId] = positionals;
  if (instanceId === undefined || positionals.length > 1) throw new UsageError(CANCEL_USAGE);
  const timeoutMs = followTimeoutMs(values.timeout);
  const where = target(values.local);
  const { store, table, close } = openInstanceStore(where);
  try {
    const record = await store.load(instanceId);
    if (record) return await cancelAndFollow(record, (id) => store.get(id));
    // Not the engine's: a Step Functions execution of that name, cancelled the same way (the command
    // queue's CANCEL_WORKFLOW becomes its StopExecution) and followed through Step Functions.
    const executions = openExecutionReader(where.stage, where.clients.sfn);
    try {
      const execution = await executions?.reader.instance(instanceId);
      if (execution && executions) {
        return await cancelAndFollow(execution, (id) => executions.reader.instance(id));
      }
    } finally {
      executions?.close();
    }
    io.err(`wf cancel: no instance ${instanceId} in ${table}\n`);
    return 1;
  } finally {
    close();
  }

  async function cancelAndFollow(
    record: InstanceRecord,
    read: (id: string) => Promise<InstanceRecord | undefined>,
  ): Promise<number> {
    if (isTerminal(record.status)) {
      io.err(`wf cancel: instance ${record.instance_id} has already ended ${record.status}: nothing sent\n`);
      return record.status === 'CANCELLED' ? 0 : 1;
    }
    const message: CancelWorkflow = {
      type: 'CANCEL_WORKFLOW',
      instance_id: record.instance_id,
      ...(values.reason === undefined ? {} : { reason: values.reason }),
    };
    await sendCommand(where, message);
    io.out(`cancel of ${record.instance_id} sent\n`);
    if (!values.wait) return 0;
    const followed = await followInstance(read, record.instance_id, { timeoutMs });
    if (followed.kind !== 'done') {
      io.err(
        `wf cancel: instance ${record.instance_id} still ${followed.record?.status ?? 'unknown'} after ${timeoutMs / 1000} s\n`,
      );
      return 1;
    }
    io.out(`${followed.record.status}\n`);
    return followed.record.status === 'CANCELLED' ? 0 : 1;
  }
}
