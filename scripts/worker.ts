import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { applyCliEnvironment } from './cli-environment';
import { startLocalWorkers, type LocalWorkers } from './local-aws/local-workers';
import { DEFAULT_LOG_FILE, fileLogSink } from './local-aws/log-sink';
import type { LocalResources } from './local-aws/provision-local';
import { queueSettingsOf, resolveLocalResources } from './local-aws/resolve-local-resources';
import { workerSettingsFromEnv, type WorkerSettings } from './local-aws/worker-settings';

/** How often the worker looks for definitions whose capability domains have no request queue yet. */
const WATCH_DEFINITIONS_MS = 2000;
/** How long the worker waits for the servers' resources to appear before giving up. */
const RESOURCES_WAIT_MS = 60_000;
/** SIGTERM lets in-flight batches finish; past this, the worker exits anyway (as a crash would). */
const STOP_GRACE_MS = 15_000;

const USAGE = 'usage: pnpm worker [--orchestrator-only | --mock-only]';

/**
 * `pnpm worker`: the orchestrator (command and reply queues) and the capability mock (every capability
 * request queue) as Lambda-style pollers in a process of their own, against the endpoints and stage in
 * the environment (see worker-settings.ts), typically those of `pnpm local --no-workers`.
 *
 * It keeps nothing that matters in memory: it may be killed with SIGKILL at any moment, and another
 * worker takes over (messages it held come back after their visibility timeout; its leases expire).
 * SIGTERM or SIGINT stops polling, lets the batches in hand finish, and exits 0.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'orchestrator-only': { type: 'boolean', default: false },
      'mock-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values['orchestrator-only'] && values['mock-only']) {
    process.stderr.write(`worker: --orchestrator-only and --mock-only exclude each other\n${USAGE}\n`);
    return 2;
  }
  const settings = workerSettingsFromEnv(
    process.env,
    DEFAULT_LOG_FILE,
    process.env.INIT_CWD ?? process.cwd(),
  );
  const log = fileLogSink(settings.logFile);
  const resources = await waitForResources(settings);

  let workers: LocalWorkers | undefined = undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while stopping: leave at once, as a crash would; nothing is lost either way.
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`worker ${process.pid}: ${signal}, stopping\n`);
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
    void (workers?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const sqs = new SQSClient(settings.clients.sqs);
  const queueSettings = await queueSettingsOf(sqs, resources.commandQueue).finally(() => sqs.destroy());
  workers = await startLocalWorkers({
    clients: settings.clients,
    resources,
    log,
    orchestrator: !values['mock-only'],
    capabilityMock: !values['orchestrator-only'],
    scenarios: settings.scenarios,
    leaseTtlMs: settings.leaseTtlMs,
    busyRetrySeconds: settings.busyRetrySeconds,
    notReadyRetrySeconds: settings.notReadyRetrySeconds,
    concurrency: settings.concurrency,
    watchDefinitionsMs: WATCH_DEFINITIONS_MS,
    queueSettings,
  });
  const sides = [
    values['mock-only'] ? undefined : 'orchestrator',
    values['orchestrator-only'] ? undefined : `capability mock (${resources.capabilityQueues.size} queues)`,
  ].filter(Boolean);
  process.stdout.write(
    `worker ${process.pid} ready: ${sides.join(' + ')} on ${settings.endpoints.sqs}, ` +
      `stage ${settings.stage.env}/${settings.stage.owner}, logs in ${settings.logFile}\n`,
  );
  return 0;
}

/** The servers may still be starting (or provisioning): retry until the queues are there. */
async function waitForResources(settings: WorkerSettings): Promise<LocalResources> {
  const sqs = new SQSClient(settings.clients.sqs);
  const deadline = Date.now() + RESOURCES_WAIT_MS;
  let told = false;
  try {
    for (;;) {
      try {
        return await resolveLocalResources(sqs, settings.stage);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        if (!told) {
          process.stdout.write(
            `worker ${process.pid}: waiting for the queues of ${settings.stage.env}/${settings.stage.owner} ` +
              `at ${settings.endpoints.sqs} (${(error as Error).name}); start them with pnpm local --no-workers\n`,
          );
          told = true;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    sqs.destroy();
  }
}

applyCliEnvironment();
main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
