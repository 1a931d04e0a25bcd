import type { SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { createCapabilityMock } from '../../capability-mock/src/capability-mock';
import { sampleDataOutput } from '../../capability-mock/src/sample-data-outputs';
import type { SqsClaimCheck } from '../../orchestrator/src/aws/sqs-claim-check';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import type { LogSink } from './log-sink';
import type { ConsumedQueue } from './provision-local';
import { SqsPoller } from './sqs-poller';

export interface CapabilityMockPollersOptions {
  readonly sqs: SQSClient;
  readonly log: LogSink;
  /** Capability-mock scenarios per capability id (the `wf run --mocks` language). */
  readonly scenarios?: CapabilityMocks;
  /** The bucket whose sample data the default outputs point at. */
  readonly eventDataBucket: string;
  /**
   * Reads offloaded (claim-checked) requests and offloads large replies, as the Lambda does
   * (capability-mock/src/stage-claim-check.ts). Without it an offloaded request is dead-lettered.
   */
  readonly claimCheck?: SqsClaimCheck;
  readonly onError: (error: unknown) => void;
}

/**
 * The capability-mock "Lambda": one handler (so a scripted list of replies advances per capability id
 * across all queues), one Lambda-style poller per capability request queue. Queues can be added while it
 * runs, for domains that appear in definitions uploaded later.
 */
export class CapabilityMockPollers {
  private readonly handler: ReturnType<typeof createCapabilityMock>;
  private readonly byDomain = new Map<string, SqsPoller>();
  private started = false;

  constructor(private readonly options: CapabilityMockPollersOptions) {
    const logger = pino(
      { base: { service: 'capability-mock' }, timestamp: pino.stdTimeFunctions.isoTime },
      { write: (line: string) => options.log.write(line) },
    );
    this.handler = createCapabilityMock({
      sqs: options.sqs,
      ...(options.claimCheck ? { claimCheck: options.claimCheck } : {}),
      ...(options.scenarios ? { scenarios: options.scenarios } : {}),
      defaultOutput: sampleDataOutput(options.eventDataBucket),
      log: (level, fields, message) => logger[level](fields, message),
    });
  }

  /** The pollers in the order their domains were added. */
  get pollers(): SqsPoller[] {
    return [...this.byDomain.values()];
  }

  has(domain: string): boolean {
    return this.byDomain.has(domain);
  }

  /** Adds a poller for `domain`'s request queue (once); it polls at once if the others already do. */
  add(domain: string, queue: ConsumedQueue): void {
    if (this.byDomain.has(domain)) return;
    const poller = new SqsPoller(this.options.sqs, queue, this.handler, { onError: this.options.onError });
    this.byDomain.set(domain, poller);
    if (this.started) poller.start();
  }

  start(): void {
    this.started = true;
    for (const poller of this.byDomain.values()) poller.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.pollers.map((p) => p.stop()));
  }
}
