import type { ExecutionStatus, HistoryEvent, TaskScheduledEventDetails } from '@aws-sdk/client-sfn';
import type { HistoryEntry, WorkflowError } from '../graph/workflow-state';
import type { ParentLink } from '../runtime/messages';
import type {
  InstanceRecord,
  InstanceStatus,
  StepFunctionsExecutionRef,
  WaitView,
} from '../runtime/instance-record';
import { workflowErrorOf } from '../step-functions/machine-state';
import { requestIdOf } from '../step-functions/request-dispatch';

/**
 * A Step Functions execution read back as the engine's status record, so `wf status`, `wf list`,
 * `wf describe` and the console show both modes in one shape.
 *
 * What maps (the execution's name is the instance id; see CommandBridge):
 * - status: RUNNING is WAITING while a waitForTaskToken task (an async_request) is open, else RUNNING;
 *   SUCCEEDED; FAILED and TIMED_OUT are FAILED; ABORTED (StopExecution, what CANCEL does) is CANCELLED;
 *   PENDING_REDRIVE is FAILED (the execution failed; a redrive has not begun yet).
 * - history: one line per node execution in order of completion, read from the state events: a state
 *   named after a node (helper states are `<node>.<role>`, see asl-names.ts) that exits SUCCEEDED, each
 *   failed task attempt FAILED (TIMED_OUT on a timeout), a Parallel SUCCEEDED when it fans out, a node
 *   still open when its Parallel failed or the execution was stopped CANCELLED, an end node whose
 *   `<node>.fail` state ran FAILED. As the engine's.
 * - waits: the open async_request tasks, with the request id the request Lambda derived from the task
 *   token (requestIdOf), the capability, since when, and the deadline from the task's timeout.
 * - context: the execution's output, else the newest state data, else its input; `output` the outcome's.
 * - error: the execution's error and cause, read as the bridges raise them (workflowErrorOf).
 *
 * What cannot be filled: `definition` (`key` and `sha256` are empty strings: a state machine holds the
 * compiled ASL, not the YAML or its hash, so `wf describe` has no pinned graph for it), and the engine's
 * bookkeeping (leases, redrives, dispatched and resolved requests) that Step Functions keeps itself.
 * `step_functions` names the execution instead, and marks the record as Step Functions mode's.
 */

/** An execution as DescribeExecution returns it, as far as the record needs. */
export interface SfnExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date | undefined;
  readonly input?: string | undefined;
  readonly output?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/** The instance statuses each execution status maps to (RUNNING is either, by its open tasks). */
export const INSTANCE_STATUSES_OF_EXECUTION: Readonly<Record<ExecutionStatus, readonly InstanceStatus[]>> = {
  RUNNING: ['RUNNING', 'WAITING'],
  SUCCEEDED: ['SUCCEEDED'],
  FAILED: ['FAILED'],
  TIMED_OUT: ['FAILED'],
  PENDING_REDRIVE: ['FAILED'],
  ABORTED: ['CANCELLED'],
};

/** Events that end one attempt of a task in failure. */
const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);
const TASK_SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const TIMED_OUT_EVENTS = new Set(['TaskTimedOut', 'LambdaFunctionTimedOut', 'ActivityTimedOut']);

/** Node names cannot hold `.`; every state the compiler adds is `<node>.<role>`. */
const helperOf = (state: string): { node: string; role: string } | undefined => {
  const dot = state.indexOf('.');
  return dot < 0 ? undefined : { node: state.slice(0, dot), role: state.slice(dot + 1) };
};

const iso = (date: Date | undefined): string => (date ?? new Date(0)).toISOString();

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `context` of a machine state (the data every generated state passes on), if it is one. */
function contextOf(data: string | undefined): Record<string, unknown> | undefined {
  const state = parsed(data);
  return isRecord(state) && isRecord(state.context) ? state.context : undefined;
}

interface OpenStep {
  /** The node whose step this is (a map item's is its map's). */
  readonly node: string;
  readonly started_at: string;
  scheduled?: { readonly at: string; readonly details: TaskScheduledEventDetails };
  /** A sub_workflow's or map item's child: the nested execution's name, the engine's child id. */
  child?: string;
}

/** The record of one execution from DescribeExecution and its whole history (oldest event first). */
export function executionRecord(
  execution: SfnExecution,
  events: readonly HistoryEvent[],
  workflowId: string,
): InstanceRecord & { readonly step_functions: StepFunctionsExecutionRef } {
  const { history, open } = stepsOf(events);
  const waits: WaitView[] =
    execution.status === 'RUNNING' ? [...open.values()].flatMap((step) => waitOf(step.node, step)) : [];
  const status: InstanceStatus =
    execution.status === 'RUNNING'
      ? waits.length > 0
        ? 'WAITING'
        : 'RUNNING'
      : (INSTANCE_STATUSES_OF_EXECUTION[execution.status][0] ?? 'FAILED');
  const finalState = parsed(execution.output);
  const outcome = isRecord(finalState) && isRecord(finalState.outcome) ? finalState.outcome : undefined;
  const startContext = contextOf(execution.input) ?? {};
  const last = events.at(-1)?.timestamp;
  return {
    instance_id: execution.name,
    workflow_id: workflowId,
    status,
    context: contextOf(execution.output) ?? newestContext(events) ?? startContext,
    waits,
    history,
    definition: { key: '', sha256: '' },
    error: errorOf(execution),
    ...(outcome && isRecord(outcome.output) ? { output: outcome.output } : {}),
    start_context: startContext,
    ...parentOf(execution),
    dispatched: [],
    cancelled_requests: [],
    resolved: {},
    created_at: iso(execution.startDate),
    updated_at: iso(execution.stopDate ?? last ?? execution.startDate),
    step_functions: {
      execution_arn: execution.executionArn,
      state_machine_arn: execution.stateMachineArn,
      execution_status: execution.status,
    },
  };
}

/**
 * A child execution's parent (a sub_workflow's or map's nested execution): the execution its input names
 * as `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`, the key the export passes to link them, and the step
 * that started it, read from the child's name (`<parent>.<node>.<visit>[.<index>]`, the engine's child
 * id). `depth` is 1: how deep the parent itself is would need its own record.
 */
function parentOf(execution: SfnExecution): { parent?: ParentLink } {
  const input = parsed(execution.input);
  const startedBy = isRecord(input) ? input[STARTED_BY_KEY] : undefined;
  if (typeof startedBy !== 'string') return {};
  const parent = startedBy.split(':').at(-1) ?? '';
  const rest = execution.name.startsWith(`${parent}.`) ? execution.name.slice(parent.length + 1) : '';
  const node = rest.split('.')[0] ?? '';
  if (parent === '' || node === '') return {};
  return { parent: { instance_id: parent, request_id: execution.name, node, depth: 1 } };
}

/** The input key Step Functions links a nested execution to the execution that started it by. */
const STARTED_BY_KEY = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

function errorOf(execution: SfnExecution): WorkflowError | null {
  switch (execution.status) {
    case 'FAILED':
    case 'PENDING_REDRIVE':
      return workflowErrorOf({ Error: execution.error, Cause: execution.cause ?? '' });
    case 'TIMED_OUT':
      return {
        code: execution.error ?? 'States.Timeout',
        message: execution.cause ?? 'the execution ran past its TimeoutSeconds',
      };
    default:
      return null;
  }
}

/** The context in the newest state event that carries one (a running or stopped execution's). */
function newestContext(events: readonly HistoryEvent[]): Record<string, unknown> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    const context =
      contextOf(event?.stateExitedEventDetails?.output) ?? contextOf(event?.stateEnteredEventDetails?.input);
    if (context) return context;
  }
  return undefined;
}

/**
 * The history lines, and the node steps still open at the end, from the events in order. A task's own
 * events (scheduled, failed...) name no state: each points at the event before it in its state
 * (`previousEventId`), so the state is found by following those links back to the state's entry. A map
 * item's states run beside the other items': each item's step is keyed by the event that entered it.
 *
 * Child steps (asl/child-states.ts): a sub_workflow X exits its start Task before its child runs, so
 * entering `X.child` reopens X's step, which `X.result` ends (or `X.child` failing); a map X is reopened by
 * `X.items`, and each `X.item` that ends is a line of X (an item stopped with its map is none, as in the
 * engine), and `X.collect` is X's one line only when there were no items. `X.too-many-visits` is a
 * FAILED line of X (its max_visits).
 */
function stepsOf(events: readonly HistoryEvent[]): {
  history: HistoryEntry[];
  open: Map<string, OpenStep>;
} {
  const keyOfEvent = new Map<number, string>();
  const history: HistoryEntry[] = [];
  const open = new Map<string, OpenStep>();
  const lastLine = new Map<string, number>();
  const itemsEnded = new Map<string, number>();
  const line = (step: OpenStep, status: HistoryEntry['status'], at: string) => {
    lastLine.set(step.node, history.length);
    history.push({
      node: step.node,
      status,
      started_at: step.started_at,
      ended_at: at,
      ...(step.child === undefined ? {} : { child_instance_id: step.child }),
    });
  };
  const close = (key: string, status: HistoryEntry['status'], at: string) => {
    const step = open.get(key);
    if (!step) return;
    open.delete(key);
    line(step, status, at);
  };
  /** A child step whose start Task closed it: open again, from when it began, until its child ends. */
  const reopen = (node: string, at: string) => {
    const index = lastLine.get(node);
    const last = index === undefined ? undefined : history[index];
    if (index === history.length - 1 && last?.status === 'SUCCEEDED') {
      history.pop();
      open.set(node, { node, started_at: last.started_at });
    } else {
      open.set(node, { node, started_at: at });
    }
  };
  for (const event of events) {
    const type = event.type ?? '';
    const at = iso(event.timestamp);
    const enteredName = event.stateEnteredEventDetails?.name;
    const exitedName = event.stateExitedEventDetails?.name;
    const chained = event.previousEventId === undefined ? undefined : keyOfEvent.get(event.previousEventId);
    // A Map's own events (an iteration's start and end) name it; they belong to its chain, not an item's.
    const iteration =
      event.mapIterationStartedEventDetails ??
      event.mapIterationSucceededEventDetails ??
      event.mapIterationFailedEventDetails ??
      event.mapIterationAbortedEventDetails;
    // An item's states share their names with the other items': their events follow the item's chain.
    const key =
      enteredName !== undefined
        ? helperOf(enteredName)?.role === 'item'
          ? `${enteredName}#${event.id ?? 0}`
          : enteredName
        : iteration?.name !== undefined
          ? iteration.name
          : exitedName !== undefined
            ? helperOf(exitedName)?.role === 'item' && chained?.startsWith(`${exitedName}#`)
              ? chained
              : exitedName
            : chained;
    if (key !== undefined && event.id !== undefined && !type.startsWith('Execution')) {
      keyOfEvent.set(event.id, key);
    }
    const name = key?.split('#')[0];
    const helper = name === undefined ? undefined : helperOf(name);
    if (type.endsWith('StateEntered') && name !== undefined && key !== undefined) {
      if (helper) {
        const status =
          helper.role === 'fail' ? 'FAILED' : helper.role === 'timed-out' ? 'TIMED_OUT' : undefined;
        const index = lastLine.get(helper.node);
        const entry = index === undefined ? undefined : history[index];
        if (status && entry && index !== undefined) {
          // The end node's outcome was a failure, or the node's timeout became the engine's TIMEOUT.
          history[index] = { ...entry, status };
        } else if (helper.role === 'too-many-visits') {
          line({ node: helper.node, started_at: at }, 'FAILED', at);
        } else if (helper.role === 'child') {
          reopen(helper.node, at);
        } else if (helper.role === 'items') {
          reopen(helper.node, at);
          itemsEnded.set(helper.node, 0);
        } else if (helper.role === 'item') {
          open.set(key, { node: helper.node, started_at: at });
        }
      } else if (type === 'ParallelStateEntered') {
        // As the engine records a parallel: one line when it fans out.
        line({ node: name, started_at: at }, 'SUCCEEDED', at);
      } else {
        open.set(name, { node: name, started_at: at });
      }
    } else if (type.endsWith('StateExited') && name !== undefined && key !== undefined) {
      // A state whose failure a Catch handled exits too: its attempt was closed FAILED already.
      if (!helper) close(name, 'SUCCEEDED', at);
      else if (helper.role === 'result') close(helper.node, 'SUCCEEDED', at);
      else if (helper.role === 'item' && open.has(key)) {
        close(key, 'SUCCEEDED', at);
        itemsEnded.set(helper.node, (itemsEnded.get(helper.node) ?? 0) + 1);
      } else if (helper.role === 'collect') {
        if ((itemsEnded.get(helper.node) ?? 0) === 0) close(helper.node, 'SUCCEEDED', at);
        else open.delete(helper.node);
      }
    } else if (TASK_SCHEDULED.has(type) && name !== undefined && key !== undefined) {
      const details = event.taskScheduledEventDetails;
      if (!helper) {
        // A retry schedules the task again without entering the state: a new attempt.
        if (!open.has(name)) open.set(name, { node: name, started_at: at });
        const step = open.get(name);
        if (step && details) step.scheduled = { at, details };
      } else if (helper.role === 'child' || helper.role === 'item') {
        const step = open.get(helper.role === 'child' ? helper.node : key);
        const parameters = parsed(details?.parameters);
        if (step && isRecord(parameters) && typeof parameters.Name === 'string') step.child = parameters.Name;
      }
    } else if (TASK_FAILURES.has(type) && name !== undefined && key !== undefined) {
      const error = event.taskFailedEventDetails?.error ?? event.taskTimedOutEventDetails?.error;
      const status = TIMED_OUT_EVENTS.has(type) || error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
      if (!helper) close(name, status, at);
      else if (helper.role === 'child' || helper.role === 'result') close(helper.node, status, at);
      else if (helper.role === 'item' && open.has(key)) {
        close(key, 'FAILED', at);
        itemsEnded.set(helper.node, (itemsEnded.get(helper.node) ?? 0) + 1);
      }
    } else if (type === 'MapStateFailed' && (helper?.role === 'items' || helper?.role === 'item')) {
      // Its items still running were stopped (no line, as the engine's); the failure is an item's line.
      open.delete(helper.node);
      for (const [k, step] of [...open]) if (step.node === helper.node && k !== step.node) open.delete(k);
    } else if (type === 'ParallelStateFailed' || type === 'ExecutionFailed' || type === 'ExecutionAborted') {
      // The steps still open were stopped: a failed branch's siblings, or everything on a stop. A map's
      // items are not lines of their own then: their map is, once.
      for (const [k, step] of [...open]) {
        if (k === step.node) close(k, 'CANCELLED', at);
        else open.delete(k);
      }
    } else if (type === 'ExecutionTimedOut') {
      for (const [k, step] of [...open]) {
        if (k === step.node) close(k, 'TIMED_OUT', at);
        else open.delete(k);
      }
    } else if (type.endsWith('StateAborted') && key !== undefined) {
      // A stopped map item is no line (its map's is, once); a stopped child step is its node's.
      if (helper?.role === 'item') open.delete(key);
      else close(helper?.role === 'child' ? helper.node : key, 'CANCELLED', at);
    }
  }
  return { history, open };
}

/** An open async_request task as the engine shows a wait; nothing for any other open step. */
function waitOf(node: string, step: OpenStep): WaitView[] {
  const scheduled = step.scheduled;
  if (!scheduled || !(scheduled.details.resource ?? '').endsWith('waitForTaskToken')) return [];
  const parameters = parsed(scheduled.details.parameters);
  const payload = isRecord(parameters) && isRecord(parameters.Payload) ? parameters.Payload : {};
  const text = (key: string): string => (typeof payload[key] === 'string' ? payload[key] : '');
  const timeout = scheduled.details.timeoutInSeconds;
  return [
    {
      request_id:
        text('task_token') === ''
          ? ''
          : requestIdOf({ instance_id: text('instance_id'), node, task_token: text('task_token') }),
      node,
      capability_id: text('capability_id'),
      since: scheduled.at,
      deadline:
        timeout === undefined ? null : new Date(Date.parse(scheduled.at) + timeout * 1000).toISOString(),
    },
  ];
}
