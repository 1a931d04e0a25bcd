/** The part of an executor event this counter reads. */
export interface ExecutorEvent {
  readonly type: string;
}

/**
 * The state transitions of an execution, from aws-local-stepfunctions' event log: one per state entered
 * (a Parallel and every state of its branches included) and one per retry of a state (the executor logs
 * a retried attempt as StateRetried, without entering the state again). This is what Step Functions
 * Standard bills per execution, besides the fixed start and end transitions the cost model adds.
 */
export function stateTransitions(events: readonly ExecutorEvent[]): number {
  return events.filter((e) => e.type === 'StateEntered' || e.type === 'StateRetried').length;
}
