import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { executionRecord, type SfnExecution } from './sfn-execution-record';

/**
 * The translation on histories shaped as Step Functions itself records them, where they differ from the
 * embedded endpoint's: a caught task failure has no TaskStateExited, a retry schedules the task again
 * without entering the state, a timeout route enters `<node>.timed-out`.
 */

const T0 = Date.parse('2026-11-27T00:00:00.000Z');
/** Event i (from 0) happens at second i. */
const at = (s: number) => new Date(T0 + s * 1000);

type Event = Omit<HistoryEvent, 'id' | 'timestamp'>;

function history(...events: Event[]): HistoryEvent[] {
  return events.map((event, i) => ({ ...event, id: i + 1, timestamp: at(i) }));
}

const entered = (name: string, type: string, previousEventId: number): Event => ({
  type: `${type}StateEntered` as HistoryEventType,
  previousEventId,
  stateEnteredEventDetails: { name, input: '{"context":{"k":1},"last_error":null}' },
});
const exited = (name: string, type: string, previousEventId: number): Event => ({
  type: `${type}StateExited` as HistoryEventType,
  previousEventId,
  stateExitedEventDetails: { name },
});

const execution = (overrides: Partial<SfnExecution>): SfnExecution => ({
  executionArn: 'arn:aws:states:us-east-1:1:execution:m:i-1',
  stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m',
  name: 'i-1',
  status: 'SUCCEEDED',
  startDate: at(0),
  input: '{"context":{"k":1},"last_error":null}',
  ...overrides,
});

/** Each history line as [node, status, child_instance_id]. */
const linesOf = (record: ReturnType<typeof executionRecord>): unknown[][] =>
  record.history.map((h) => [h.node, h.status, 'child_instance_id' in h ? h.child_instance_id : undefined]);

describe('executionRecord', () => {
  it('counts each failed attempt of a retried task, then its success, linking task events to their state', () => {
    const events = history(
      { type: 'ExecutionStarted' },
      entered('Call', 'Task', 1),
      {
        type: 'TaskScheduled',
        previousEventId: 2,
        taskScheduledEventDetails: { resource: 'invoke' } as never,
      },
      { type: 'TaskFailed', previousEventId: 3, taskFailedEventDetails: { error: 'X', cause: '' } as never },
      {
        type: 'TaskScheduled',
        previousEventId: 4,
        taskScheduledEventDetails: { resource: 'invoke' } as never,
      },
      { type: 'TaskSucceeded', previousEventId: 5 },
      exited('Call', 'Task', 6),
      { type: 'ExecutionSucceeded', previousEventId: 7 },
    );
    const record = executionRecord(execution({ stopDate: at(7) }), events, 'wf_v1');
    expect(record.history).toEqual([
      { node: 'Call', status: 'FAILED', started_at: at(1).toISOString(), ended_at: at(3).toISOString() },
      { node: 'Call', status: 'SUCCEEDED', started_at: at(4).toISOString(), ended_at: at(6).toISOString() },
    ]);
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      workflow_id: 'wf_v1',
      updated_at: at(7).toISOString(),
    });
  });

  it('reads a caught failure without an exit, a timeout route, and a failed end as the engine records them', () => {
    const events = history(
      { type: 'ExecutionStarted' },
      entered('Ask', 'Task', 1),
      {
        type: 'TaskScheduled',
        previousEventId: 2,
        taskScheduledEventDetails: { resource: 'invoke.waitForTaskToken' } as never,
      },
      {
        type: 'TaskTimedOut',
        previousEventId: 3,
        taskTimedOutEventDetails: { error: 'States.Timeout' } as never,
      },
      entered('Ask.timed-out', 'Pass', 4),
      exited('Ask.timed-out', 'Pass', 5),
      entered('Give_Up', 'Task', 6),
      exited('Give_Up', 'Task', 7),
      entered('Give_Up.fail', 'Fail', 8),
      {
        type: 'ExecutionFailed',
        previousEventId: 9,
        executionFailedEventDetails: { error: 'TIMEOUT', cause: '' },
      },
    );
    const cause = JSON.stringify({ code: 'TIMEOUT', message: 'Ask timed out', node: 'Ask' });
    const record = executionRecord(
      execution({ status: 'FAILED', error: 'TIMEOUT', cause, stopDate: at(9) }),
      events,
      'wf_v1',
    );
    expect(record.history.map((h) => [h.node, h.status])).toEqual([
      ['Ask', 'TIMED_OUT'],
      ['Give_Up', 'FAILED'],
    ]);
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ code: 'TIMEOUT', message: 'Ask timed out', node: 'Ask' });
    expect(record.context).toEqual({ k: 1 });
  });

  it('shows a timed-out execution FAILED with States.Timeout and its open step TIMED_OUT', () => {
    const events = history({ type: 'ExecutionStarted' }, entered('Call', 'Task', 1), {
      type: 'ExecutionTimedOut',
      previousEventId: 2,
    });
    const record = executionRecord(execution({ status: 'TIMED_OUT', stopDate: at(2) }), events, 'wf_v1');
    expect(record.status).toBe('FAILED');
    expect(record.error?.code).toBe('States.Timeout');
    expect(record.history.map((h) => [h.node, h.status])).toEqual([['Call', 'TIMED_OUT']]);
  });

  it('shows a running execution RUNNING while no request task is open', () => {
    const events = history({ type: 'ExecutionStarted' }, entered('Call', 'Task', 1), {
      type: 'TaskScheduled',
      previousEventId: 2,
      taskScheduledEventDetails: { resource: 'invoke' } as never,
    });
    const record = executionRecord(execution({ status: 'RUNNING' }), events, 'wf_v1');
    expect(record.status).toBe('RUNNING');
    expect(record.waits).toEqual([]);
    expect(record.history).toEqual([]);
    expect(record.error).toBeNull();
  });

  it("reads a sub_workflow's step from its start to its child's end, with the child's id", () => {
    const nested = (previousEventId: number): Event => ({
      type: 'TaskScheduled',
      previousEventId,
      taskScheduledEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        parameters: JSON.stringify({ Name: 'i-1.Check.1', Input: {} }),
      } as never,
    });
    const events = history(
      { type: 'ExecutionStarted' },
      entered('Check', 'Task', 1),
      exited('Check', 'Task', 2),
      entered('Check.child', 'Task', 3),
      nested(4),
      { type: 'TaskSucceeded', previousEventId: 5 },
      exited('Check.child', 'Task', 6),
      entered('Check.result', 'Task', 7),
      exited('Check.result', 'Task', 8),
      entered('Again', 'Task', 9),
      exited('Again', 'Task', 10),
      entered('Check', 'Task', 11),
      exited('Check', 'Task', 12),
      entered('Check.child', 'Task', 13),
      { ...nested(14), taskScheduledEventDetails: { parameters: '{"Name":"i-1.Check.2"}' } as never },
      {
        type: 'TaskFailed',
        previousEventId: 15,
        taskFailedEventDetails: { error: 'States.TaskFailed', cause: '{}' } as never,
      },
      entered('Check.child-failed', 'Task', 16),
      exited('Check.child-failed', 'Task', 17),
    );
    const record = executionRecord(execution({ status: 'RUNNING' }), events, 'wf_v1');
    expect(linesOf(record)).toEqual([
      ['Check', 'SUCCEEDED', 'i-1.Check.1'],
      ['Again', 'SUCCEEDED', undefined],
      ['Check', 'FAILED', 'i-1.Check.2'],
    ]);
    expect(record.history[0]).toMatchObject({
      started_at: at(1).toISOString(),
      ended_at: at(8).toISOString(),
    });
  });

  it("reads a map's items as lines of the map in the order they end, each following its own iteration", () => {
    const item = (index: number, previousEventId: number): Event =>
      ({
        type: 'TaskStateEntered',
        previousEventId,
        stateEnteredEventDetails: { name: 'Lines.item', input: '{}' },
        mapIterationEventDetails: { name: 'Lines.items', index },
      }) as Event;
    const scheduled = (name: string, previousEventId: number): Event => ({
      type: 'TaskScheduled',
      previousEventId,
      taskScheduledEventDetails: { parameters: JSON.stringify({ Name: name }) } as never,
    });
    const events = history(
      { type: 'ExecutionStarted' }, // 1
      entered('Lines', 'Task', 1), // 2
      exited('Lines', 'Task', 2), // 3
      entered('Lines.items', 'Map', 3), // 4
      item(0, 4), // 5
      item(1, 4), // 6
      scheduled('i-1.Lines.1.0', 5), // 7
      scheduled('i-1.Lines.1.1', 6), // 8
      { type: 'TaskSucceeded', previousEventId: 8 }, // 9
      exited('Lines.item', 'Task', 9), // 10: item 1 ends first
      { type: 'TaskSucceeded', previousEventId: 7 }, // 11
      exited('Lines.item', 'Task', 11), // 12
      exited('Lines.items', 'Map', 12), // 13
      entered('Lines.collect', 'Task', 13), // 14
      exited('Lines.collect', 'Task', 14), // 15
      entered('Loop', 'Task', 15), // 16
      exited('Loop', 'Task', 16), // 17
      entered('Loop.visit', 'Choice', 17), // 18
      entered('Loop.too-many-visits', 'Pass', 18), // 19
    );
    const record = executionRecord(execution({ status: 'RUNNING' }), events, 'wf_v1');
    expect(linesOf(record)).toEqual([
      ['Lines', 'SUCCEEDED', 'i-1.Lines.1.1'],
      ['Lines', 'SUCCEEDED', 'i-1.Lines.1.0'],
      ['Loop', 'SUCCEEDED', undefined],
      ['Loop', 'FAILED', undefined],
    ]);
  });

  it('reads a map of no items as one line, and a stopped map as one CANCELLED line, not one per item', () => {
    const events = history(
      { type: 'ExecutionStarted' },
      entered('Lines', 'Task', 1),
      exited('Lines', 'Task', 2),
      entered('Lines.items', 'Map', 3),
      exited('Lines.items', 'Map', 4),
      entered('Lines.collect', 'Task', 5),
      exited('Lines.collect', 'Task', 6),
      entered('Lines', 'Task', 7),
      exited('Lines', 'Task', 8),
      entered('Lines.items', 'Map', 9),
      { ...entered('Lines.item', 'Task', 10) },
      { type: 'ExecutionAborted', previousEventId: 11 },
    );
    const record = executionRecord(execution({ status: 'ABORTED' }), events, 'wf_v1');
    expect(record.history.map((h) => [h.node, h.status])).toEqual([
      ['Lines', 'SUCCEEDED'],
      ['Lines', 'CANCELLED'],
    ]);
  });
});
