import { randomUUID } from 'node:crypto';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { MemorySaver } from '@langchain/langgraph';
import { builtinSyncCapabilities, type SyncCapability } from '../../sync-capabilities/registry';
import type { HandleOutcome } from '../handle-outcome';
import type { InboundMessage } from '../messages';
import { OrchestratorRuntime } from '../orchestrator-runtime';
import type { CapabilityDispatcher, InstanceStore, Logger } from '../ports';
import { MockCapabilities, type CapabilityMocks } from '../../capability-mocks/capability-mocks';
import { FakeClock } from './fake-clock';
import { MemoryDefinitionStore } from './memory-definition-store';
import { MemoryInstanceStore } from './memory-instance-store';
import {
  RecordingDispatcher,
  RecordingLogger,
  RecordingMetrics,
  RecordingTimerScheduler,
} from './recording-ports';

export interface Delivery {
  /** The queue's message id: the same on every redelivery. */
  readonly id: string;
  readonly message: InboundMessage;
  /** Clock time (ms) at which the message becomes visible. */
  readonly at: number;
  /** How many times it has been received so far. */
  readonly receives: number;
}

export interface SimulationOptions {
  readonly checkpointer?: BaseCheckpointSaver;
  /** Capability replies; omit for "every capability replies SUCCESS at once". `false`: nobody replies. */
  readonly mocks?: CapabilityMocks | false;
  readonly syncCapabilities?: Readonly<Record<string, SyncCapability>>;
  readonly logger?: Logger;
  /** Receives before a failing message goes to the dead-letter list, as SQS maxReceiveCount. */
  readonly maxReceiveCount?: number;
  readonly durability?: 'exit' | 'sync';
  /** Wraps the ports the runtime sees, e.g. to inject crashes at a boundary in tests. */
  readonly decorate?: (ports: SimulationPorts) => SimulationPorts;
  /** Called with each outcome, e.g. to print progress. */
  readonly onOutcome?: (delivery: Delivery, outcome: HandleOutcome | Error) => void;
}

export interface SimulationPorts {
  readonly checkpointer: BaseCheckpointSaver;
  readonly instances: InstanceStore;
  readonly dispatcher: CapabilityDispatcher;
}

const VISIBILITY_TIMEOUT_MS = 30_000;

/**
 * The whole orchestrator on in-memory ports and a fake clock, with the queues simulated as a time-ordered
 * list of deliveries: at-least-once, retried after a failure like SQS, dead-lettered after
 * `maxReceiveCount`. Deterministic and instant: time jumps to the next event when nothing is due.
 */
export class WorkflowSimulation {
  readonly clock = new FakeClock();
  readonly definitions = new MemoryDefinitionStore();
  readonly instances = new MemoryInstanceStore(this.clock);
  readonly dispatcher = new RecordingDispatcher();
  readonly timers = new RecordingTimerScheduler();
  readonly metrics = new RecordingMetrics();
  readonly logger: Logger;
  readonly checkpointer: BaseCheckpointSaver;
  readonly runtime: OrchestratorRuntime;
  readonly deadLetters: { delivery: Delivery; reason: string }[] = [];
  private queue: Delivery[] = [];
  private readonly maxReceiveCount: number;

  constructor(private readonly options: SimulationOptions = {}) {
    this.logger = options.logger ?? new RecordingLogger();
    this.checkpointer = options.checkpointer ?? new MemorySaver();
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    const plain: SimulationPorts = {
      checkpointer: this.checkpointer,
      instances: this.instances,
      dispatcher: this.dispatcher,
    };
    const ports = options.decorate ? options.decorate(plain) : plain;
    this.runtime = new OrchestratorRuntime({
      ...ports,
      definitions: this.definitions,
      timers: this.timers,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      syncCapabilities: options.syncCapabilities ?? builtinSyncCapabilities,
      replyTo: 'memory://reply-queue',
      ...(options.durability ? { durability: options.durability } : {}),
    });
    if (options.mocks !== false) {
      const mocks = new MockCapabilities(options.mocks ?? {});
      this.dispatcher.onRequest((request) => {
        const { delayMs, replies } = mocks.plan(request);
        for (const reply of replies) this.send(reply, delayMs);
      });
    }
  }

  send(message: InboundMessage, delayMs = 0): void {
    this.queue.push({
      id: randomUUID(),
      message: structuredClone(message),
      at: this.clock.now().getTime() + delayMs,
      receives: 0,
    });
  }

  pending(): readonly Delivery[] {
    return this.queue;
  }

  /** Delivers the next due message (advancing the clock if none is due); false when nothing is left. */
  async step(): Promise<boolean> {
    const nextTimer = Math.min(...this.timers.scheduled.map((t) => Date.parse(t.fire_at)));
    const nextMessage = Math.min(...this.queue.map((d) => d.at));
    const next = Math.min(nextTimer, nextMessage);
    if (!Number.isFinite(next)) return false;
    if (next > this.clock.now().getTime()) this.clock.set(next);
    for (const timer of this.timers.takeDue(this.clock.now())) this.send(timer);
    this.queue.sort((a, b) => a.at - b.at);
    const delivery = this.queue.shift();
    if (!delivery) return false;
    await this.deliver({ ...delivery, receives: delivery.receives + 1 });
    return true;
  }

  /** Runs until no message or timer is left, or `maxSteps` deliveries (a guard against livelock). */
  async drain(maxSteps = 10_000): Promise<number> {
    let steps = 0;
    while (steps < maxSteps && (await this.step())) steps++;
    return steps;
  }

  async deliver(delivery: Delivery): Promise<HandleOutcome | Error> {
    let outcome: HandleOutcome | Error;
    try {
      outcome = await this.runtime.handle(delivery.message, delivery.id);
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    this.options.onOutcome?.(delivery, outcome);
    if (outcome instanceof Error || outcome.kind !== 'ack') {
      const reason = outcome instanceof Error ? outcome.message : outcome.reason;
      if (delivery.receives >= this.maxReceiveCount) {
        this.deadLetters.push({ delivery, reason });
      } else {
        const delayMs =
          !(outcome instanceof Error) && outcome.kind === 'retry'
            ? outcome.delaySeconds * 1000
            : VISIBILITY_TIMEOUT_MS;
        this.queue.push({ ...delivery, at: this.clock.now().getTime() + delayMs });
      }
    }
    return outcome;
  }
}
