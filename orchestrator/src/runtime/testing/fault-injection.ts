import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { InstanceRecord } from '../instance-record';
import type { AsyncRequestMessage } from '../messages';
import type { CapabilityDispatcher, InstanceStore, Lease } from '../ports';
import type { SimulationPorts } from '../memory/workflow-simulation';
import { DelegatingCheckpointer } from '../delegating-checkpointer';

export type Boundary = 'checkpoint' | 'dispatch' | 'save';
export type Phase = 'before' | 'after';

export class InjectedCrash extends Error {
  constructor(boundary: Boundary, phase: Phase, occurrence: number) {
    super(`injected crash ${phase} ${boundary} #${occurrence}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * Makes the process "die" once, at the `occurrence`-th pass through `boundary`, either before the write
 * happens or right after it succeeded: the two sides of every boundary a real Lambda can die on.
 */
export class CrashPlan {
  private readonly seen = new Map<Boundary, number>();
  crashed = false;

  constructor(
    readonly boundary: Boundary,
    readonly phase: Phase,
    readonly occurrence: number,
  ) {}

  async around<T>(boundary: Boundary, write: () => Promise<T>): Promise<T> {
    const count = (this.seen.get(boundary) ?? 0) + 1;
    this.seen.set(boundary, count);
    const hit = !this.crashed && boundary === this.boundary && count === this.occurrence;
    if (hit && this.phase === 'before') {
      this.crashed = true;
      throw new InjectedCrash(boundary, 'before', count);
    }
    const result = await write();
    if (hit) {
      this.crashed = true;
      throw new InjectedCrash(boundary, 'after', count);
    }
    return result;
  }

  decorate = (ports: SimulationPorts): SimulationPorts => ({
    checkpointer: new CrashingCheckpointer(ports.checkpointer, this),
    instances: new CrashingInstanceStore(ports.instances, this),
    dispatcher: new CrashingDispatcher(ports.dispatcher, this),
  });
}

export class CrashingCheckpointer extends DelegatingCheckpointer {
  constructor(
    inner: BaseCheckpointSaver,
    private readonly plan: CrashPlan,
  ) {
    super(inner);
  }

  protected override aroundWrite<T>(_config: RunnableConfig, write: () => Promise<T>): Promise<T> {
    return this.plan.around('checkpoint', write);
  }
}

class CrashingInstanceStore implements InstanceStore {
  constructor(
    private readonly inner: InstanceStore,
    private readonly plan: CrashPlan,
  ) {}
  get(instanceId: string) {
    return this.inner.get(instanceId);
  }
  acquireLease(instanceId: string, ttlMs: number) {
    return this.inner.acquireLease(instanceId, ttlMs);
  }
  releaseLease(lease: Lease) {
    return this.inner.releaseLease(lease);
  }
  leaseExpiry(instanceId: string) {
    return this.inner.leaseExpiry(instanceId);
  }
  save(record: InstanceRecord, lease: Lease) {
    return this.plan.around('save', () => this.inner.save(record, lease));
  }
}

class CrashingDispatcher implements CapabilityDispatcher {
  constructor(
    private readonly inner: CapabilityDispatcher,
    private readonly plan: CrashPlan,
  ) {}
  dispatch(requests: readonly AsyncRequestMessage[]) {
    return this.plan.around('dispatch', () => this.inner.dispatch(requests));
  }
}
