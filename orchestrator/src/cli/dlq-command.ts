import { parseArgs } from 'node:util';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { localClientConfig, localPortsFromEnv } from '../naming/local-endpoints';
import { resourceNames, type Stage } from '../naming/resource-names';
import {
  DeadLetters,
  type DeadLetteredMessage,
  type RedriveReport,
  type RedriveSelection,
} from '../operations/dead-letters';
import { UsageError, type CliIo } from './cli-io';

export const DLQ_USAGE =
  'usage: wf dlq list|redrive [--queue command|reply|<domain>] [--limit N] [--message-id ID ... | --all] [--json] [--local]';

const DLQ_HELP = `usage: wf dlq list [--queue command|reply|<domain>] [--limit N] [--json] [--local]
       wf dlq redrive [--queue command|reply|<domain>] (--message-id ID ... | --all) [--json] [--local]

Dead-lettered messages of the command queue, the reply queue and each capability domain's request queue
(all of them unless --queue names one), with the reason each was dead-lettered.
  list      shows them; nothing is consumed (each is made visible again at once)
  redrive   sends the chosen ones back to the queue they came from, without their dead-letter reason and
            deferral counters, then deletes them from the DLQ (exit 1 when one was not found or not moved)

examples:
  wf dlq list --local
  wf dlq list --queue reply --json
  wf dlq redrive --queue command --message-id 3f1c... --message-id 9ab0...
  wf dlq redrive --queue import --all`;

export interface DlqTarget {
  readonly stage: Stage;
  readonly sqs: SQSClientConfig;
  readonly s3: S3ClientConfig;
}

/**
 * Where `wf dlq` looks: the deployment named by CCH_ENV/CCH_OWNER (AWS credentials and endpoints from the
 * usual chain), else, or with --local, the embedded stack on the ports `pnpm local` printed
 * (CCH_LOCAL_SQS_PORT, CCH_LOCAL_S3_PORT).
 */
export function dlqTarget(local: boolean, env: NodeJS.ProcessEnv): DlqTarget {
  if (!local && env.CCH_ENV && env.CCH_OWNER) {
    return { stage: { env: env.CCH_ENV, owner: env.CCH_OWNER }, sqs: {}, s3: {} };
  }
  const clients = localClientConfig(localPortsFromEnv(env));
  return { stage: { env: 'local', owner: env.CCH_OWNER || 'dev' }, sqs: clients.sqs, s3: clients.s3 };
}

/** `wf dlq list|redrive`: parses, calls DeadLetters, prints. */
export async function dlqCommand(
  args: readonly string[],
  io: CliIo,
  target: (local: boolean) => DlqTarget = (local) => dlqTarget(local, process.env),
): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === 'help') {
    io.out(DLQ_HELP + '\n');
    return 0;
  }
  if (action !== 'list' && action !== 'redrive') {
    throw new UsageError(action === undefined ? 'missing list or redrive' : `unknown action '${action}'`);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      queue: { type: 'string' },
      'message-id': { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(DLQ_HELP + '\n');
    return 0;
  }
  const { stage, sqs: sqsConfig, s3: s3Config } = target(values.local);
  const names = resourceNames(stage);
  const sqs = new SQSClient(sqsConfig);
  const s3 = new S3Client(s3Config);
  const deadLetters = new DeadLetters({
    sqs,
    stage,
    claimCheck: new SqsClaimCheck({ s3, bucket: names.eventDataBucket, prefix: names.sqsPayloadPrefix }),
  });
  try {
    if (action === 'list') {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      if (values.all || values['message-id']) throw new UsageError('--all and --message-id are for redrive');
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit ${values.limit} is not a count`);
      const messages = await deadLetters.list(values.queue, { limit });
      if (values.json) io.out(JSON.stringify(messages) + '\n');
      else io.out(listText(messages, values.queue));
      return 0;
    }
    if (values.limit !== undefined) throw new UsageError('--limit is for list');
    // Ids may follow --message-id once each or come as plain arguments after it.
    const ids = [...(values['message-id'] ?? []), ...positionals];
    if (values.all === ids.length > 0) {
      throw new UsageError('redrive needs either --message-id ID ... or --all (not both)');
    }
    if (positionals.length > 0 && !values['message-id']) {
      throw new UsageError(`unexpected argument '${positionals[0]}' (message ids follow --message-id)`);
    }
    const selection: RedriveSelection = values.all ? { all: true } : { messageIds: ids };
    const report = await deadLetters.redrive(values.queue, selection);
    if (values.json) io.out(JSON.stringify(report) + '\n');
    else io.out(redriveText(report));
    return report.failed.length === 0 && report.notFound.length === 0 ? 0 : 1;
  } finally {
    sqs.destroy();
    s3.destroy();
  }
}

function listText(messages: readonly DeadLetteredMessage[], queue: string | undefined): string {
  if (messages.length === 0) return `no dead-lettered messages${queue ? ` in the ${queue} DLQ` : ''}\n`;
  const lines = messages.map((m) => {
    const what = [
      m.type ?? (m.offloaded ? '(offloaded body)' : '(not a message of ours)'),
      m.instanceId ? `instance ${m.instanceId}` : '',
      m.requestId ? `request ${m.requestId}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return [
      `${m.queue}  ${m.messageId}  ${m.deadLetteredAt ?? ''}`.trimEnd(),
      `  ${what}`,
      `  reason: ${m.reason ?? "none recorded (moved by the queue's redrive policy)"}`,
    ].join('\n');
  });
  return `${lines.join('\n')}\n${messages.length} message${messages.length === 1 ? '' : 's'}\n`;
}

function redriveText(report: RedriveReport): string {
  const lines = [
    ...report.redriven.map(
      (r) => `redriven  ${r.queue}  ${r.messageId} -> ${r.sourceQueue} (now ${r.newMessageId})`,
    ),
    ...report.failed.map((f) => `failed    ${f.queue}  ${f.messageId}: ${f.error}`),
    ...report.notFound.map((id) => `not found ${id}`),
  ];
  lines.push(
    `${report.redriven.length} redriven, ${report.failed.length} failed, ${report.notFound.length} not found`,
  );
  return lines.join('\n') + '\n';
}
