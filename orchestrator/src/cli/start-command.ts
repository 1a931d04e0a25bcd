import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { translateAwsError } from '../aws/aws-errors';
import { formatDiagnostic } from '../definition/diagnostic';
import { missingContextKeys } from '../graph/child-outcome';
import { validateDefinition } from '../definition/validate-definition';
import { WORKFLOW_ID_PATTERN, type WorkflowDefinition } from '../definition/workflow-schema';
import { resourceNames } from '../naming/resource-names';
import { statusView } from '../runtime/instance-record';
import { instanceIdSchema, type StartWorkflow } from '../runtime/messages';
import { startConflicts } from '../runtime/start-conflicts';
import {
  childDefinitions,
  invalidChildDiagnostics,
  readIfPresent,
  type FoundChildDefinition,
} from './child-definitions';
import { contextOption, readUserFile, UsageError, type CliIo } from './cli-io';
import { sendCommand } from './command-sender';
import { fileNameWarning } from './file-name-warning';
import { followInstance, followTimeoutMs } from './instance-follower';
import { errorLines } from './error-lines';
import { terminalSafe } from './terminal-safe';
import { openInstanceStore, operatorTarget, type OperatorTarget } from './operator-target';

export const START_USAGE =
  'usage: wf start <file.yaml|workflow_id> [--context JSON|@file] [--instance-id ID] [--wait] [--timeout SECONDS] [--json] [--local]';

const START_HELP = `${START_USAGE}

Starts an instance: sends START_WORKFLOW to the orchestrator's command queue and prints the instance id.
Given a file, it is validated and uploaded to the definitions bucket first (under its file name), as
run-test does, with the definitions its sub_workflows and maps start that sit beside it (as wf run
loads them); given a workflow_id, the definition <workflow_id>.yaml already in the bucket is used.

  --context       the start context, JSON or @file (default {}); the definition's initial_context keys
                  must be in it
  --instance-id   the instance id (default: a new UUID). If an instance with that id exists, the same
                  START (same workflow, definition and context) sends nothing; another one is a conflict:
                  exit 1, nothing sent
  --wait          follow the instance, printing each step, until it ends; exit 0 only if it SUCCEEDED
  --timeout       how long --wait follows, in seconds (default 600)
  --json          print one JSON object: the instance id, or with --wait the final status record
  --local         the embedded stack of \`pnpm local\` (CCH_LOCAL_*_PORT), not CCH_ENV/CCH_OWNER's deployment

examples:
  wf start workflow-definitions/import_vn_memphis_v1.yaml --context '{"shipmentId":"SHP-1","originCountry":"VN","destinationCountry":"US"}' --wait
  wf start fanout_a_b_c_v1 --context @shipment.json --instance-id shipment-SHP-7 --local
  id=$(wf start export_screening_v1 --context @ctx.json)`;

/** What `wf start` needs beyond the AWS SDK (scripts/wf.ts injects the local stack's part). */
export interface StartServices {
  /**
   * Creates the request queues a definition's capability domains need on the embedded stack (its
   * watcher would, seconds later: a START can outrun it); returns the queues created.
   */
  readonly provisionCapabilityQueues?: (
    target: OperatorTarget,
    definitionText: string,
  ) => Promise<readonly string[]>;
}

/** `wf start`: see START_HELP. */
export async function startCommand(
  args: readonly string[],
  io: CliIo,
  services: StartServices = {},
  target: (local: boolean) => OperatorTarget = (local) => operatorTarget(local, process.env),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      context: { type: 'string' },
      'instance-id': { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(START_HELP + '\n');
    return 0;
  }
  const [subject] = positionals;
  if (subject === undefined || positionals.length > 1) throw new UsageError(START_USAGE);
  const timeoutMs = followTimeoutMs(values.timeout);
  const instanceId = values['instance-id'] ?? randomUUID();
  if (!instanceIdSchema.safeParse(instanceId).success) {
    throw new UsageError(`--instance-id '${instanceId}' must be 1-128 letters, digits, _, ., : or -`);
  }
  const context = await readContext(io, values.context);
  const where = target(values.local);
  const names = resourceNames(where.stage);

  const file = isFile(io, subject);
  let key: string;
  let text: string;
  if (file) {
    key = basename(subject);
    text = (await readUserFile(io, subject)).text;
  } else {
    if (!WORKFLOW_ID_PATTERN.test(subject)) {
      throw new UsageError(`'${subject}' is neither a definition file nor a workflow_id`);
    }
    key = `${subject}.yaml`;
    const stored = await readDefinition(where, names.definitionsBucket, key);
    if (stored === undefined) {
      io.err(
        `wf start: no definition ${key} in ${names.definitionsBucket}: give the definition file to upload it\n`,
      );
      return 1;
    }
    text = stored;
  }
  const definition = checked(io, file ? subject : key, text, context);
  if (!definition) return 1;
  const misnamed = file ? fileNameWarning(subject, text, definition.workflow_id) : undefined;
  if (misnamed) io.err(terminalSafe(formatDiagnostic(misnamed)) + '\n');
  const children = file ? childDefinitions(dirname(resolve(io.cwd, subject)), definition, readIfPresent) : [];
  if (!childrenValid(io, dirname(subject), children)) return 1;
  const start: StartWorkflow = {
    type: 'START_WORKFLOW',
    workflow_id: definition.workflow_id,
    definition_key: key,
    instance_id: instanceId,
    context,
  };

  const { store, close } = openInstanceStore(where);
  try {
    // The runtime would acknowledge a conflicting START and log it; refusing here tells the caller at once.
    const conflict = (record: NonNullable<Awaited<ReturnType<typeof store.load>>>) => {
      const differs = startConflicts(record, start);
      return differs.length === 0
        ? undefined
        : `instance ${instanceId} exists with another ${differs.join(', ')} (workflow ${record.workflow_id}, definition ${record.definition.key}, ${record.status}): not started (conflict)`;
    };
    const existing = await store.load(instanceId);
    if (existing) {
      const reason = conflict(existing);
      if (reason !== undefined) {
        io.err(`wf start: ${reason}\n`);
        return 1;
      }
      io.err(`instance ${instanceId} exists already (${existing.status}): the same START, nothing sent\n`);
    } else {
      if (file) {
        for (const definitionText of [text, ...children.map((c) => c.text)]) {
          for (const queue of (await services.provisionCapabilityQueues?.(where, definitionText)) ?? []) {
            io.err(`request queue ${queue} created for a new capability domain\n`);
          }
        }
        // Children first: the START may run before the last upload otherwise.
        for (const child of children) {
          await upload(where, names.definitionsBucket, child.key, child.text);
          io.err(`definition ${child.key} uploaded (started by ${key})\n`);
        }
        await upload(where, names.definitionsBucket, key, text);
      }
      await sendCommand(where, start);
    }
    if (!values.json) io.out(`${instanceId}\n`);
    if (!values.wait) {
      if (values.json)
        io.out(
          JSON.stringify({ instance_id: instanceId, workflow_id: start.workflow_id, definition_key: key }) +
            '\n',
        );
      return 0;
    }
    const followed = await followInstance((id) => store.get(id), instanceId, {
      timeoutMs,
      // Another START may have taken the id between the check and the send: its record says so.
      reject: conflict,
      ...(values.json ? {} : { out: (line: string) => io.out(line + '\n') }),
    });
    if (followed.kind === 'rejected') {
      io.err(`wf start: ${followed.reason}\n`);
      return 1;
    }
    if (followed.kind === 'timed-out') {
      io.err(
        followed.record
          ? `wf start: instance ${instanceId} still ${followed.record.status} after ${timeoutMs / 1000} s\n`
          : `wf start: instance ${instanceId} not started within ${timeoutMs / 1000} s: is an orchestrator consuming ${names.commandQueue}? (wf dlq list --queue command)\n`,
      );
      return 1;
    }
    const view = statusView(followed.record);
    if (values.json) io.out(JSON.stringify(view) + '\n');
    else {
      const outcome = view.error ? errorLines(`${view.status}: `, view.error) : [view.status];
      io.out(`${outcome.map(terminalSafe).join('\n')}\n`);
    }
    return view.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    close();
  }
}

/** A path to an existing file, or a name ending in .yaml/.yml (a missing file is then an error). */
function isFile(io: CliIo, subject: string): boolean {
  if (/\.ya?ml$/i.test(subject)) return true;
  return existsSync(isAbsolute(subject) ? subject : resolve(io.cwd, subject));
}

/** Whether every child definition found beside the file validates; else prints their errors. */
function childrenValid(io: CliIo, dir: string, children: readonly FoundChildDefinition[]): boolean {
  const invalid = invalidChildDiagnostics(dir, children);
  for (const d of invalid) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
  if (invalid.length > 0)
    io.err('wf start: a definition this one starts is invalid: nothing uploaded, nothing sent\n');
  return invalid.length === 0;
}

/** The definition, when it validates and the context has its initial_context keys; else prints why. */
function checked(
  io: CliIo,
  display: string,
  text: string,
  context: Record<string, unknown>,
): WorkflowDefinition | undefined {
  const { definition, diagnostics } = validateDefinition(display, text);
  if (!definition) {
    for (const d of diagnostics.filter((x) => x.severity === 'error'))
      io.err(terminalSafe(formatDiagnostic(d)) + '\n');
    return undefined;
  }
  const missing = missingContextKeys(definition.initial_context, context);
  if (missing.length > 0) {
    io.err(`wf start: --context lacks ${missing.join(', ')} (initial_context of ${display}): nothing sent\n`);
    return undefined;
  }
  return definition;
}

async function readDefinition(target: OperatorTarget, bucket: string, key: string) {
  const s3 = new S3Client(target.clients.s3);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body?.transformToString('utf8');
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw translateAwsError('S3', `GetObject ${bucket}/${key}`, error);
  } finally {
    s3.destroy();
  }
}

async function upload(target: OperatorTarget, bucket: string, key: string, text: string) {
  const s3 = new S3Client(target.clients.s3);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
  } catch (error) {
    throw translateAwsError('S3', `PutObject ${bucket}/${key}`, error);
  } finally {
    s3.destroy();
  }
}

async function readContext(io: CliIo, option: string | undefined): Promise<Record<string, unknown>> {
  return option === undefined ? {} : contextOption(io, option);
}
