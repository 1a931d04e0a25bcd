import type { RunnableConfig } from '@langchain/core/runnables';
import { DelegatingCheckpointer } from './delegating-checkpointer';

/**
 * Passes everything to the real checkpointer and remembers any write that failed. LangGraph does not
 * always surface such a failure (a branch subgraph's checkpoint write can fail while `invoke` returns
 * normally), and a step the checkpointer never stored must not be acknowledged: the runtime checks
 * `takeFailure()` after every invocation and fails the message, so redelivery redoes the step.
 */
export class FailureTrackingCheckpointer extends DelegatingCheckpointer {
  /** By thread: the runtime runs different instances concurrently on one checkpointer. */
  private readonly failures = new Map<string, unknown>();

  /** The first write failure of `threadId` since the last call, if any; clears it. */
  takeFailure(threadId: string): unknown {
    const failure = this.failures.get(threadId);
    this.failures.delete(threadId);
    return failure;
  }

  protected override aroundWrite<T>(config: RunnableConfig, write: () => Promise<T>): Promise<T> {
    return write().catch((error: unknown) => {
      const threadId = String(config.configurable?.thread_id);
      if (!this.failures.has(threadId)) this.failures.set(threadId, error);
      throw error;
    });
  }
}
