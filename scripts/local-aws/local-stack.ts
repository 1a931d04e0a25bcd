import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { createCapabilityMock } from '../../capability-mock/src/capability-mock';
import { sampleDataOutput } from '../../capability-mock/src/sample-data-outputs';
import { createAwsOrchestrator, type AwsOrchestrator } from '../../orchestrator/src/aws/aws-orchestrator';
import { EmfMetrics } from '../../orchestrator/src/aws/emf-metrics';
import { createPinoLogger } from '../../orchestrator/src/aws/pino-logger';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { startEmbeddedAws, type EmbeddedAws, type EmbeddedAwsOptions } from './embedded-aws';
import {
  provisionLocal,
  QUEUE_SETTINGS,
  REPO_ROOT,
  type LocalResources,
  type QueueSettings,
} from './provision-local';
import { SqsPoller } from './sqs-poller';

/** The local log stream run-test follows, beside the repository's other local state. */
export const DEFAULT_LOG_FILE = join(REPO_ROOT, '.local-aws', 'orchestrator.log');

export interface LocalStackOptions extends EmbeddedAwsOptions {
  readonly owner?: string;
  /** Capability-mock scenarios per capability id. */
  readonly scenarios?: CapabilityMocks;
  readonly logFile?: string;
  /** Also print every JSON log line on stdout (`pnpm local`); `pnpm start` shows run-test's view instead. */
  readonly echoLogs?: boolean;
  /** Poll the queues (the "Lambdas"); tests that drive the handler by hand turn this off. */
  readonly pollers?: boolean;
  /** Queue visibility and redrive; tests shorten the visibility timeout to see DLQ moves quickly. */
  readonly queueSettings?: Partial<QueueSettings>;
  /** How soon the runtime retries a message it is not ready for (default 10 s; tests use 1). */
  readonly notReadyRetrySeconds?: number;
}

export interface LocalStack {
  readonly aws: EmbeddedAws;
  readonly resources: LocalResources;
  readonly orchestrator: AwsOrchestrator;
  readonly logFile: string;
  readonly pollers: readonly SqsPoller[];
  /** Another orchestrator "container" on the same stack (tests of several concurrent consumers). */
  newOrchestrator(): AwsOrchestrator;
  stop(): Promise<void>;
}

/**
 * The whole product on one machine: the embedded AWS servers, the resources the CDK app defines, the
 * orchestrator Lambda on the command and reply queues and the capability mock on the capability queues,
 * each driven by a Lambda-style poller. Logs go to a JSON-lines file (the local log stream).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const aws = await startEmbeddedAws(options);
  try {
    const resources = await provisionLocal(aws, options.owner ?? 'dev', {
      ...QUEUE_SETTINGS,
      ...options.queueSettings,
    });
    const logFile = options.logFile ?? DEFAULT_LOG_FILE;
    mkdirSync(dirname(logFile), { recursive: true });
    const writeLine = (line: string) => {
      appendFileSync(logFile, line.endsWith('\n') ? line : line + '\n');
      if (options.echoLogs) process.stdout.write(line.endsWith('\n') ? line : line + '\n');
    };
    const destination = { write: writeLine };
    // Each call is one more "Lambda container": its own clients, caches and runtime, same resources and logs.
    const newOrchestrator = () =>
      createAwsOrchestrator({
        stage: resources.stage,
        clients: aws.clientConfig,
        logger: createPinoLogger(destination),
        metrics: new EmfMetrics(
          resources.names.metricsNamespace,
          resources.names.metricDimensions,
          writeLine,
        ),
        checkpointTtlSeconds: 7 * 24 * 3600,
        ...(options.notReadyRetrySeconds === undefined
          ? {}
          : { retryDelays: { notReadyRetrySeconds: options.notReadyRetrySeconds } }),
      });
    const orchestrator = newOrchestrator();
    const mockLogger = pino(
      { base: { service: 'capability-mock' }, timestamp: pino.stdTimeFunctions.isoTime },
      destination,
    );
    const sqs = new SQSClient(aws.clientConfig.sqs);
    const processor = await orchestrator.processor();
    const orchestratorHandler = (event: Parameters<typeof processor.process>[0]) => processor.process(event);
    const capabilityMock = createCapabilityMock({
      sqs,
      ...(options.scenarios ? { scenarios: options.scenarios } : {}),
      defaultOutput: sampleDataOutput(resources.names.eventDataBucket),
      log: (level, fields, message) => mockLogger[level](fields, message),
    });
    const onError = (error: unknown) =>
      writeLine(JSON.stringify({ level: 50, msg: 'poller error', error: String(error) }));
    const pollers = [
      new SqsPoller(sqs, resources.commandQueue, orchestratorHandler, { onError }),
      new SqsPoller(sqs, resources.replyQueue, orchestratorHandler, { onError }),
      ...[...resources.capabilityQueues.values()].map(
        (q) => new SqsPoller(sqs, q, capabilityMock, { onError }),
      ),
    ];
    if (options.pollers !== false) for (const poller of pollers) poller.start();
    return {
      aws,
      resources,
      orchestrator,
      logFile,
      pollers,
      newOrchestrator,
      async stop() {
        await Promise.all(pollers.map((p) => p.stop()));
        sqs.destroy();
        for (const client of Object.values(orchestrator.clients)) client.destroy();
        await aws.stop();
      },
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}
