import { randomUUID } from 'node:crypto';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { MemorySaver } from '@langchain/langgraph';
import { builtinSyncCapabilities, type SyncCapability } from '../../sync-capabilities/registry';
import type { HandleOutcome } from '../handle-outcome';
import type { AsyncResponse, InboundMessage } from '../messages';
import { OrchestratorRuntime } from '../orchestrator-runtime';
import type { Clock } from '../../graph/engine-dependencies';
import type { RequestIds } from '../../graph/request-ids';
import type { ReplySenders } from '../reply-senders';
import type { CapabilityDispatcher, EngineMessage, InstanceStore, Logger, WorkflowMessenger } from '../ports';
import { MockCapabilities, type CapabilityMocks } from '../../capability-mocks/capability-mocks';
import { FakeClock } from './fake-clock';
import { MemoryDefinitionStore } from './memory-definition-store';
import { MemoryInstanceStore } from './memory-instance-store';
import { SIMULATION_REQUEST_IDS } from './simulation-request-ids';
import {
  RecordingDispatcher,
  RecordingLogger,
  RecordingMetrics,
  RecordingTimerScheduler,
  WithdrawableTimerScheduler,
} from './recording-ports';

export interface Delivery {
  /** The queue's message id: the same on every redelivery. */
  readonly id: string;
  readonly message: InboundMessage;
  /** Clock time (ms) at which the message becomes visible. */
  readonly at: number;
  /** Who sent it, as SQS's SenderId would say (absent: the transport does not say). */
  readonly senderId?: string;
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
  /**
   * Wraps the ports a runtime process sees, e.g. to kill the process at a boundary in tests. Called for
   * every new process (the first, and each restart after a death).
   */
  readonly decorate?: (ports: SimulationPorts) => SimulationPorts;
  /** The runtime's lease TTL (default: the runtime's). */
  readonly leaseTtlMs?: number;
  /** Timers that a closed wait withdraws (EventBridge Scheduler's); default: SQS delays, which fire. */
  readonly withdrawableTimers?: boolean;
  /** Request ids and their verification (default: tagged with the fixed SIMULATION_REPLY_KEYS). */
  readonly requestIds?: RequestIds;
  /** Who may answer each capability domain (default: unchecked). */
  readonly replySenders?: ReplySenders;
  /** The SenderId the mock capabilities' replies arrive with (default: none). */
  readonly mockSenderId?: string;
  /**
   * Replies of one instance due at the same time are handed over together (up to 10, as one SQS batch),
   * as the batch processor does: `handleReplies`, and each on its own if that throws. Default: one at a
   * time.
   */
  readonly repliesTogether?: boolean;
  /** Called with each outcome, e.g. to print progress. */
  readonly onOutcome?: (delivery: Delivery, outcome: HandleOutcome | Error) => void;
}

export interface SimulationPorts {
  readonly checkpointer: BaseCheckpointSaver;
  readonly instances: InstanceStore;
  readonly dispatcher: CapabilityDispatcher;
  /** The orchestrator's own queues (sub_workflows): messages go back into the simulated queue. */
  readonly messenger: WorkflowMessenger;
  /** Present when the process can die: once `died` settles, the process does nothing more. */
  readonly life?: { readonly died: Promise<void> };
}

const VISIBILITY_TIMEOUT_MS = 30_000;
/** SQS hands at most this many messages to one receive (and Lambda to one invocation). */
const MAX_BATCH = 10;

/** The SenderId the orchestrator's own messages (a child's end to its parent) arrive with. */
export const ENGINE_SENDER_ID = 'AROAORCHESTRATOR:simulation';

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
  /** Every message the orchestrator sent to its own queues, in order. */
  readonly engineMessages: EngineMessage[] = [];
  readonly messenger: WorkflowMessenger = {
    send: (messages) => {
      for (const message of messages) {
        this.engineMessages.push(structuredClone(message));
        this.send(message, 0, ENGINE_SENDER_ID);
      }
      return Promise.resolve();
    },
  };
  readonly timers: RecordingTimerScheduler;
  readonly metrics = new RecordingMetrics();
  readonly logger: Logger;
  readonly checkpointer: BaseCheckpointSaver;
  /** The current orchestrator process; replaced by a new one (empty caches) when it dies. */
  runtime: OrchestratorRuntime;
  private life: SimulationPorts['life'];
  readonly deadLetters: { delivery: Delivery; reason: string }[] = [];
  /** Processes that died (each death restarts a new one). */
  deaths = 0;
  /** With `repliesTogether`: how many replies each `handleReplies` call was handed, and how many threw. */
  readonly together = { sizes: [] as number[], failed: 0 };
  private queue: Delivery[] = [];
  private readonly maxReceiveCount: number;

  constructor(private readonly options: SimulationOptions = {}) {
    this.logger = options.logger ?? new RecordingLogger();
    this.timers = options.withdrawableTimers
      ? new WithdrawableTimerScheduler()
      : new RecordingTimerScheduler();
    this.checkpointer = options.checkpointer ?? new MemorySaver();
    this.instances.checkpoints = this.checkpointer;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.runtime = this.newProcess();
    if (options.mocks !== false) {
      const mocks = new MockCapabilities(options.mocks ?? {});
      this.dispatcher.onRequest((request) => {
        const { delayMs, replies } = mocks.plan(request);
        for (const reply of replies) this.send(reply, delayMs, options.mockSenderId);
      });
    }
  }

  /**
   * Another orchestrator process on the same table and queues: its own caches and checkpointer wrapper,
   * and its own clock (`clockOffsetMs` models skew: leases are judged by the caller's clock).
   */
  newWorker(options: { clockOffsetMs?: number; leaseTtlMs?: number } = {}): OrchestratorRuntime {
    const offset = options.clockOffsetMs ?? 0;
    const clock: Clock = {
      now: () => new Date(this.clock.now().getTime() + offset),
      sleep: (ms) => this.clock.sleep(ms),
    };
    return this.runtimeOn(
      {
        checkpointer: this.checkpointer,
        instances: this.instances.withClock(clock),
        dispatcher: this.dispatcher,
        messenger: this.messenger,
      },
      clock,
      options.leaseTtlMs,
    );
  }

  private newProcess(): OrchestratorRuntime {
    const plain: SimulationPorts = {
      checkpointer: this.checkpointer,
      instances: this.instances,
      dispatcher: this.dispatcher,
      messenger: this.messenger,
    };
    const ports = this.options.decorate ? this.options.decorate(plain) : plain;
    this.life = ports.life;
    return this.runtimeOn(ports, this.clock, this.options.leaseTtlMs);
  }

  private runtimeOn(ports: SimulationPorts, clock: Clock, leaseTtlMs?: number): OrchestratorRuntime {
    return new OrchestratorRuntime({
      checkpointer: ports.checkpointer,
      instances: ports.instances,
      dispatcher: ports.dispatcher,
      messenger: ports.messenger,
      definitions: this.definitions,
      timers: this.timers,
      clock,
      logger: this.logger,
      metrics: this.metrics,
      syncCapabilities: this.options.syncCapabilities ?? builtinSyncCapabilities,
      replyTo: 'memory://reply-queue',
      requestIds: this.options.requestIds ?? SIMULATION_REQUEST_IDS,
      ...(this.options.replySenders ? { replySenders: this.options.replySenders } : {}),
      ...(this.options.durability ? { durability: this.options.durability } : {}),
      ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
    });
  }

  send(message: InboundMessage, delayMs = 0, senderId?: string): void {
    this.queue.push({
      id: randomUUID(),
      message: structuredClone(message),
      at: this.clock.now().getTime() + delayMs,
      receives: 0,
      ...(senderId === undefined ? {} : { senderId }),
    });
  }

  pending(): readonly Delivery[] {
    return this.queue;
  }

  /**
   * Delivers the queued messages `which` matches `delayMs` later than due: SQS keeps no order, so a
   * message sent first may arrive after one sent later. Returns how many it postponed.
   */
  postpone(which: (delivery: Delivery) => boolean, delayMs: number): number {
    let postponed = 0;
    this.queue = this.queue.map((d) => {
      if (!which(d)) return d;
      postponed++;
      return { ...d, at: d.at + delayMs };
    });
    return postponed;
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
    const together = this.repliesDueWith(delivery);
    if (together.length > 0) {
      await this.deliverReplies([delivery, ...together].map((d) => ({ ...d, receives: d.receives + 1 })));
    } else {
      await this.deliver({ ...delivery, receives: delivery.receives + 1 });
    }
    return true;
  }

  /** With `repliesTogether`: the other replies due now for the instance `first` replies to (taken). */
  private repliesDueWith(first: Delivery): Delivery[] {
    if (!this.options.repliesTogether || first.message.type !== 'ASYNC_RESP') return [];
    const instanceId = first.message.instance_id;
    const now = this.clock.now().getTime();
    const due = this.queue
      .filter((d) => d.at <= now && d.message.type === 'ASYNC_RESP' && d.message.instance_id === instanceId)
      .slice(0, MAX_BATCH - 1);
    this.queue = this.queue.filter((d) => !due.includes(d));
    return due;
  }

  /**
   * Hands replies of one instance to the current process together, as the batch processor does: each
   * outcome is then carried out as `deliver` does; if the process dies, all come back after the
   * visibility timeout; if applying them together throws, each is delivered on its own.
   */
  async deliverReplies(deliveries: readonly Delivery[]): Promise<void> {
    const life = this.life;
    const replies = deliveries.map((d) => ({
      message: d.message as AsyncResponse,
      messageId: d.id,
      delivery: { senderId: d.senderId },
    }));
    let outcomes: HandleOutcome[] | 'died';
    this.together.sizes.push(replies.length);
    try {
      const handled = this.runtime.handleReplies(replies);
      outcomes = life ? await Promise.race([handled, life.died.then(() => 'died' as const)]) : await handled;
    } catch {
      this.together.failed++;
      for (const delivery of deliveries) await this.deliver(delivery);
      return;
    }
    if (outcomes === 'died') {
      this.died(deliveries);
      return;
    }
    deliveries.forEach((delivery, i) => this.settle(delivery, outcomes[i] as HandleOutcome));
  }

  /** Runs until no message or timer is left, or `maxSteps` deliveries (a guard against livelock). */
  async drain(maxSteps = 10_000): Promise<number> {
    let steps = 0;
    while (steps < maxSteps && (await this.step())) steps++;
    return steps;
  }

  /**
   * Hands one delivery to the current process, as an SQS poller would. `ack` deletes it; `defer` brings it
   * back later as a fresh message (its receive count restarts: it never counts towards the DLQ); `retry`
   * and errors bring it back and count; `reject` dead-letters it at once. If the process dies while
   * handling it, the message stays invisible for the visibility timeout and then goes to a new process.
   */
  async deliver(delivery: Delivery): Promise<HandleOutcome | Error | 'died'> {
    const life = this.life;
    let outcome: HandleOutcome | Error | 'died';
    try {
      const handled = this.runtime.handle(delivery.message, delivery.id, { senderId: delivery.senderId });
      outcome = life ? await Promise.race([handled, life.died.then(() => 'died' as const)]) : await handled;
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    if (outcome === 'died') {
      this.died([delivery]);
      return outcome;
    }
    this.settle(delivery, outcome);
    return outcome;
  }

  /** The process died holding `deliveries`: a new one starts, and they come back after the visibility timeout. */
  private died(deliveries: readonly Delivery[]): void {
    this.deaths++;
    this.runtime = this.newProcess();
    const at = this.clock.now().getTime() + VISIBILITY_TIMEOUT_MS;
    for (const delivery of deliveries) this.queue.push({ ...delivery, at });
  }

  /** Carries out an outcome as SQS and the batch processor would. */
  private settle(delivery: Delivery, outcome: HandleOutcome | Error): void {
    this.options.onOutcome?.(delivery, outcome);
    if (!(outcome instanceof Error) && outcome.kind === 'ack') return;
    if (!(outcome instanceof Error) && outcome.kind === 'defer') {
      this.queue.push({
        ...delivery,
        receives: 0,
        at: this.clock.now().getTime() + outcome.delaySeconds * 1000,
      });
      return;
    }
    const reason = outcome instanceof Error ? outcome.message : outcome.reason;
    const rejected = !(outcome instanceof Error) && outcome.kind === 'reject';
    if (rejected || delivery.receives >= this.maxReceiveCount) {
      this.deadLetters.push({ delivery, reason });
    } else {
      const delayMs =
        !(outcome instanceof Error) && outcome.kind === 'retry'
          ? outcome.delaySeconds * 1000
          : VISIBILITY_TIMEOUT_MS;
      this.queue.push({ ...delivery, at: this.clock.now().getTime() + delayMs });
    }
  }
}
