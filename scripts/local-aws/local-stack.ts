import type { AwsOrchestrator } from '../../orchestrator/src/aws/aws-orchestrator';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import type { EmbeddedAws } from './embedded-aws';
import { startLocalServers, type LocalServersOptions } from './local-servers';
import { startLocalWorkers } from './local-workers';
import { DEFAULT_LOG_FILE, fileLogSink } from './log-sink';
import type { OrchestratorTuning } from './orchestrator-pollers';
import type { LocalResources } from './provision-local';
import type { SqsPoller } from './sqs-poller';

export { DEFAULT_LOG_FILE } from './log-sink';

/** The servers' options (their log is the stack's) and the workers'. */
export interface LocalStackOptions
  extends Omit<LocalServersOptions, 'log'>, Omit<OrchestratorTuning, 'notReadyRetrySeconds'> {
  /** Capability-mock scenarios per capability id. */
  readonly scenarios?: CapabilityMocks;
  readonly logFile?: string;
  /** Also print every JSON log line on stdout (`pnpm local`); `pnpm start` shows run-test's view instead. */
  readonly echoLogs?: boolean;
  /** Poll the queues (the "Lambdas"); tests that drive the handler by hand turn this off. */
  readonly pollers?: boolean;
  /** How soon the runtime retries a message it is not ready for (default 10 s; tests use 1). */
  readonly notReadyRetrySeconds?: number;
  /**
   * List the definitions bucket this often and give every domain an uploaded definition uses a request
   * queue and a mock poller (`pnpm local`). Off when undefined.
   */
  readonly watchDefinitionsMs?: number;
}

export interface LocalStack {
  readonly aws: EmbeddedAws;
  readonly resources: LocalResources;
  readonly orchestrator: AwsOrchestrator;
  readonly logFile: string;
  /** Command, reply, then one per capability request queue. */
  readonly pollers: readonly SqsPoller[];
  /** Another orchestrator "container" on the same stack (tests of several concurrent consumers). */
  newOrchestrator(): AwsOrchestrator;
  /** Creates request queues (and mock pollers) for capability domains that have none. Idempotent. */
  addCapabilityDomains(domains: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole product on one machine: the embedded AWS servers and the resources the CDK app defines
 * (local-servers.ts), with the orchestrator Lambda on the command and reply queues and the capability mock
 * on the capability queues, each driven by a Lambda-style poller, in this process (local-workers.ts).
 * Logs go to a JSON-lines file (the local log stream).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = fileLogSink(options.logFile ?? DEFAULT_LOG_FILE, options.echoLogs);
  const servers = await startLocalServers({ ...options, log });
  try {
    const { aws, resources } = servers;
    const workers = await startLocalWorkers({
      clients: aws.clientConfig,
      resources,
      log,
      queueSettings: servers.queueSettings,
      start: options.pollers !== false,
      scenarios: options.scenarios,
      leaseTtlMs: options.leaseTtlMs,
      busyRetrySeconds: options.busyRetrySeconds,
      notReadyRetrySeconds: options.notReadyRetrySeconds,
      watchDefinitionsMs: options.watchDefinitionsMs,
    });
    const orchestrator = workers.orchestrator as NonNullable<typeof workers.orchestrator>;
    return {
      aws,
      resources,
      orchestrator: orchestrator.orchestrator,
      logFile: log.file,
      get pollers() {
        return workers.pollers;
      },
      newOrchestrator: () => orchestrator.newOrchestrator(),
      addCapabilityDomains: (domains) => workers.addCapabilityDomains(domains),
      async stop() {
        await workers.stop();
        await servers.stop();
      },
    };
  } catch (error) {
    await servers.stop();
    throw error;
  }
}
