import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';

/**
 * Passes everything to the real checkpointer and remembers any write that failed. LangGraph does not
 * always surface such a failure (a branch subgraph's checkpoint write can fail while `invoke` returns
 * normally), and a step the checkpointer never stored must not be acknowledged: the runtime checks
 * `takeFailure()` after every invocation and fails the message, so redelivery redoes the step.
 */
export class FailureTrackingCheckpointer extends BaseCheckpointSaver {
  /** By thread: the runtime runs different instances concurrently on one checkpointer. */
  private readonly failures = new Map<string, unknown>();

  constructor(private readonly inner: BaseCheckpointSaver) {
    super(inner.serde);
  }

  /** The first write failure of `threadId` since the last call, if any; clears it. */
  takeFailure(threadId: string): unknown {
    const failure = this.failures.get(threadId);
    this.failures.delete(threadId);
    return failure;
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
    versions: ChannelVersions,
  ) {
    return this.track(config, this.inner.put(config, checkpoint, metadata, versions));
  }

  putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    return this.track(config, this.inner.putWrites(config, writes, taskId));
  }

  deleteThread(threadId: string): Promise<void> {
    return this.inner.deleteThread(threadId);
  }

  private track<T>(config: RunnableConfig, write: Promise<T>): Promise<T> {
    return write.catch((error: unknown) => {
      const threadId = String(config.configurable?.thread_id);
      if (!this.failures.has(threadId)) this.failures.set(threadId, error);
      throw error;
    });
  }
}
