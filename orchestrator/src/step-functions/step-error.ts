import type { WorkflowError } from '../graph/workflow-state';

/**
 * A step that failed, thrown by a Lambda of a generated state machine. Lambda reports `name` as the
 * error type and `message` as the error message, so Step Functions sees `Error` = the engine's error code
 * (what Retry and Catch match) and the whole `WorkflowError` in the cause (see `workflowErrorOf`).
 */
export class StepError extends Error {
  constructor(
    readonly error: WorkflowError,
    /** The error name Retry and Catch match; the code unless a class of errors shares one name. */
    name: string = error.code,
  ) {
    super(JSON.stringify(error));
    this.name = name;
  }
}

/**
 * The error name of a request that can never be delivered (no queue for its domain, too large for any
 * claim check). One name for all such codes, so a state's Retry and Catch can single them out: the
 * engine fails the step outright, past its `on_failure` route and its retry policy. The code itself is in
 * the cause.
 */
export const UNDELIVERABLE_ERROR = 'CAPABILITY_UNDELIVERABLE';

/** A SUCCESS reply without a key the node expects: routed to `on_failure`, never retried. */
export const MISSING_OUTPUT_KEYS = 'MISSING_OUTPUT_KEYS';

/**
 * A sync_call's `result` mapping that failed after the call succeeded: the definition's error, never
 * retried (the engine's rule), routed to `on_failure`. One name so the retriers can single it out; the
 * code (EXPRESSION_FAILED, EXPRESSION_TIMEOUT) is in the cause.
 */
export const RESULT_MAPPING_FAILED = 'RESULT_MAPPING_FAILED';

/**
 * An async_request's `input` expression that failed, or built no object (INVALID_INPUT): nothing is
 * sent, the step fails to `on_failure` and is never retried (the engine's rule). One name so the
 * retriers can single it out; the code (INVALID_INPUT, EXPRESSION_FAILED, ...) is in the cause.
 */
export const INPUT_MAPPING_FAILED = 'INPUT_MAPPING_FAILED';
