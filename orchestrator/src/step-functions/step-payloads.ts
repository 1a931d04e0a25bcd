import type { Context, WorkflowError } from '../graph/workflow-state';
import type { MachineState, RaisedError } from './machine-state';

/**
 * The payloads a generated state machine sends its Lambdas (ASL `Parameters.Payload`) and what they
 * return: the one contract between `asl/` (which writes them) and the handlers here (which read them).
 * Everything a step needs is in its payload, so the Lambdas are the same for every workflow.
 */

/**
 * An async_request's task (`lambda:invoke.waitForTaskToken`): the request Lambda records
 * request id -> task token, then sends the ASYNC_REQ; the reply Lambda completes the task with the
 * context merged with the reply's outputs (the task's result, written at `$.context`).
 */
export interface RequestTaskPayload {
  readonly task_token: string;
  /** The execution name, which is the instance id. */
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly node: string;
  readonly capability_id: string;
  /** Context keys sent; absent: all. */
  readonly input_keys?: readonly string[];
  /**
   * The node's `input` (JSONata over the context building the request's input object), instead of
   * `input_keys`: evaluated by the request Lambda with the engine's evaluator before anything is sent.
   */
  readonly input?: string;
  /** Keys a SUCCESS must carry, the only ones merged; absent: every output is merged. */
  readonly expected_output_keys?: readonly string[];
  /**
   * The node has a `result` mapping: the task's result is the reply's whole outputs (nothing merged, no
   * key checked), and the steps Lambda's `map_reply` after it checks the expected keys and maps them, as
   * the engine does after a reply.
   */
  readonly whole_reply?: true;
  readonly context: Context;
}

/**
 * After an async_request with a `result` mapping (its task wrote the reply's whole outputs at `reply`):
 * the engine's checks and merge of a SUCCESS reply, i.e. every expected key present (else
 * MISSING_OUTPUT_KEYS), then each `result` expression over the whole outputs (one that selects nothing
 * sets nothing; one that fails: RESULT_MAPPING_FAILED with the code in the cause). The result is the
 * state without `reply`, its context merged with the mapped keys.
 */
export interface MapReplyPayload {
  readonly action: 'map_reply';
  readonly node: string;
  readonly expected_output_keys?: readonly string[];
  readonly result: Readonly<Record<string, string>>;
  readonly state: MachineState & { readonly reply: Context };
}

/** A sync_call attempt: the new state (context merged with the declared outputs), or it throws. */
export interface SyncCallPayload {
  readonly action: 'sync_call';
  readonly node: string;
  readonly capability_id: string;
  /** The node's `with`, as written (the capability parses it). */
  readonly with?: Readonly<Record<string, unknown>>;
  readonly output_keys?: readonly string[];
  /** The node's `result` mapping: context keys to JSONata over the call's whole result. */
  readonly result?: Readonly<Record<string, string>>;
  readonly state: MachineState;
}

/**
 * A choice node's conditions, evaluated by the engine's own JSONata evaluator (guardrails, `true` only is
 * true, same error codes); the Choice state after it routes on `index` (-1: the default).
 */
export interface ChoosePayload {
  readonly action: 'choose';
  readonly node: string;
  readonly conditions: readonly string[];
  readonly context: Context;
}

export interface ChooseResult {
  readonly index: number;
}

/**
 * After a Parallel state: its input state plus `branches`, the final state of each branch in order. The
 * result is the input state with each branch's changes applied (as the engine merges branch deltas).
 */
export interface MergePayload {
  readonly action: 'merge';
  readonly state: MachineState & { readonly branches: readonly MachineState[] };
}

/**
 * A set node: each of `values` (JSONata) evaluated over the context before the step by the engine's own
 * evaluator; the result is the state with the keys whose expression selected something replaced.
 */
export interface SetPayload {
  readonly action: 'set';
  readonly node: string;
  readonly values: Readonly<Record<string, string>>;
  readonly state: MachineState;
}

/**
 * A wait node's `until`, evaluated as the engine does (ISO-8601 text with a zone, or epoch ms; at most a
 * year away, else INVALID_WAIT); the Wait state after it waits until `until` (a past time: not at all).
 */
export interface WaitUntilPayload {
  readonly action: 'wait_until';
  readonly node: string;
  readonly until: string;
  readonly context: Context;
}

export interface WaitUntilResult {
  /** RFC 3339 UTC (`toISOString`), as a Wait state's `TimestampPath` reads it. */
  readonly until: string;
}

/** An `end` node: the outcome the engine's end node records. */
export interface FinishPayload {
  readonly action: 'finish';
  readonly node: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output_keys?: readonly string[];
  readonly state: MachineState;
}

/** What `finish` adds to the state, at `outcome`. A Fail state after it reads `error.code` and `cause`. */
export interface FinishedOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly node: string;
  readonly output?: Context;
  readonly error?: WorkflowError;
  /** FAILED only: the error (and output, if any) as JSON, the execution's cause. */
  readonly cause?: string;
}

/**
 * A branch that reached a shared end: its whole state as JSON text, the cause of the error that stops
 * its siblings and carries it through the enclosing Parallel states (a Fail state's cause is text).
 * Serialised here, not by `States.JsonToString`, for a reason: the local executor the tests prove the
 * machines on writes strings nested in the state (an error's cause) unescaped, so its text is no JSON.
 */
export interface TerminatePayload {
  readonly action: 'terminate';
  /** The shared end the branch reached. */
  readonly end: string;
  readonly state: MachineState;
}

export interface TerminateResult {
  readonly cause: string;
}

/** A child execution to start: its name (the engine's child id) and its execution input. */
export interface ChildExecution {
  readonly name: string;
  readonly input: MachineState;
}

/** What a sub_workflow or map step says of its child's definition. */
interface ChildStep {
  readonly node: string;
  /** The parent's execution name, its instance id. */
  readonly instance_id: string;
  /** The child's workflow id. */
  readonly workflow_id: string;
  /** How many times the node may run (the engine's max_visits rule); one more: MAX_VISITS_EXCEEDED. */
  readonly max_visits: number;
  /** The child definition's `initial_context`, checked as the engine's START checks it. */
  readonly required_keys?: readonly string[];
}

/**
 * A sub_workflow's start (graph/node-kinds.ts `subWorkflowStart`): counts the visit, builds the child's
 * start context from `input` / `input_keys` and names the child `<instance>.<node>.<visit>`. The result is
 * the state with the visit counted and the child at `child`, which the nested execution starts.
 */
export interface ChildStartPayload extends ChildStep {
  readonly action: 'child_start';
  readonly input_keys?: readonly string[];
  readonly input?: string;
  readonly state: MachineState;
}

/** The state after ChildStartPayload: the child to start. */
export type ChildStartedState = MachineState & { readonly child: ChildExecution };

/**
 * After a sub_workflow's nested execution ended SUCCEEDED (its DescribeExecution at `child_end`): the
 * child's output (its end's `outcome.output`, `{}` when it has none) merged as it is, or through `result`.
 */
export interface ChildOutputPayload {
  readonly action: 'child_output';
  readonly node: string;
  readonly result?: Readonly<Record<string, string>>;
  readonly state: ChildStartedState & { readonly child_end: { readonly Output?: unknown } };
}

/**
 * A sub_workflow whose nested execution did not succeed (the error its Catch wrote at `last_error`): the
 * engine's CHILD_FAILED / CHILD_CANCELLED error as `last_error`, for `on_failure` or the scope's failure.
 */
export interface ChildFailedPayload {
  readonly action: 'child_failed';
  readonly node: string;
  readonly workflow_id: string;
  readonly state: ChildStartedState;
}

/**
 * A map's start (graph/map-node.ts `mapStart`): counts the visit, evaluates `items` and builds each
 * item's child (`<instance>.<node>.<visit>.<index>`, its input the shared keys plus the item and index).
 */
export interface MapItemsPayload extends ChildStep {
  readonly action: 'map_items';
  readonly items: string;
  readonly input_keys?: readonly string[];
  readonly item_key: string;
  readonly index_key: string;
  readonly state: MachineState;
}

/** The state after MapItemsPayload: the children to run, in item order. */
export type MapStartedState = MachineState & { readonly map: readonly ChildExecution[] };

/** One item's end as the Map state collects it: the child's DescribeExecution, or its caught failure. */
export type MapItemResult = { readonly Output?: unknown } | { readonly failed: RaisedError };

/**
 * After a map's Map state: the failure policy (more failures than tolerated: MAP_ITEM_FAILED), then every
 * item's output in item order (null for a failed item) at `output_key`.
 */
export interface MapCollectPayload {
  readonly action: 'map_collect';
  readonly node: string;
  /** The items' workflow id, as a failed item's error names it. */
  readonly workflow_id: string;
  readonly output_key: string;
  readonly tolerated_failures?: number;
  readonly tolerated_failure_percent?: number;
  readonly state: MapStartedState & { readonly results: readonly MapItemResult[] };
}

/**
 * A map that tolerates no failure, whose Map state failed with an item's failure (at `last_error`): the
 * engine's MAP_ITEM_FAILED as `last_error`, for `on_failure` or the scope's failure.
 */
export interface MapFailedPayload {
  readonly action: 'map_failed';
  readonly node: string;
  readonly workflow_id: string;
  readonly state: MapStartedState;
}

export type StepPayload =
  | ChildStartPayload
  | ChildOutputPayload
  | ChildFailedPayload
  | MapItemsPayload
  | MapCollectPayload
  | MapFailedPayload
  | SyncCallPayload
  | ChoosePayload
  | SetPayload
  | WaitUntilPayload
  | MergePayload
  | FinishPayload
  | MapReplyPayload
  | TerminatePayload;
