import { StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { EngineError } from '../errors/engine-error';
import type { ExecutionControl } from './command-bridge';

/** ExecutionControl on Step Functions, its refusals translated at this edge. */
export class SfnExecutionControl implements ExecutionControl {
  constructor(private readonly sfn: SFNClient) {}

  async start(stateMachineArn: string, name: string, input: string): Promise<'started' | 'exists'> {
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      return 'started';
    } catch (error) {
      // A Standard machine answers a repeated name with the same input by returning the execution, and
      // with another input (or after it ended) with ExecutionAlreadyExists: both are a START seen before.
      if (nameOf(error) === 'ExecutionAlreadyExists') return 'exists';
      throw translated('StartExecution', error);
    }
  }

  async stop(executionArn: string, cause: string): Promise<'stopped' | 'gone'> {
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn, cause: cause.slice(0, 32_768) }));
      return 'stopped';
    } catch (error) {
      if (nameOf(error) === 'ExecutionDoesNotExist') return 'gone';
      throw translated('StopExecution', error);
    }
  }
}

const nameOf = (error: unknown): string => (error as { name?: string }).name ?? 'Error';

function translated(operation: string, error: unknown): EngineError {
  const name = nameOf(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const retryable =
    name === 'ThrottlingException' || (status !== undefined && (status >= 500 || status === 429));
  return new EngineError(`SFN_${name}`, `Step Functions ${operation} failed: ${String(error)}`, retryable, {
    cause: error,
  });
}
