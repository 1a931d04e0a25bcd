import { EngineError } from '../errors/engine-error';
import type { AsyncResponse } from '../runtime/messages';
import { raisedErrorOf } from './machine-state';
import { MISSING_OUTPUT_KEYS } from './step-error';
import type { TaskCompletion } from './task-completion';
import type { TaskTokenStore } from './task-token-store';

/**
 * What became of a reply: `applied` (its task completed), `duplicate` (a reply to the same request was
 * applied before), `stale` (its task no longer waited: it timed out, or the execution was stopped or
 * ended). The last two are acknowledged and ignored, as the engine acknowledges them.
 */
export type ReplyOutcome = 'applied' | 'duplicate' | 'stale';

/** A reply to a request no record knows; retried, then dead-lettered, as the engine treats an unknown instance. */
export class UnknownRequestError extends EngineError {
  constructor(requestId: string) {
    super('UNKNOWN_REQUEST', `no request ${requestId} awaits a reply`, true);
  }
}

/**
 * The reply Lambda's work in Step Functions mode: an ASYNC_RESP (the capability contract is unchanged)
 * completes the task its request id's token names, exactly once:
 * - SUCCESS with every expected key: SendTaskSuccess with the task's context merged with the expected
 *   keys (every output when the node expects none), as the engine merges a reply;
 * - SUCCESS missing an expected key: SendTaskFailure MISSING_OUTPUT_KEYS; FAILURE: SendTaskFailure with
 *   the reply's code; the cause is the engine's whole error as JSON.
 * Step Functions completes a token once, so a reply that raced another is `gone`, never applied twice.
 * The record is closed after the task completed: a crash in between leaves it WAITING, and the
 * redelivered reply then finds the task gone (reported stale, acknowledged all the same).
 */
export class ReplyBridge {
  constructor(
    private readonly deps: { readonly tokens: TaskTokenStore; readonly completion: TaskCompletion },
  ) {}

  async handle(reply: AsyncResponse): Promise<ReplyOutcome> {
    const record = await this.deps.tokens.get(reply.request_id);
    if (!record || record.instance_id !== reply.instance_id) throw new UnknownRequestError(reply.request_id);
    if (record.status === 'REPLIED') return 'duplicate';
    if (record.status === 'STALE') return 'stale';

    let result: 'completed' | 'gone';
    if (reply.status === 'FAILURE') {
      result = await this.deps.completion.fail(
        record.task_token,
        raisedErrorOf({ code: reply.error.code, message: reply.error.message, node: record.node }),
      );
    } else {
      const expected = record.expected_output_keys;
      const missing = (expected ?? []).filter((key) => !(key in reply.outputs));
      if (missing.length > 0) {
        result = await this.deps.completion.fail(
          record.task_token,
          raisedErrorOf({
            code: MISSING_OUTPUT_KEYS,
            message: `the reply lacks ${missing.map((k) => `'${k}'`).join(', ')}`,
            node: record.node,
          }),
        );
      } else {
        // Declared keys only: a capability must not overwrite context it was not asked for.
        const outputs =
          expected === undefined
            ? reply.outputs
            : Object.fromEntries(expected.map((key) => [key, reply.outputs[key]]));
        result = await this.deps.completion.succeed(record.task_token, { ...record.context, ...outputs });
      }
    }
    if (result === 'gone') {
      await this.deps.tokens.close(reply.request_id, 'STALE');
      return 'stale';
    }
    return (await this.deps.tokens.close(reply.request_id, 'REPLIED')) ? 'applied' : 'duplicate';
  }
}
