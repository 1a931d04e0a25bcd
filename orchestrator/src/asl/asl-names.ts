/**
 * Names in a generated state machine. A node becomes a state of the same name, so the execution history
 * reads in the definition's own words; the states the compiler adds are named `<node>.<role>`, and node
 * names cannot contain `.`, so the two never clash.
 */

/** Longest state name Step Functions accepts. */
export const MAX_STATE_NAME_LENGTH = 80;

export const helperState = {
  /** After a choice node's evaluation: the Choice state that routes on its result. */
  route: (node: string) => `${node}.route`,
  /** Where an async_request's timeout is turned into the engine's TIMEOUT error. */
  timedOut: (node: string) => `${node}.timed-out`,
  /** After a wait node's `until` Task: the Wait state that waits until the time it computed. */
  wait: (node: string) => `${node}.wait`,
  /** After an async_request with a `result` mapping: checks and maps the reply (its step's end). */
  result: (node: string) => `${node}.result`,
  /** After a Parallel state: its branches' changes merged into its input. */
  merge: (node: string) => `${node}.merge`,
  /** After a FAILED end's outcome: the Fail state that ends the execution with it. */
  fail: (node: string) => `${node}.fail`,
  /** Ends a branch that reached its join from a Catch or a Choice (a Task ends it with `End`). */
  branchDone: (firstNode: string) => `${firstNode}.branch-done`,
  /**
   * In a branch whose step goes to `end`, an end node outside its parallel (a shared end): records the
   * branch's state as JSON text, then `<first>.end-<end>.fail` fails the branch with `terminateError(end)`.
   */
  toEnd: (firstNode: string, end: string) => `${firstNode}.end-${end}`,
  toEndFail: (firstNode: string, end: string) => `${firstNode}.end-${end}.fail`,
  /**
   * After Parallel P's Catch of `terminateError(end)`: restores the terminating branch's state and goes
   * to `end` (or ends this branch when `end` is its join), or fails P's own branch with the same error.
   */
  endedAt: (parallel: string, end: string) => `${parallel}.ended-at-${end}`,
  /** Fails the branch with `$.last_error` (the engine's failure with no route inside a branch). */
  branchFailed: (firstNode: string) => `${firstNode}.branch-failed`,
  /** After sub_workflow X's start (its child's name and input): the nested execution of the child. */
  child: (node: string) => `${node}.child`,
  /** Where a failed child (or map item) becomes the engine's CHILD_FAILED / MAP_ITEM_FAILED error. */
  childFailed: (node: string) => `${node}.child-failed`,
  /** After map X's start (its items' names and inputs): the inline Map state running one child each. */
  items: (node: string) => `${node}.items`,
  /** In map X's item processor: one item's nested execution. */
  item: (node: string) => `${node}.item`,
  /** In map X's item processor, when X tolerates failures: records the item's failure as its result. */
  itemFailed: (node: string) => `${node}.item-failed`,
  /** After map X's Map state: the failure policy, then every item's output into `output_key`. */
  collect: (node: string) => `${node}.collect`,
  /** Before a node on a loop: the Choice that checks its visits against its max_visits. */
  visit: (node: string) => `${node}.visit`,
  /** After `X.visit`: counts the visit. */
  count: (node: string) => `${node}.count`,
  /** After `X.visit`, when X has run all its max_visits allows: the engine's MAX_VISITS_EXCEEDED. */
  tooManyVisits: (node: string) => `${node}.too-many-visits`,
} as const;

/** Fails the execution with `$.last_error` (the engine's failure with no route, outside every branch). */
export const WORKFLOW_FAILED_STATE = 'workflow.failed';

/** The first state of a machine with nodes on a loop: every visit count at 0 (see VisitCounting). */
export const WORKFLOW_COUNTS_STATE = 'workflow.counts';

/**
 * Placeholders for the ARNs of the project's Lambdas, replaced at deployment (CloudFormation
 * `DefinitionSubstitutions`), so one compiled definition serves every deployment.
 */
export const FUNCTION_ARN_PLACEHOLDERS = {
  request: 'RequestFunctionArn',
  steps: 'StepsFunctionArn',
} as const;

export const placeholder = (name: string): string => `\${${name}}`;

/**
 * The placeholder of a child workflow's state machine ARN (a sub_workflow's or a map's), one per child
 * workflow id: `StateMachineArn_` and the id with every character but a letter or digit escaped as `_` and
 * its hex code (so `_` itself too, and two ids never share a key).
 */
export const childMachinePlaceholder = (workflowId: string): string =>
  `StateMachineArn_${workflowId.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/** Starts a nested execution and waits for its end; its result is the child's DescribeExecution, Output parsed. */
export const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/**
 * Lambda's own transient faults (throttling, service errors), retried on every Lambda task, as AWS
 * recommends; the engine's equivalent is SQS redelivering a message whose handler failed.
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * The error name that carries a branch to a shared end through its Parallel states (reserved: node names
 * cannot contain `.`, so no error code of the engine or a capability is spelled so by accident). Its
 * cause is the terminating branch's whole state as JSON.
 */
export const terminateError = (end: string): string => `CCH.Terminate.${end}`;
