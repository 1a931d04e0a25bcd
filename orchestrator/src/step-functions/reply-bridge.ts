import { EngineError } from '../errors/engine-error';
import type { RequestIds } from '../graph/request-ids';
import type { AsyncResponse } from '../runtime/messages';
import type { Delivery, Logger, Metrics } from '../runtime/ports';
import { senderRefusal, type ReplySenders } from '../runtime/reply-senders';
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
 * A reply that is never applied, whatever its task's state: its id was not issued by this deployment
 * (REQUEST_ID_*), or its sender may not answer the request's capability domain (REPLY_WRONG_SENDER). The
 * reply Lambda dead-letters it at once with the reason, as the engine does (bridge-batch.ts).
 */
export class ReplyRefusedError extends EngineError {
  constructor(code: string, reason: string) {
    super(code, `reply refused (${code}): ${reason}`, false);
  }
}

export interface ReplyBridgeDeps {
  readonly tokens: TaskTokenStore;
  readonly completion: TaskCompletion;
  /**
   * Verifies every reply's id (RequestIds.verifyTask) before anything is read, as the engine does: a
   * reply whose id this deployment did not issue is refused. Required on AWS (the reply Lambda); without
   * it ids are untagged and unchecked (local runs, parity tests).
   */
  readonly requestIds?: RequestIds;
  /** Who may answer each capability domain (the engine's check, on the delivery's sender); unchecked without it. */
  readonly senders?: ReplySenders;
  /** Counts refusals (RepliesRefused), as the engine does. */
  readonly metrics?: Metrics;
  /** Logs refusals ('reply refused', with the code, reason and sender), as the engine does. */
  readonly logger?: Logger;
}

/**
 * The reply Lambda's work in Step Functions mode: an ASYNC_RESP (the capability contract is unchanged)
 * completes the task its request id's token names, exactly once:
 * - SUCCESS with every expected key: SendTaskSuccess with the task's context merged with the expected
 *   keys (every output when the node expects none), as the engine merges a reply;
 * - SUCCESS missing an expected key: SendTaskFailure MISSING_OUTPUT_KEYS; FAILURE: SendTaskFailure with
 *   the reply's code; the cause is the engine's whole error as JSON.
 * Before any of that, the engine's checks with the engine's code: the id's tag (RequestIds) and the
 * sender against the capability domain the token record names (ReplySenders); a reply that fails either
 * is refused (ReplyRefusedError), counted and logged, never applied.
 * Step Functions completes a token once, so a reply that raced another is `gone`, never applied twice.
 * The record is closed after the task completed: a crash in between leaves it WAITING, and the
 * redelivered reply then finds the task gone (reported stale, acknowledged all the same).
 */
export class ReplyBridge {
  constructor(private readonly deps: ReplyBridgeDeps) {}

  async handle(reply: AsyncResponse, delivery: Delivery = {}): Promise<ReplyOutcome> {
    if (this.deps.requestIds) {
      // Before any read: a forged reply costs nothing and never reaches a token.
      const check = this.deps.requestIds.verifyTask(reply.instance_id, reply.request_id);
      if (!check.ok) this.refuse(reply, check.code, check.reason, delivery);
    }
    const record = await this.deps.tokens.get(reply.request_id);
    if (!record || record.instance_id !== reply.instance_id) throw new UnknownRequestError(reply.request_id);
    if (this.deps.senders) {
      // The request's capability (recorded when it was sent) says which domain's team may answer,
      // whether or not its task still waits.
      const refused =
        record.capability_id === undefined
          ? `the record of request ${record.request_id} names no capability (written before replies were checked)`
          : senderRefusal(this.deps.senders, record.capability_id, delivery.senderId);
      if (refused) this.refuse(reply, 'REPLY_WRONG_SENDER', refused, delivery, record.workflow_id);
    }
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

  /** Counts and logs a refusal as the engine does, then throws it (the caller dead-letters the reply). */
  private refuse(
    reply: AsyncResponse,
    code: string,
    reason: string,
    delivery: Delivery,
    workflowId?: string,
  ): never {
    this.deps.metrics?.record(
      'RepliesRefused',
      1,
      workflowId === undefined ? {} : { workflow_id: workflowId },
    );
    this.deps.logger?.warn(
      {
        instance_id: reply.instance_id,
        request_id: reply.request_id,
        ...(workflowId === undefined ? {} : { workflow_id: workflowId }),
        refusal: code,
        reason,
        sender_id: delivery.senderId ?? null,
      },
      'reply refused',
    );
    throw new ReplyRefusedError(code, reason);
  }
}
