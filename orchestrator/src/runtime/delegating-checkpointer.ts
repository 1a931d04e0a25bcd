import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';

/**
 * A checkpointer that passes every call to `inner` unchanged, so the wrapped saver behaves exactly as it
 * would on its own (its serializer, channel versions and reads included). Subclasses see each write (`put`
 * and `putWrites`) through the one hook `aroundWrite`, e.g. to observe its failure or to fail it on purpose.
 */
export abstract class DelegatingCheckpointer extends BaseCheckpointSaver {
  constructor(protected readonly inner: BaseCheckpointSaver) {
    super(inner.serde);
  }

  /** Runs one write of `config`'s thread: `write` performs it on `inner`. */
  protected abstract aroundWrite<T>(config: RunnableConfig, write: () => Promise<T>): Promise<T>;

  override get(config: RunnableConfig): Promise<Checkpoint | undefined> {
    return this.inner.get(config);
  }

  getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.inner.getTuple(config);
  }

  list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    return this.inner.list(config, options);
  }

  put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    return this.aroundWrite(config, () => this.inner.put(config, checkpoint, metadata, newVersions));
  }

  putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    return this.aroundWrite(config, () => this.inner.putWrites(config, writes, taskId, taskPath));
  }

  deleteThread(threadId: string): Promise<void> {
    return this.inner.deleteThread(threadId);
  }

  override getDeltaChannelHistory(options: {
    config: RunnableConfig;
    channels: string[];
  }): Promise<Record<string, DeltaChannelHistory>> {
    return this.inner.getDeltaChannelHistory(options);
  }

  override getNextVersion(current: number | undefined): number {
    return this.inner.getNextVersion(current);
  }
}
