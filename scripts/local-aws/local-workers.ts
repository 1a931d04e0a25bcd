import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import type { LocalClientConfig } from '../../orchestrator/src/naming/local-endpoints';
import { capabilityMockClaimCheck } from '../../capability-mock/src/stage-claim-check';
import { CapabilityMockPollers } from './capability-mock-pollers';
import { DefinitionsWatcher } from './definitions-watcher';
import { LOCAL_PRINCIPALS, sendAs } from './local-principals';
import type { LogSink } from './log-sink';
import {
  createOrchestratorPollers,
  type OrchestratorPollers,
  type OrchestratorTuning,
} from './orchestrator-pollers';
import {
  domainsOfDefinitionText,
  ensureCapabilityQueues,
  QUEUE_SETTINGS,
  type LocalResources,
  type QueueSettings,
} from './provision-local';
import { consumedQueue } from './resolve-local-resources';
import type { SqsPoller } from './sqs-poller';

export interface LocalWorkersOptions extends OrchestratorTuning {
  readonly clients: LocalClientConfig;
  readonly resources: LocalResources;
  readonly log: LogSink;
  /** Run the orchestrator on the command and reply queues (default true). */
  readonly orchestrator?: boolean;
  /** Run the capability mock on every capability request queue (default true). */
  readonly capabilityMock?: boolean;
  readonly scenarios?: CapabilityMocks;
  /** Start polling at once (default true); tests that drive the handler by hand start pollers themselves. */
  readonly start?: boolean;
  /**
   * List the definitions bucket this often and give every domain an uploaded definition uses a request
   * queue (and a mock poller). Off when undefined.
   */
  readonly watchDefinitionsMs?: number;
  /** Concurrent batches per orchestrator queue (Lambda's concurrency; default 1). */
  readonly concurrency?: number;
  /** Settings of the capability queues created for new domains (default: the CDK app's). */
  readonly queueSettings?: QueueSettings;
}

/** The "Lambdas" of the local stack, in this process. */
export interface LocalWorkers {
  readonly orchestrator: OrchestratorPollers | undefined;
  readonly capabilityMock: CapabilityMockPollers | undefined;
  /** Command and reply pollers (when the orchestrator runs), then one per capability queue. */
  readonly pollers: readonly SqsPoller[];
  /** Creates the request queues of `domains` that are missing, and mock pollers for them. Idempotent. */
  addCapabilityDomains(domains: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The orchestrator and the capability mock as Lambda-style SQS pollers against the given resources, which
 * may live in this process or another one. Nothing here is needed to recover an instance: a process
 * running these can be killed at any moment, and another one picks up where it left off (the messages it
 * held come back after their visibility timeout, its leases expire).
 */
export async function startLocalWorkers(options: LocalWorkersOptions): Promise<LocalWorkers> {
  const { resources, log } = options;
  const sqs = new SQSClient(options.clients.sqs);
  const onError = (error: unknown) =>
    log.write(
      JSON.stringify({
        level: 50,
        time: new Date().toISOString(),
        service: 'local-workers',
        msg: 'poller error',
        error: String(error),
      }),
    );
  const orchestrator =
    options.orchestrator === false
      ? undefined
      : await createOrchestratorPollers({ ...options, sqs, onError });
  const s3 = new S3Client(options.clients.s3);
  // The mock sends its replies as the principal the orchestrator accepts them from (local-principals.ts).
  const mockSqs = sendAs(
    new SQSClient(options.clients.sqs),
    LOCAL_PRINCIPALS.capabilityMock,
    'capability-mock',
  );
  const capabilityMock =
    options.capabilityMock === false
      ? undefined
      : new CapabilityMockPollers({
          sqs: mockSqs,
          log,
          eventDataBucket: resources.names.eventDataBucket,
          claimCheck: capabilityMockClaimCheck(s3, resources.stage),
          onError,
          ...(options.scenarios ? { scenarios: options.scenarios } : {}),
        });
  for (const [domain, queue] of resources.capabilityQueues) capabilityMock?.add(domain, queue);

  const known = new Set(resources.capabilityQueues.keys());
  const addCapabilityDomains = async (domains: readonly string[]) => {
    const missing = domains.filter((d) => !known.has(d));
    if (missing.length === 0) return;
    await ensureCapabilityQueues(sqs, resources.stage, missing, options.queueSettings ?? QUEUE_SETTINGS);
    // Created here or by another process meanwhile (another worker): either way, consume it.
    for (const domain of missing) {
      const queue = await consumedQueue(
        sqs,
        resources.names.capabilityRequestQueue(domain),
        resources.names.capabilityRequestDlq(domain),
      );
      capabilityMock?.add(domain, queue);
      known.add(domain);
      log.write(
        JSON.stringify({
          level: 30,
          time: new Date().toISOString(),
          service: 'local-workers',
          msg: 'capability request queue ready for a new domain',
          domain,
          queue: queue.name,
        }),
      );
    }
  };

  const watcher =
    options.watchDefinitionsMs === undefined
      ? undefined
      : new DefinitionsWatcher(s3, resources.names.definitionsBucket, {
          intervalMs: options.watchDefinitionsMs,
          domainsOf: domainsOfDefinitionText,
          onDomains: addCapabilityDomains,
          onError,
        });

  if (options.start !== false) {
    for (const poller of orchestrator?.pollers ?? []) poller.start();
    capabilityMock?.start();
    watcher?.start();
  }
  return {
    orchestrator,
    capabilityMock,
    get pollers() {
      return [...(orchestrator?.pollers ?? []), ...(capabilityMock?.pollers ?? [])];
    },
    addCapabilityDomains,
    async stop() {
      await watcher?.stop();
      await Promise.all([...(orchestrator?.pollers ?? []).map((p) => p.stop()), capabilityMock?.stop()]);
      orchestrator?.destroy();
      s3.destroy();
      sqs.destroy();
      mockSqs.destroy();
    },
  };
}
