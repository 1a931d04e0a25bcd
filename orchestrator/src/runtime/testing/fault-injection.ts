import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { InstanceRecord } from '../instance-record';
import type { CapabilityMessage } from '../messages';
import type {
  CapabilityDispatcher,
  CommitFlush,
  EngineMessage,
  InstanceStore,
  Lease,
  ParkedReply,
  WorkflowMessenger,
} from '../ports';
import type { SimulationPorts } from '../memory/workflow-simulation';
import { DelegatingCheckpointer } from '../delegating-checkpointer';

/** `message`: the orchestrator's messages to its own queues (a child's START or CANCEL, its end). */
export type Boundary = 'checkpoint' | 'dispatch' | 'save' | 'message';
export type Phase = 'before' | 'after';

/** A promise that never settles: what a call of a dead process waits for. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * One orchestrator process. When it dies it does nothing more: every call it makes from then on never
 * returns (no `finally` runs to completion, its lease is never released, nothing else is written).
 */
export class ProcessLife {
  dead = false;
  private markDied: () => void = () => undefined;
  /** Settles when the process dies; the simulation then treats its message as in flight until it reappears. */
  readonly died = new Promise<void>((resolve) => {
    this.markDied = resolve;
  });

  die(): void {
    this.dead = true;
    this.markDied();
  }

  /** Runs `call` unless the process is dead; a dead process waits forever instead. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return this.dead ? never<T>() : call();
  }
}

/**
 * Kills the process once, at the `occurrence`-th pass through `boundary`, either before the write happens
 * or right after it succeeded: the two sides of every boundary a real Lambda can die on. A process that
 * dies keeps its lease; the message comes back after its visibility timeout, to a new process.
 */
export class CrashPlan {
  private readonly seen = new Map<Boundary, number>();
  crashed = false;

  constructor(
    readonly boundary: Boundary,
    readonly phase: Phase,
    readonly occurrence: number,
  ) {}

  /** How often each boundary was passed so far. */
  passes(boundary: Boundary): number {
    return this.seen.get(boundary) ?? 0;
  }

  async around<T>(life: ProcessLife, boundary: Boundary, write: () => Promise<T>): Promise<T> {
    if (life.dead) return never<T>();
    const count = (this.seen.get(boundary) ?? 0) + 1;
    this.seen.set(boundary, count);
    const hit = !this.crashed && boundary === this.boundary && count === this.occurrence;
    if (hit && this.phase === 'before') {
      this.crashed = true;
      life.die();
      return never<T>();
    }
    const result = await write();
    if (hit) {
      this.crashed = true;
      life.die();
      return never<T>();
    }
    if (life.dead) return never<T>();
    return result;
  }

  /** The ports of one new process; each call to `decorate` is a fresh process (a restart). */
  decorate = (ports: SimulationPorts): SimulationPorts => {
    const life = new ProcessLife();
    return {
      checkpointer: new CrashingCheckpointer(ports.checkpointer, this, life),
      instances: new CrashingInstanceStore(ports.instances, this, life),
      dispatcher: new CrashingDispatcher(ports.dispatcher, this, life),
      messenger: new CrashingMessenger(ports.messenger, this, life),
      life,
    };
  };
}

export class CrashingCheckpointer extends DelegatingCheckpointer {
  constructor(
    inner: BaseCheckpointSaver,
    private readonly plan: CrashPlan,
    private readonly life: ProcessLife,
  ) {
    super(inner);
  }

  override getTuple(config: RunnableConfig) {
    return this.life.run(() => this.inner.getTuple(config));
  }

  protected override aroundWrite<T>(_config: RunnableConfig, write: () => Promise<T>): Promise<T> {
    return this.plan.around(this.life, 'checkpoint', write);
  }
}

class CrashingInstanceStore implements InstanceStore {
  constructor(
    private readonly inner: InstanceStore,
    private readonly plan: CrashPlan,
    private readonly life: ProcessLife,
  ) {}
  get(instanceId: string) {
    return this.life.run(() => this.inner.get(instanceId));
  }
  load(instanceId: string) {
    return this.life.run(() => this.inner.load(instanceId));
  }
  resolution(instanceId: string, requestId: string) {
    return this.life.run(() => this.inner.resolution(instanceId, requestId));
  }
  acquireLease(instanceId: string, ttlMs: number) {
    return this.life.run(() => this.inner.acquireLease(instanceId, ttlMs));
  }
  releaseLease(lease: Lease, dispatchedVersion?: number) {
    return this.life.run(() => this.inner.releaseLease(lease, dispatchedVersion));
  }
  leaseExpiry(instanceId: string) {
    return this.life.run(() => this.inner.leaseExpiry(instanceId));
  }
  parkReply(instanceId: string, reply: ParkedReply) {
    return this.life.run(() => this.inner.parkReply(instanceId, reply));
  }
  parkedReply(instanceId: string, requestId: string) {
    return this.life.run(() => this.inner.parkedReply(instanceId, requestId));
  }
  save(record: InstanceRecord, lease: Lease, flush?: CommitFlush) {
    return this.plan.around(this.life, 'save', () => this.inner.save(record, lease, flush));
  }
}

class CrashingDispatcher implements CapabilityDispatcher {
  constructor(
    private readonly inner: CapabilityDispatcher,
    private readonly plan: CrashPlan,
    private readonly life: ProcessLife,
  ) {}
  dispatch(messages: readonly CapabilityMessage[]) {
    return this.plan.around(this.life, 'dispatch', () => this.inner.dispatch(messages));
  }
}

class CrashingMessenger implements WorkflowMessenger {
  constructor(
    private readonly inner: WorkflowMessenger,
    private readonly plan: CrashPlan,
    private readonly life: ProcessLife,
  ) {}
  send(messages: readonly EngineMessage[]) {
    return this.plan.around(this.life, 'message', () => this.inner.send(messages));
  }
}
