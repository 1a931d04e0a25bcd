import type { MapNode, SubWorkflowNode, WorkflowDefinition } from '../definition/workflow-schema';
import { visitLimitOf } from '../graph/compile-workflow';
import type {
  ChildFailedPayload,
  ChildOutputPayload,
  ChildStartPayload,
  MapCollectPayload,
  MapFailedPayload,
  MapItemsPayload,
} from '../step-functions/step-payloads';
import {
  childMachinePlaceholder,
  FUNCTION_ARN_PLACEHOLDERS,
  helperState,
  LAMBDA_INVOKE,
  placeholder,
  START_EXECUTION_SYNC,
} from './asl-names';
import type { Catcher, JsonValue, TaskState } from './asl-types';
import type { Flow, ScopeStates } from './compile-scope';
import { TRANSIENT_RETRIER } from './lambda-retries';

/** A child workflow's definition, when the compiler has it (its `initial_context` is checked at start). */
export type ChildDefinitions = (workflowId: string) => WorkflowDefinition | undefined;

const VISITS_EXCEEDED = 'MAX_VISITS_EXCEEDED';

/** A steps Lambda task whose payload carries the state (`state.$`), its result the new state. */
function stepsTask(comment: string, payload: Record<string, JsonValue>): TaskState {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
      Payload: { ...payload, 'state.$': '$' },
    },
    OutputPath: '$.Payload',
    Retry: [TRANSIENT_RETRIER],
  };
}

/**
 * The nested execution of a child (`startExecution.sync:2`): named and started with the input its start
 * step prepared at `from` (`$.child`, or the Map item `$`), its DescribeExecution (Output parsed) the
 * result. The started-by key links the child to its parent in the Step Functions console, as AWS
 * documents for nested workflows; the child's first step drops it with every other foreign key.
 */
function nestedExecution(workflowId: string, from: string, comment: string): TaskState {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: START_EXECUTION_SYNC,
    Parameters: {
      StateMachineArn: placeholder(childMachinePlaceholder(workflowId)),
      'Name.$': `${from}.name`,
      Input: {
        'context.$': `${from}.input.context`,
        last_error: null,
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
      },
    },
    ResultSelector: { 'Output.$': '$.Output' },
    TimeoutSeconds: NO_TIMEOUT_SECONDS,
  };
}

/**
 * A nested execution's TimeoutSeconds when its node has no `timeout`: AWS's own default for a Task
 * (99999999 seconds, past any execution's year), written out because the ASL specification's default is
 * 60 seconds, which the local executor the parity tests run on applies.
 */
const NO_TIMEOUT_SECONDS = 99_999_999;

/**
 * Task X, a child step's start (steps Lambda `child_start` or `map_items`): `payload` plus what every
 * start says of its node and child definition (its visit limit, the child's `initial_context`). Past its
 * visit limit the scope fails whatever `on_failure` says (the engine's rule); anything else (its input,
 * its items, a child that cannot start) goes to `on_failure`, else fails the scope.
 */
function addStartTask(
  states: ScopeStates,
  name: string,
  node: SubWorkflowNode | MapNode,
  step: {
    readonly children: ChildDefinitions;
    readonly comment: string;
    readonly payload: ChildStartOwn | MapItemsOwn;
    readonly onFailure: string | undefined;
    readonly next: string;
  },
): void {
  const child = step.children(node.workflow_id);
  const catchers: Catcher[] =
    step.onFailure === undefined
      ? []
      : [
          { ErrorEquals: [VISITS_EXCEEDED], ResultPath: '$.last_error', Next: states.failure() },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: step.onFailure },
        ];
  states.add(name, {
    ...stepsTask(node.title ?? step.comment, {
      ...(step.payload as unknown as Record<string, JsonValue>),
      node: name,
      'instance_id.$': '$$.Execution.Name',
      workflow_id: node.workflow_id,
      max_visits: visitLimitOf(states.definition, name),
      ...(child?.initial_context ? { required_keys: [...child.initial_context] } : {}),
    }),
    ...(catchers.length > 0 ? { Catch: catchers } : {}),
    Next: step.next,
  });
}

/** A start payload's own fields: the rest addStartTask writes for every child step. */
type StartOwn<P> = Omit<P, 'state' | 'instance_id' | 'node' | 'workflow_id' | 'max_visits' | 'required_keys'>;
type ChildStartOwn = StartOwn<ChildStartPayload>;
type MapItemsOwn = StartOwn<MapItemsPayload>;

/** Where a failed child step goes after its error became the engine's: `on_failure`, else the scope fails. */
function afterFailure(states: ScopeStates, name: string, onFailure: string | undefined): Flow {
  return onFailure === undefined
    ? { Next: states.failure() }
    : states.flow(name, onFailure, ['nodes', name, 'on_failure']);
}

/**
 * sub_workflow X becomes:
 * - Task X (steps Lambda `child_start`): counts the visit, builds the child's start context with the
 *   engine's code and names it `<instance>.<node>.<visit>`, the engine's child id;
 * - Task `X.child`: the child's nested execution (`startExecution.sync:2` on the child's state machine),
 *   with `timeout` as TimeoutSeconds (a timeout: the engine's TIMEOUT, then `on_timeout`, else the scope
 *   fails);
 * - Task `X.result` (`child_output`): the child's output merged, or mapped through `result`; its end is
 *   the node's step end;
 * - a child that did not succeed: Task `X.child-failed` (`child_failed`) makes its error the engine's
 *   CHILD_FAILED / CHILD_CANCELLED, then `on_failure`, else the scope fails.
 */
export function compileSubWorkflow(
  states: ScopeStates,
  name: string,
  node: SubWorkflowNode,
  children: ChildDefinitions,
): void {
  const nested = states.helper(name, helperState.child(name));
  const result = states.helper(name, helperState.result(name));
  const failed = states.helper(name, helperState.childFailed(name));
  const onFailure =
    node.on_failure === undefined
      ? undefined
      : states.target(name, node.on_failure, ['nodes', name, 'on_failure']);

  addStartTask(states, name, node, {
    children,
    comment: `Starts a ${node.workflow_id} child`,
    payload: {
      action: 'child_start',
      ...(node.input_keys ? { input_keys: [...node.input_keys] } : {}),
      ...(node.input !== undefined ? { input: node.input } : {}),
    },
    onFailure,
    next: nested,
  });

  let timeoutSeconds: number | undefined;
  const catchers: Catcher[] = [];
  if (node.timeout !== undefined) {
    timeoutSeconds = states.timeoutSeconds(name, node.timeout);
    const timedOut = states.helper(name, helperState.timedOut(name));
    catchers.push({ ErrorEquals: ['States.Timeout'], ResultPath: '$.last_error', Next: timedOut });
    const error = { code: 'TIMEOUT', message: `the child did not end within ${node.timeout}`, node: name };
    states.add(timedOut, {
      Type: 'Pass',
      Comment: `${name}'s child did not end in time (Step Functions stops it)`,
      Result: { Error: 'TIMEOUT', Cause: JSON.stringify(error) },
      ResultPath: '$.last_error',
      ...(node.on_timeout === undefined
        ? { Next: states.failure() }
        : states.flow(name, node.on_timeout, ['nodes', name, 'on_timeout'])),
    });
  }
  catchers.push({ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: failed });
  states.add(nested, {
    ...nestedExecution(node.workflow_id, '$.child', `${name}'s child, until it ends`),
    ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
    ResultPath: '$.child_end',
    Catch: catchers,
    Next: result,
  });

  const failedPayload: Omit<ChildFailedPayload, 'state'> = {
    action: 'child_failed',
    node: name,
    workflow_id: node.workflow_id,
  };
  states.add(failed, {
    ...stepsTask(`${name}'s child did not succeed: the engine's CHILD_FAILED`, failedPayload),
    ...afterFailure(states, name, node.on_failure),
  });

  const output: Omit<ChildOutputPayload, 'state'> = {
    action: 'child_output',
    node: name,
    ...(node.result !== undefined ? { result: { ...node.result } } : {}),
  };
  states.add(result, {
    ...stepsTask(`${name}'s child output into the context`, output),
    ...(onFailure !== undefined
      ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: onFailure }] }
      : {}),
    ...states.flow(name, node.next, ['nodes', name, 'next']),
  });
}

/** The engine's default of how many items run at once (graph/map-node.ts). */
const DEFAULT_MAX_CONCURRENCY = 10;

/**
 * Whether a map can tolerate a failure: then every item runs to its end and `X.collect` judges (a
 * percentage that rounds to none at run time is judged there too); otherwise the first failure stops the
 * Map state, as the engine fails the map at its first failure.
 */
function tolerates(node: MapNode): boolean {
  if (node.tolerated_failures !== undefined) return node.tolerated_failures > 0;
  return (node.tolerated_failure_percent ?? 0) > 0;
}

/**
 * map X becomes:
 * - Task X (steps Lambda `map_items`): counts the visit, evaluates `items` with the engine's evaluator
 *   and builds each item's child (`<instance>.<node>.<visit>.<index>`, its start context the `input_keys`
 *   plus the item and its index);
 * - Map `X.items` (inline, MaxConcurrency = `max_concurrency`): per item, Task `X.item`, the child's
 *   nested execution. A map that tolerates failures records an item's failure as its result (Pass
 *   `X.item-failed`); one that does not stops at the first (the Map state fails, Task `X.child-failed`
 *   makes it the engine's MAP_ITEM_FAILED, then `on_failure`, else the scope fails);
 * - Task `X.collect` (`map_collect`): the failure policy over the items in order (MAP_ITEM_FAILED to
 *   `on_failure`), then every output in item order at `output_key` (null for a failed item), then `next`.
 */
export function compileMap(
  states: ScopeStates,
  name: string,
  node: MapNode,
  children: ChildDefinitions,
): void {
  const items = states.helper(name, helperState.items(name));
  const item = states.helper(name, helperState.item(name));
  const itemFailed = states.helper(name, helperState.itemFailed(name));
  const collect = states.helper(name, helperState.collect(name));
  const failed = states.helper(name, helperState.childFailed(name));
  const onFailure =
    node.on_failure === undefined
      ? undefined
      : states.target(name, node.on_failure, ['nodes', name, 'on_failure']);

  addStartTask(states, name, node, {
    children,
    comment: `Lists the items of ${name}`,
    payload: {
      action: 'map_items',
      items: node.items,
      ...(node.input_keys ? { input_keys: [...node.input_keys] } : {}),
      item_key: node.item_key ?? 'item',
      index_key: node.index_key ?? 'index',
    },
    onFailure,
    next: items,
  });

  const tolerant = tolerates(node);
  const processor = {
    ProcessorConfig: { Mode: 'INLINE' as const },
    StartAt: item,
    States: {
      [item]: {
        ...nestedExecution(node.workflow_id, '$', `One item's child of ${name}, until it ends`),
        ...(tolerant
          ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failed', Next: itemFailed }] }
          : {}),
        End: true as const,
      },
      ...(tolerant
        ? {
            [itemFailed]: {
              Type: 'Pass' as const,
              Comment: 'A failed item: its error is its result, for the collection to count',
              Parameters: { 'failed.$': '$.failed' },
              ResultPath: '$',
              End: true as const,
            },
          }
        : {}),
    },
  };
  states.add(items, {
    Type: 'Map',
    Comment: `One ${node.workflow_id} child per item of ${name}`,
    ItemsPath: '$.map',
    ItemProcessor: processor,
    MaxConcurrency: node.max_concurrency ?? DEFAULT_MAX_CONCURRENCY,
    ResultPath: '$.results',
    ...(tolerant
      ? {}
      : { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: failed }] }),
    Next: collect,
  });
  if (!tolerant) {
    const failedPayload: Omit<MapFailedPayload, 'state'> = {
      action: 'map_failed',
      node: name,
      workflow_id: node.workflow_id,
    };
    states.add(failed, {
      ...stepsTask(`An item of ${name} failed: the engine's MAP_ITEM_FAILED`, failedPayload),
      ...afterFailure(states, name, node.on_failure),
    });
  }

  const collectPayload: Omit<MapCollectPayload, 'state'> = {
    action: 'map_collect',
    node: name,
    workflow_id: node.workflow_id,
    output_key: node.output_key,
    ...(node.tolerated_failures !== undefined ? { tolerated_failures: node.tolerated_failures } : {}),
    ...(node.tolerated_failure_percent !== undefined
      ? { tolerated_failure_percent: node.tolerated_failure_percent }
      : {}),
  };
  states.add(collect, {
    ...stepsTask(`Every item's output of ${name}, in order`, collectPayload),
    ...(onFailure !== undefined
      ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: onFailure }] }
      : {}),
    ...states.flow(name, node.next, ['nodes', name, 'next']),
  });
}
