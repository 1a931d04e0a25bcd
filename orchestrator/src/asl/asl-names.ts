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
} as const;

/** Fails the execution with `$.last_error` (the engine's failure with no route, outside every branch). */
export const WORKFLOW_FAILED_STATE = 'workflow.failed';

/**
 * Placeholders for the ARNs of the project's Lambdas, replaced at deployment (CloudFormation
 * `DefinitionSubstitutions`), so one compiled definition serves every deployment.
 */
export const FUNCTION_ARN_PLACEHOLDERS = {
  request: 'RequestFunctionArn',
  steps: 'StepsFunctionArn',
} as const;

export const placeholder = (name: string): string => `\${${name}}`;

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
