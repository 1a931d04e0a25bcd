import type { RaisedError } from './machine-state';

/**
 * Completes a task that waits for its token (SendTaskSuccess / SendTaskFailure). `gone`: the task no
 * longer waits (it timed out, its execution stopped or ended, or it was completed before), which for a
 * reply means stale: acknowledged, never retried.
 */
export interface TaskCompletion {
  succeed(taskToken: string, output: unknown): Promise<'completed' | 'gone'>;
  fail(taskToken: string, error: RaisedError): Promise<'completed' | 'gone'>;
}
