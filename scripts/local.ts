import { parseArgs } from 'node:util';
import {
  LOCAL_PORT_SETTINGS,
  LOCAL_REGION,
  localPortsFromEnv,
} from '../orchestrator/src/naming/local-endpoints';
import {
  IN_PROCESS_CONSOLE_FLAGS,
  inProcessConsoleOptions,
  startInProcessConsole,
  type InProcessConsoleOptions,
} from '../console/src/in-process-console';
import { CONSOLE_PORT_SETTING, DEFAULT_CONSOLE_PORT } from '../console/src/console-options';
import { applyCliEnvironment } from './cli-environment';
import { startLocalServers } from './local-aws/local-servers';
import { DEFAULT_LOG_FILE } from './local-aws/log-sink';
import { startLocalStack } from './local-aws/local-stack';
import { mockScenarios } from './local-aws/worker-settings';
import { portInUseHint } from './local-aws/port-in-use-hint';
import type { CapabilityMocks } from '../orchestrator/src/capability-mocks/capability-mocks';

/** How often `pnpm local` looks for definitions whose capability domains have no request queue yet. */
const WATCH_DEFINITIONS_MS = 2000;

const LOCAL_USAGE = 'usage: pnpm local [--no-workers] [--console-port N | --no-console]';
const LOCAL_HELP = `${LOCAL_USAGE}

Runs the embedded local AWS (DynamoDB, SQS, S3) on its fixed ports until Ctrl-C, with the orchestrator and
the capability mock polling their queues, and the web console.

  --no-workers     the servers and resources only; run the pollers with \`pnpm worker\` in another terminal
  --console-port   the web console's port (default ${CONSOLE_PORT_SETTING}, else ${DEFAULT_CONSOLE_PORT})
  --no-console     no web console

Ports: CCH_LOCAL_DYNAMODB_PORT, CCH_LOCAL_SQS_PORT, CCH_LOCAL_S3_PORT (0: a free port).
The log's JSON lines are also printed here; CCH_LOCAL_QUIET=1 keeps them to the log file.
The capability mock's replies: CCH_MOCK_SCENARIOS, a mocks file (YAML or JSON, the \`wf run --mocks\`
language) or inline JSON, as \`pnpm worker\` reads it (default: SUCCESS at once, a value per output key).`;

/** The arguments, or undefined when the run ends here: --help (exit 0) or a usage error (exit 2). */
function parseOptions():
  { workers: boolean; console: InProcessConsoleOptions; scenarios: CapabilityMocks | undefined } | undefined {
  try {
    const { values } = parseArgs({
      options: {
        'no-workers': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...IN_PROCESS_CONSOLE_FLAGS,
      },
    });
    if (values.help) {
      process.stdout.write(LOCAL_HELP + '\n');
      return undefined;
    }
    const scenarios = mockScenarios(process.env.CCH_MOCK_SCENARIOS, process.env.INIT_CWD ?? process.cwd());
    if (scenarios && values['no-workers']) {
      process.stderr.write(
        'local: CCH_MOCK_SCENARIOS is for the capability mock, which `pnpm worker` runs with --no-workers\n',
      );
    }
    return {
      workers: !values['no-workers'],
      console: inProcessConsoleOptions(values, process.env),
      scenarios,
    };
  } catch (error) {
    process.stderr.write(
      `local: ${error instanceof Error ? error.message : String(error)}\n${LOCAL_USAGE}\n`,
    );
    process.exitCode = 2;
    return undefined;
  }
}

/**
 * `pnpm local`: the embedded stack on its fixed ports, kept running, with the orchestrator and the
 * capability mock polling their queues. Prints what points the AWS CLI or an SDK at it.
 * `pnpm local --no-workers`: the AWS servers and the resources only; `pnpm worker` runs the pollers in
 * another process, which can then be killed and restarted without losing the servers' state.
 * The web console serves the stack until Ctrl-C (`--console-port`, `--no-console`), with or without workers:
 * it reads the stores, and its Cancel and Redrive send commands any worker process will consume.
 */
async function main(): Promise<void> {
  applyCliEnvironment();
  const options = parseOptions();
  if (!options) return;
  const consoleOptions = options.console;
  const workers = options.workers;
  // 0 binds a free port; the lines printed below then name the port actually bound.
  const ports = localPortsFromEnv(process.env, { allowZero: true });
  const stack = workers
    ? await startLocalStack({
        ports,
        echoLogs: process.env.CCH_LOCAL_QUIET !== '1',
        watchDefinitionsMs: WATCH_DEFINITIONS_MS,
        ...(options.scenarios ? { scenarios: options.scenarios } : {}),
      })
    : await startLocalServers({ ports });
  const webConsole = await startInProcessConsole(
    { stage: stack.resources.stage, clients: stack.aws.clientConfig },
    consoleOptions,
  );
  const { endpoints } = stack.aws;
  const { names, commandQueue } = stack.resources;
  const portSettings = (['dynamodb', 'sqs', 's3'] as const)
    .map((service) => `${LOCAL_PORT_SETTINGS[service]}=${new URL(endpoints[service]).port}`)
    .join(' ');
  const lines = [
    workers
      ? '# The embedded local AWS is running. Point the AWS CLI or an SDK at it:'
      : '# The embedded local AWS is running, with no orchestrator or capability mock (start them with `pnpm worker`). Point the AWS CLI or an SDK at it:',
    `export AWS_ENDPOINT_URL_DYNAMODB=${endpoints.dynamodb}`,
    `export AWS_ENDPOINT_URL_SQS=${endpoints.sqs}`,
    `export AWS_ENDPOINT_URL_S3=${endpoints.s3}`,
    // s3rver checks signatures against these; dynalite and local-aws-sqs accept any credentials.
    `export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=${LOCAL_REGION}`,
    // Older AWS CLIs and some SDKs read only this one.
    `export AWS_DEFAULT_REGION=${LOCAL_REGION}`,
    // `wf ... --local`, `run-test --local` and `pnpm worker` find the stack through these.
    `export ${portSettings}`,
    '# Start a workflow by hand (--endpoint-url works with every AWS CLI version):',
    `#   aws --endpoint-url ${endpoints.s3} s3 cp workflow-definitions/import_vn_memphis_v1.yaml s3://${names.definitionsBucket}/`,
    `#   aws --endpoint-url ${endpoints.sqs} sqs send-message --queue-url ${commandQueue.url} --message-body '{"type":"START_WORKFLOW","workflow_id":"import_vn_memphis_v1","instance_id":"by-hand-1","context":{"shipmentId":"SHP-1","originCountry":"VN","destinationCountry":"US"}}'`,
    '#   pnpm wf status by-hand-1 --local',
    `# ${webConsole.summary}`,
    workers
      ? `# Logs (JSON lines): ${DEFAULT_LOG_FILE}. Ctrl-C stops.`
      : '# Then, in another terminal with the lines above exported: pnpm worker. Ctrl-C stops.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = () => {
    void webConsole
      .close()
      .then(() => stack.stop())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function busyPortHint(error: unknown): string | undefined {
  try {
    return portInUseHint(error, localPortsFromEnv(process.env, { allowZero: true }));
  } catch {
    return undefined; // the settings themselves were refused: that error says why
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`local: ${error instanceof Error ? error.message : String(error)}\n`);
  const hint = busyPortHint(error);
  if (hint) process.stderr.write(hint + '\n');
  process.exitCode = 1;
});
