import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { EngineError } from '../errors/engine-error';
import type { RaisedError } from './machine-state';
import type { TaskCompletion } from './task-completion';

/**
 * What Step Functions answers for a token whose task no longer waits: it timed out, its execution was
 * stopped or ended, or it was completed before. A reply meeting one of these is stale, never retried.
 */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken', 'ExecutionDoesNotExist']);
/** Step Functions' limit on an error's name (256) and cause (32768) in SendTaskFailure. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/** TaskCompletion on Step Functions' SendTaskSuccess / SendTaskFailure. */
export class SfnTaskCompletion implements TaskCompletion {
  constructor(private readonly sfn: SFNClient) {}

  succeed(taskToken: string, output: unknown): Promise<'completed' | 'gone'> {
    return this.complete('SendTaskSuccess', () =>
      this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  fail(taskToken: string, error: RaisedError): Promise<'completed' | 'gone'> {
    return this.complete('SendTaskFailure', () =>
      this.sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.Error.slice(0, MAX_ERROR),
          cause: error.Cause.slice(0, MAX_CAUSE),
        }),
      ),
    );
  }

  private async complete(operation: string, call: () => Promise<unknown>): Promise<'completed' | 'gone'> {
    try {
      await call();
      return 'completed';
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      if (GONE.has(name)) return 'gone';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const retryable =
        name === 'ThrottlingException' || (status !== undefined && (status >= 500 || status === 429));
      throw new EngineError(
        `SFN_${name}`,
        `Step Functions ${operation} failed: ${String(error)}`,
        retryable,
        {
          cause: error,
        },
      );
    }
  }
}
