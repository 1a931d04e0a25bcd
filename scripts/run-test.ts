import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDbInstanceStore } from '../orchestrator/src/aws/dynamodb-instance-store';
import { SqsClaimCheck } from '../orchestrator/src/aws/sqs-claim-check';
import { childDefinitions, readIfPresent } from '../orchestrator/src/cli/child-definitions';
import { UsageError } from '../orchestrator/src/cli/cli-io';
import { connectionRefusedHint } from '../orchestrator/src/cli/connection-refused-hint';
import { followInstance, followTimeoutMs } from '../orchestrator/src/cli/instance-follower';
import { terminalSafe, terminalSafeLines } from '../orchestrator/src/cli/terminal-safe';
import {
  openExecutionReader,
  stepFunctionsClientConfig,
  type OperatorTarget,
} from '../orchestrator/src/cli/operator-target';
import { formatDiagnostic } from '../orchestrator/src/definition/diagnostic';
import { validateDefinition } from '../orchestrator/src/definition/validate-definition';
import { systemClock } from '../orchestrator/src/graph/engine-dependencies';
import { resourceNames, type Stage } from '../orchestrator/src/naming/resource-names';
import { statusView, type InstanceStatusView } from '../orchestrator/src/runtime/instance-record';
import type { StartWorkflow } from '../orchestrator/src/runtime/messages';
import { SAMPLE_DATA_PREFIX } from '../capability-mock/src/sample-data-outputs';
import { localClientConfig, localPortsFromEnv } from '../orchestrator/src/naming/local-endpoints';
import { applyCliEnvironment } from './cli-environment';
import { DEFAULT_LOG_FILE } from './local-aws/local-stack';
import { domainsOfDefinitionText, ensureCapabilityQueues, REPO_ROOT } from './local-aws/provision-local';
import { describeRecord, type Terminal } from './run-test/live-view';
import { CloudWatchLogSource, LocalFileLogSource, type LogSource } from './run-test/log-sources';

export interface RunTestTarget {
  readonly stage: Stage;
  readonly clients: {
    dynamodb: DynamoDBClientConfig;
    sqs: SQSClientConfig;
    s3: S3ClientConfig;
    /** Where Step Functions mode's executions are read; absent: the engine's instances only. */
    sfn?: OperatorTarget['clients']['sfn'];
  };
  readonly logs: LogSource;
  /**
   * Create a request queue (and DLQ) for every capability domain of the definition that has none, so a
   * domain no definition used before can run. Default: on the embedded stack (env `local`) only; on AWS
   * the CDK app owns the queues.
   */
  readonly provisionCapabilityQueues?: boolean;
}

export interface RunTestOptions {
  readonly definitionFile: string;
  readonly target: RunTestTarget;
  readonly context?: Record<string, unknown>;
  /** Add the seed's shipment keys and the sample-data URIs to the context (default true). */
  readonly sampleContext?: boolean;
  readonly timeoutMs?: number;
  readonly out?: (line: string) => void;
}

export interface RunTestResult {
  readonly instanceId: string;
  readonly status: InstanceStatusView['status'] | 'INVALID_DEFINITION' | 'TIMED_OUT';
  readonly record?: InstanceStatusView;
}

/**
 * The seed's test script: uploads the definition and the sample data, sends START_WORKFLOW (through S3 when
 * it is over SQS's size), follows that instance's log lines until it ends, and reports its final status
 * record. On the embedded stack it first creates the request queues of capability domains that have none.
 */
export async function runTest(options: RunTestOptions): Promise<RunTestResult> {
  // Lines quote what the instance's log said (a reply's error, say): shown inert on a terminal.
  const out = options.out ?? ((line: string) => process.stdout.write(terminalSafe(line) + '\n'));
  const names = resourceNames(options.target.stage);
  const file = resolveDefinition(options.definitionFile);
  const text = readFileSync(file, 'utf8');
  const key = basename(file);
  const instanceId = `run-${randomUUID()}`;
  const { definition, diagnostics } = validateDefinition(key, text);
  if (!definition) {
    for (const d of diagnostics.filter((x) => x.severity === 'error')) out(terminalSafe(formatDiagnostic(d)));
    return { instanceId, status: 'INVALID_DEFINITION' };
  }

  const s3 = new S3Client(options.target.clients.s3);
  const sqs = new SQSClient(options.target.clients.sqs);
  const dynamodb = new DynamoDBClient(options.target.clients.dynamodb);
  try {
    if (options.target.provisionCapabilityQueues ?? options.target.stage.env === 'local') {
      const created = await ensureCapabilityQueues(sqs, options.target.stage, domainsOfDefinitionText(text));
      for (const queue of created) out(`request queue ${queue.name} created for a new capability domain`);
    }
    await s3.send(new PutObjectCommand({ Bucket: names.definitionsBucket, Key: key, Body: text }));
    // The definitions its sub_workflows start, from the same folder, with their capability domains.
    for (const child of childDefinitions(dirname(file), definition, readIfPresent)) {
      if (options.target.provisionCapabilityQueues ?? options.target.stage.env === 'local') {
        await ensureCapabilityQueues(sqs, options.target.stage, domainsOfDefinitionText(child.text));
      }
      await s3.send(
        new PutObjectCommand({ Bucket: names.definitionsBucket, Key: child.key, Body: child.text }),
      );
      out(`child definition ${child.key} uploaded`);
    }
    const sample: Record<string, string> = {};
    for (const name of readdirSync(join(REPO_ROOT, 'sample-data')).filter((f) => f.endsWith('.json'))) {
      const objectKey = `${SAMPLE_DATA_PREFIX}/${name}`;
      await s3.send(
        new PutObjectCommand({
          Bucket: names.eventDataBucket,
          Key: objectKey,
          Body: readFileSync(join(REPO_ROOT, 'sample-data', name)),
          ContentType: 'application/json',
        }),
      );
      sample[name.replace(/_vn_memphis\.json$|\.json$/, '') + '_uri'] =
        `s3://${names.eventDataBucket}/${objectKey}`;
    }
    // `wf run` passes the context the user gave (sampleContext false), as its --memory mode runs it.
    const context =
      options.sampleContext === false
        ? { ...options.context }
        : {
            shipmentId: 'SHP-1',
            originCountry: 'VN',
            destinationCountry: 'US',
            ...sample,
            ...options.context,
          };
    const start: StartWorkflow = {
      type: 'START_WORKFLOW',
      workflow_id: definition.workflow_id,
      definition_key: key,
      instance_id: instanceId,
      context,
    };
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.commandQueue }))).QueueUrl;
    // A START too large for SQS travels through S3, as the orchestrator's own large messages do.
    const claimCheck = new SqsClaimCheck({
      s3,
      bucket: names.eventDataBucket,
      prefix: names.sqsPayloadPrefix,
    });
    const message = await claimCheck.offload(JSON.stringify(start));
    const startedAt = Date.now();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        ...(message.offloaded ? { MessageAttributes: message.attributes } : {}),
      }),
    );
    out(`${definition.workflow_id}: instance ${instanceId} (definition ${key})`);

    const stepFunctions = await followedOnStepFunctions(options, definition.workflow_id, instanceId, out);
    if (stepFunctions) return stepFunctions;
    const deadline = startedAt + (options.timeoutMs ?? 120_000);
    let terminal: Terminal | undefined;
    while (!terminal && Date.now() < deadline) {
      for (const record of await options.target.logs.poll(instanceId)) {
        const line = describeRecord(record, startedAt);
        if (line.text) out(`  ${line.text}`);
        terminal ??= line.terminal;
      }
      if (!terminal) await new Promise((r) => setTimeout(r, 150));
    }
    const store = new DynamoDbInstanceStore(dynamodb, names.stateTable, systemClock);
    const record = await store.get(instanceId);
    const view = record ? statusView(record) : undefined;
    if (!terminal) {
      out(
        `  no end within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s; status ${view?.status ?? 'unknown'}`,
      );
      return { instanceId, status: 'TIMED_OUT', ...(view ? { record: view } : {}) };
    }
    return { instanceId, status: view?.status ?? terminal, ...(view ? { record: view } : {}) };
  } finally {
    s3.destroy();
    sqs.destroy();
    dynamodb.destroy();
  }
}

/**
 * Step Functions mode: when the workflow is deployed as a state machine, the orchestrator forwards the
 * START to it and writes no log line of the instance, so its execution is followed instead (its steps
 * and waits as they appear, then its status record, as `wf status` reads it). Undefined when the target
 * reads no Step Functions or the workflow runs on the engine.
 */
async function followedOnStepFunctions(
  options: RunTestOptions,
  workflowId: string,
  instanceId: string,
  out: (line: string) => void,
): Promise<RunTestResult | undefined> {
  const executions = openExecutionReader(options.target.stage, options.target.clients.sfn);
  if (!executions) return undefined;
  try {
    const machines = await executions.reader.machines();
    if (!machines.some((machine) => machine.workflowId === workflowId)) return undefined;
    out('  (Step Functions mode: following its execution)');
    const timeoutMs = options.timeoutMs ?? 120_000;
    const followed = await followInstance((id) => executions.reader.instance(id, workflowId), instanceId, {
      timeoutMs,
      out,
    });
    const view = followed.record ? statusView(followed.record) : undefined;
    if (followed.kind !== 'done') {
      out(`  no end within ${Math.round(timeoutMs / 1000)} s; status ${view?.status ?? 'unknown'}`);
      return { instanceId, status: 'TIMED_OUT', ...(view ? { record: view } : {}) };
    }
    return { instanceId, status: followed.record.status, record: statusView(followed.record) };
  } finally {
    executions.close();
  }
}

/** A bare file name is looked up in workflow-definitions/, as the seed's script did. */
export function resolveDefinition(path: string): string {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const direct = isAbsolute(path) ? path : resolve(cwd, path);
  if (existsSync(direct)) return direct;
  const inDefinitions = join(REPO_ROOT, 'workflow-definitions', path);
  if (existsSync(inDefinitions)) return inDefinitions;
  throw new Error(`no definition file ${path} (looked in ${cwd} and workflow-definitions/)`);
}

/**
 * With `local`, the embedded stack `pnpm local` runs: on the ports `CCH_LOCAL_DYNAMODB_PORT`,
 * `CCH_LOCAL_SQS_PORT` and `CCH_LOCAL_S3_PORT` name (the lines `pnpm local` prints; defaults 4567, 9324,
 * 4569), following its log file. Otherwise the AWS deployment named by CCH_ENV/CCH_OWNER.
 */
export function targetFromEnv(
  local: boolean,
  logFile = DEFAULT_LOG_FILE,
  environment: NodeJS.ProcessEnv = process.env,
): RunTestTarget {
  if (local) {
    return {
      stage: { env: 'local', owner: environment.CCH_OWNER ?? 'dev' },
      clients: {
        ...localClientConfig(localPortsFromEnv(environment)),
        sfn: stepFunctionsClientConfig(true, environment),
      },
      logs: new LocalFileLogSource(logFile),
    };
  }
  const env = environment.CCH_ENV;
  const owner = environment.CCH_OWNER;
  if (!env || !owner) throw new Error('set CCH_ENV and CCH_OWNER to your CDK context (or pass --local)');
  const stage = { env, owner };
  return {
    stage,
    clients: { dynamodb: {}, sqs: {}, s3: {}, sfn: stepFunctionsClientConfig(false, environment) },
    logs: new CloudWatchLogSource(new CloudWatchLogsClient({}), resourceNames(stage).orchestratorLogGroup),
  };
}

export const RUN_TEST_USAGE =
  'usage: run-test <file.yaml> [--local] [--context JSON|@file] [--timeout seconds]';

const RUN_TEST_HELP = `${RUN_TEST_USAGE}

Uploads the definition and sample-data/, sends START_WORKFLOW, follows that instance's log lines until it
ends, prints its status record; exit 0 only if it SUCCEEDED. A bare file name is looked up in
workflow-definitions/.

  --local            the stack \`pnpm local\` runs (ports from CCH_LOCAL_*_PORT); default: the AWS
                     deployment named by CCH_ENV and CCH_OWNER
  --context JSON     added to the START context (JSON inline, or @file)
  --timeout seconds  how long to follow the instance (default 120)
  -h, --help         this help
`;

export type RunTestArguments =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly file: string;
      readonly local: boolean;
      readonly context: string | undefined;
      readonly timeoutMs: number;
    };

/**
 * run-test's command line, checked before anything runs: a mistake (an unknown option, no file, a
 * `--timeout` that is not a positive number of seconds) is a UsageError, which main prints with the usage
 * and exit 2.
 */
export function parseRunTestArguments(args: readonly string[]): RunTestArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        local: { type: 'boolean', default: false },
        context: { type: 'string' },
        timeout: { type: 'string', default: '120' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [file] = positionals;
  if (file === undefined) throw new UsageError('no definition file');
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return {
    help: false,
    file,
    local: values.local,
    context: values.context,
    timeoutMs: followTimeoutMs(values.timeout),
  };
}

async function main(): Promise<number> {
  let args: RunTestArguments;
  try {
    args = parseRunTestArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`run-test: ${terminalSafeLines(error.message)}\n${RUN_TEST_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(RUN_TEST_HELP);
    return 0;
  }
  const context = args.context === undefined ? undefined : readContext(args.context);
  const result = await runTest({
    definitionFile: args.file,
    target: targetFromEnv(args.local),
    ...(context ? { context } : {}),
    timeoutMs: args.timeoutMs,
  });
  if (result.record) process.stdout.write(terminalSafeLines(JSON.stringify(result.record, null, 2)) + '\n');
  process.stdout.write(`${result.status}\n`);
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

function readContext(option: string): Record<string, unknown> {
  const raw = option.startsWith('@')
    ? readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), option.slice(1)), 'utf8')
    : option;
  return JSON.parse(raw) as Record<string, unknown>;
}

if (require.main === module) {
  applyCliEnvironment();
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `run-test: ${terminalSafeLines(error instanceof Error ? error.message : String(error))}\n`,
      );
      const hint = connectionRefusedHint(error);
      if (hint) process.stderr.write(`${hint}\n`);
      process.exitCode = 1;
    },
  );
}

/** The capability domains of a definition file and of the definitions its sub_workflows and maps start. */
export function domainsWithChildren(file: string): string[] {
  const path = resolveDefinition(file);
  const text = readFileSync(path, 'utf8');
  const definition = validateDefinition(file, text).definition;
  const children = definition ? childDefinitions(dirname(path), definition, readIfPresent) : [];
  return [text, ...children.map((c) => c.text)].flatMap((t) => domainsOfDefinitionText(t));
}
