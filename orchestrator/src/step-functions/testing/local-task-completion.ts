import type { RaisedError } from '../machine-state';
import type { TaskCompletion } from '../task-completion';

interface Waiting {
  readonly state: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Task tokens for a local executor, which has none: `await(state, token)` is the promise a task's local
 * handler returns, settled by SendTaskSuccess/Failure as Step Functions settles a waiting task. A token
 * whose task ended otherwise (timed out, or its execution stopped) is `gone`, as the service answers.
 */
export class LocalTaskCompletion implements TaskCompletion {
  private readonly waiting = new Map<string, Waiting>();

  await(state: string, token: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiting.set(token, { state, resolve, reject }));
  }

  /** The tasks of `state` no longer wait (the executor timed them out or stopped them). */
  abandon(state: string): void {
    for (const [token, waiting] of this.waiting) if (waiting.state === state) this.waiting.delete(token);
  }

  abandonAll(): void {
    this.waiting.clear();
  }

  succeed(taskToken: string, output: unknown): Promise<'completed' | 'gone'> {
    const waiting = this.take(taskToken);
    waiting?.resolve(output);
    return Promise.resolve(waiting ? 'completed' : 'gone');
  }

  fail(taskToken: string, error: RaisedError): Promise<'completed' | 'gone'> {
    const waiting = this.take(taskToken);
    // The local executor reports a task's error as { Error: name, Cause: message }.
    waiting?.reject(Object.assign(new Error(error.Cause), { name: error.Error }));
    return Promise.resolve(waiting ? 'completed' : 'gone');
  }

  private take(token: string): Waiting | undefined {
    const waiting = this.waiting.get(token);
    this.waiting.delete(token);
    return waiting;
  }
}
