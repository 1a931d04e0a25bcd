import { createHash } from 'node:crypto';
import type { Clock } from '../graph/engine-dependencies';
import type { RequestIds } from '../graph/request-ids';
import type { CapabilityDispatcher } from '../runtime/ports';
import type { AsyncRequestMessage } from '../runtime/messages';
import { DEFAULT_EXPRESSION_LIMITS } from '../graph/expression';
import { requestInput } from '../graph/request-input';
import { INPUT_MAPPING_FAILED, StepError, UNDELIVERABLE_ERROR } from './step-error';
import type { RequestTaskPayload } from './step-payloads';
import type { TaskTokenStore } from './task-token-store';

/** How long a token record is kept: past Step Functions' longest execution (one year), plus slack. */
const RECORD_RETENTION_SECONDS = 400 * 24 * 3600;

/**
 * The request id of the task holding `taskToken`: `<instance>:<node>:<task>:<tag>`, where `<task>` is 16
 * hex digits of sha256(token) and `<tag>` the engine's HMAC under the deployment's reply key
 * (RequestIds.issueForTask), so a capability cannot guess the id of a request it did not receive; without
 * `requestIds` (local runs, parity tests) `<instance>:<node>:<task>`. The same task (a redelivered
 * invocation) always makes the same id, so the capability sees one logical request, as the engine's
 * guarantee says; a retry or a new visit gets a new token, hence a new id, as the engine's new visit does.
 */
export function requestIdOf(
  payload: Pick<RequestTaskPayload, 'instance_id' | 'node' | 'task_token'>,
  requestIds?: RequestIds,
): string {
  const task = createHash('sha256').update(payload.task_token, 'utf8').digest('hex').slice(0, 16);
  return requestIds
    ? requestIds.issueForTask(payload.instance_id, payload.node, task)
    : `${payload.instance_id}:${payload.node}:${task}`;
}

/**
 * The request Lambda's work for an async_request task: record request id -> task token (and what the
 * reply needs), then send the same ASYNC_REQ the engine sends. The record is durable before the request
 * leaves, so no reply can arrive for a request it does not know. A request that can never be delivered
 * fails the task (error `CAPABILITY_UNDELIVERABLE`, the code in the cause); any other fault throws, and
 * Lambda's retry sends it again with the same request id.
 */
export class RequestDispatch {
  constructor(
    private readonly deps: {
      readonly tokens: TaskTokenStore;
      readonly dispatcher: CapabilityDispatcher;
      readonly clock: Clock;
      /** The reply queue's URL, the ASYNC_REQ's `reply_to`. */
      readonly replyTo: string;
      /** Tags request ids with the deployment's reply key (required on AWS; see requestIdOf). */
      readonly requestIds?: RequestIds;
    },
  ) {}

  async handle(payload: RequestTaskPayload): Promise<AsyncRequestMessage> {
    // Before any record or message: a request whose input cannot be built is never sent (as the engine).
    const input = await requestInput(payload.node, payload, payload.context, DEFAULT_EXPRESSION_LIMITS);
    if ('error' in input) throw new StepError(input.error, INPUT_MAPPING_FAILED);
    const now = this.deps.clock.now();
    const requestId = requestIdOf(payload, this.deps.requestIds);
    await this.deps.tokens.putIfAbsent({
      request_id: requestId,
      instance_id: payload.instance_id,
      node: payload.node,
      workflow_id: payload.workflow_id,
      capability_id: payload.capability_id,
      task_token: payload.task_token,
      // With a result mapping the reply bridge must complete the task with the reply's outputs alone,
      // unchecked (no context to merge into, no expected keys): `map_reply` checks and maps them next.
      context: payload.whole_reply ? {} : payload.context,
      ...(payload.expected_output_keys && !payload.whole_reply
        ? { expected_output_keys: payload.expected_output_keys }
        : {}),
      status: 'WAITING',
      created_at: now.toISOString(),
      expires_at: Math.floor(now.getTime() / 1000) + RECORD_RETENTION_SECONDS,
    });
    const request: AsyncRequestMessage = {
      type: 'ASYNC_REQ',
      instance_id: payload.instance_id,
      workflow_id: payload.workflow_id,
      node: payload.node,
      request_id: requestId,
      capability_id: payload.capability_id,
      input: input.input,
      expected_output_keys: [...(payload.expected_output_keys ?? [])],
      reply_to: this.deps.replyTo,
      sent_at: now.toISOString(),
    };
    const { undeliverable } = await this.deps.dispatcher.dispatch([request]);
    const failed = undeliverable[0];
    if (failed) {
      throw new StepError(
        { code: failed.error.code, message: failed.error.message, node: payload.node },
        UNDELIVERABLE_ERROR,
      );
    }
    return request;
  }
}
