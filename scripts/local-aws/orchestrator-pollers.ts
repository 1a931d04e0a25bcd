import type { SQSClient } from '@aws-sdk/client-sqs';
import { createAwsOrchestrator, type AwsOrchestrator } from '../../orchestrator/src/aws/aws-orchestrator';
import { EmfMetrics } from '../../orchestrator/src/aws/emf-metrics';
import { createPinoLogger } from '../../orchestrator/src/aws/pino-logger';
import type { LocalClientConfig } from '../../orchestrator/src/naming/local-endpoints';
import type { LogSink } from './log-sink';
import { LOCAL_PRINCIPALS, LOCAL_RELAY_SENDER_IDS, LOCAL_REPLY_SENDERS, sendAs } from './local-principals';
import type { LocalResources } from './provision-local';
import { SqsPoller, type SqsHandler } from './sqs-poller';

/** Runtime settings the Lambda takes from its environment; the local stack and `pnpm worker` set them. */
export interface OrchestratorTuning {
  /** How long a lease outlives its holder (default: the runtime's). */
  readonly leaseTtlMs?: number;
  /** How soon a message for a busy instance comes back (default: the runtime's). */
  readonly busyRetrySeconds?: number;
  /** How soon a message the instance is not ready for comes back (default: the runtime's). */
  readonly notReadyRetrySeconds?: number;
}

export interface OrchestratorPollersOptions extends OrchestratorTuning {
  readonly sqs: SQSClient;
  readonly clients: LocalClientConfig;
  readonly resources: LocalResources;
  readonly log: LogSink;
  readonly onError: (error: unknown) => void;
  /**
   * Pollers per queue, each with a batch in hand at a time: the concurrent invocations Lambda would run
   * for the queue (default 1). They share one runtime, as invocations share nothing but the table.
   */
  readonly concurrency?: number;
}

export interface OrchestratorPollers {
  readonly orchestrator: AwsOrchestrator;
  /** The command queue's pollers first, then the reply queue's. */
  readonly pollers: readonly SqsPoller[];
  /** Another orchestrator "container" on the same resources (tests of several concurrent consumers). */
  newOrchestrator(): AwsOrchestrator;
  /** Destroys the SDK clients of every orchestrator made here; the pollers must be stopped first. */
  destroy(): void;
}

/**
 * The orchestrator Lambda on the command and reply queues, each driven by a Lambda-style poller. Each
 * orchestrator made here is one "container": its own clients, caches and runtime, same resources and logs.
 */
export async function createOrchestratorPollers(
  options: OrchestratorPollersOptions,
): Promise<OrchestratorPollers> {
  const { resources, log } = options;
  const made: AwsOrchestrator[] = [];
  const write = (line: string) => log.write(line);
  const newOrchestrator = () => {
    const orchestrator = createAwsOrchestrator({
      stage: resources.stage,
      clients: options.clients,
      logger: createPinoLogger({ write }),
      metrics: new EmfMetrics(resources.names.metricsNamespace, resources.names.metricDimensions, write),
      leaseTtlMs: options.leaseTtlMs,
      // What the Lambda reads from Secrets Manager and its environment (see handler.ts).
      replyKeys: resources.replyKeys,
      replySenders: LOCAL_REPLY_SENDERS,
      relaySenderIds: LOCAL_RELAY_SENDER_IDS,
      onSqsClient: (sqs) => sendAs(sqs, LOCAL_PRINCIPALS.orchestrator, resources.names.orchestratorFunction),
      ...(options.busyRetrySeconds === undefined && options.notReadyRetrySeconds === undefined
        ? {}
        : {
            retryDelays: {
              ...(options.busyRetrySeconds === undefined
                ? {}
                : { busyRetrySeconds: options.busyRetrySeconds }),
              ...(options.notReadyRetrySeconds === undefined
                ? {}
                : { notReadyRetrySeconds: options.notReadyRetrySeconds }),
            },
          }),
    });
    made.push(orchestrator);
    return orchestrator;
  };
  const orchestrator = newOrchestrator();
  const processor = await orchestrator.processor();
  const handler: SqsHandler = (event) => processor.process(event);
  const poll = (queue: LocalResources['commandQueue']) =>
    Array.from(
      { length: options.concurrency ?? 1 },
      () => new SqsPoller(options.sqs, queue, handler, { onError: options.onError }),
    );
  return {
    orchestrator,
    pollers: [...poll(resources.commandQueue), ...poll(resources.replyQueue)],
    newOrchestrator,
    destroy() {
      for (const o of made) for (const client of Object.values(o.clients)) client.destroy();
    },
  };
}
