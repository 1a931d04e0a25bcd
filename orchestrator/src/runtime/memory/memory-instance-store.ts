import { randomUUID } from 'node:crypto';
import type { Clock } from '../../graph/engine-dependencies';
import { StaleCommitError } from '../errors';
import type { InstanceRecord, RecordHistoryEntry } from '../instance-record';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { Resolution } from '../../graph/workflow-state';
import type { CommitFlush, InstanceStore, Lease, ParkedReply } from '../ports';

/** Status records and leases in memory, with the same commit rule as the DynamoDB store. */
export class MemoryInstanceStore implements InstanceStore {
  constructor(
    private readonly clock: Clock,
    private readonly records = new Map<string, InstanceRecord>(),
    private readonly leases = new Map<string, Lease>(),
    private readonly items = new Map<
      string,
      { history: RecordHistoryEntry[]; resolved: Map<string, string> }
    >(),
    private readonly dispatchedMarks = new Map<string, number>(),
    private readonly parked = new Map<string, ParkedReply>(),
  ) {}

  /** The same records and leases, judged by another worker's clock (tests of clock skew). */
  withClock(clock: Clock): MemoryInstanceStore {
    const store = new MemoryInstanceStore(
      clock,
      this.records,
      this.leases,
      this.items,
      this.dispatchedMarks,
      this.parked,
    );
    store.checkpoints = this.checkpoints;
    return store;
  }

  get(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = this.records.get(instanceId);
    if (record === undefined) return Promise.resolve(undefined);
    const earlier = (this.items.get(instanceId)?.history ?? []).slice(0, record.history_base ?? 0);
    const { history_base: _base, context_in_checkpoint: inCheckpoint, ...view } = structuredClone(record);
    const full = { ...view, history: [...earlier, ...view.history] };
    const head = record.checkpoints?.heads[''];
    if (!inCheckpoint || !this.checkpoints || head === undefined) return Promise.resolve(full);
    return this.checkpoints
      .getTuple({ configurable: { thread_id: instanceId, checkpoint_ns: '', checkpoint_id: head } })
      .then((tuple) => ({
        ...full,
        context: structuredClone((tuple?.checkpoint.channel_values.context ?? {}) as Record<string, unknown>),
      }));
  }

  /** Where `get` reads a context too large for the record (the simulation's checkpointer). */
  checkpoints: BaseCheckpointSaver | undefined;

  load(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = this.records.get(instanceId);
    return Promise.resolve(record === undefined ? undefined : structuredClone(record));
  }

  resolution(instanceId: string, requestId: string): Promise<Resolution | 'RESOLVED' | undefined> {
    const found = this.items.get(instanceId)?.resolved.get(requestId);
    return Promise.resolve(found as Resolution | 'RESOLVED' | undefined);
  }

  acquireLease(instanceId: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now().getTime();
    const held = this.leases.get(instanceId);
    if (held && held.expires_at > now) return Promise.resolve(undefined);
    const mark = this.dispatchedMarks.get(instanceId);
    const lease: Lease = {
      instance_id: instanceId,
      token: randomUUID(),
      expires_at: now + ttlMs,
      ...(mark === undefined ? {} : { dispatched_version: mark }),
    };
    this.leases.set(instanceId, lease);
    return Promise.resolve(lease);
  }

  releaseLease(lease: Lease, dispatchedVersion?: number): Promise<void> {
    if (this.leases.get(lease.instance_id)?.token === lease.token) {
      this.leases.delete(lease.instance_id);
      if (dispatchedVersion === undefined) this.dispatchedMarks.delete(lease.instance_id);
      else this.dispatchedMarks.set(lease.instance_id, dispatchedVersion);
    }
    return Promise.resolve();
  }

  leaseExpiry(instanceId: string): Promise<number | undefined> {
    const held = this.leases.get(instanceId);
    return Promise.resolve(
      held && held.expires_at > this.clock.now().getTime() ? held.expires_at : undefined,
    );
  }

  parkReply(instanceId: string, reply: ParkedReply): Promise<boolean> {
    const key = `${instanceId}/${reply.message.request_id}`;
    if (!this.parked.has(key)) this.parked.set(key, structuredClone(reply));
    return Promise.resolve(true);
  }

  parkedReply(instanceId: string, requestId: string): Promise<ParkedReply | undefined> {
    const found = this.parked.get(`${instanceId}/${requestId}`);
    return Promise.resolve(found && structuredClone(found));
  }

  /** How many replies were ever parked (for tests of what parking costs). */
  parkedCount(): number {
    return this.parked.size;
  }

  save(record: InstanceRecord, lease: Lease, flush: CommitFlush = {}): Promise<void> {
    const storedVersion = this.records.get(record.instance_id)?.version ?? 0;
    // As the DynamoDB store: the version alone decides; the lease only saves wasted work.
    void lease;
    if (storedVersion !== (record.version ?? 1) - 1) {
      return Promise.reject(new StaleCommitError(record.instance_id));
    }
    // Items first, as in DynamoDB: what they hold was committed before, so writing them is idempotent.
    const items = this.items.get(record.instance_id) ?? { history: [], resolved: new Map<string, string>() };
    this.items.set(record.instance_id, items);
    flush.history?.entries.forEach(
      (entry, i) => (items.history[(flush.history?.at ?? 0) + i] = structuredClone(entry)),
    );
    for (const [id, resolution] of Object.entries(flush.resolved ?? {})) items.resolved.set(id, resolution);
    this.records.set(record.instance_id, structuredClone(record));
    return Promise.resolve();
  }

  all(): InstanceRecord[] {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
}
