import { isDeepStrictEqual } from 'node:util';
import {
  DEFAULT_EXPRESSION_LIMITS,
  evaluateCondition,
  evaluateValue,
  ExpressionError,
} from '../graph/expression';
import { systemClock, type Clock } from '../graph/engine-dependencies';
import { LONGEST_WAIT_MS, timeOf } from '../graph/wait-time';
import type { Context, WorkflowError } from '../graph/workflow-state';
import { SyncCapabilityError, type SyncCapability } from '../sync-capabilities/registry';
import { ChildSteps } from './child-steps';
import { mappedResult } from './result-mapping';
import { ownFields, workflowErrorOf, type MachineState } from './machine-state';
import { MISSING_OUTPUT_KEYS, StepError } from './step-error';
import type {
  ChoosePayload,
  ChooseResult,
  FinishedOutcome,
  FinishPayload,
  MapReplyPayload,
  MergePayload,
  SetPayload,
  StepPayload,
  SyncCallPayload,
  TerminatePayload,
  TerminateResult,
  WaitUntilPayload,
  WaitUntilResult,
} from './step-payloads';

/**
 * The steps a generated state machine runs in the project's steps Lambda, each exactly as the engine's
 * node of the same kind does it (graph/node-kinds.ts), so both modes compute the same context, routes,
 * outcomes and error codes. Pure: the sync capabilities are injected, nothing else is touched.
 */
export class EngineSteps {
  constructor(
    private readonly syncCapabilities: Readonly<Record<string, SyncCapability>>,
    /** The time a wait's `until` is compared with (the engine's clock in the engine). */
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {}

  private readonly children = new ChildSteps();

  run(payload: StepPayload): Promise<MachineState | ChooseResult | WaitUntilResult | TerminateResult> {
    switch (payload.action) {
      case 'child_start':
        return this.children.childStart(payload);
      case 'child_output':
        return this.children.childOutput(payload);
      case 'child_failed':
        return Promise.resolve(this.children.childFailed(payload));
      case 'map_items':
        return this.children.mapItems(payload);
      case 'map_collect':
        return Promise.resolve(this.children.mapCollect(payload));
      case 'map_failed':
        return Promise.resolve(this.children.mapFailed(payload));
      case 'sync_call':
        return this.syncCall(payload);
      case 'choose':
        return this.choose(payload);
      case 'set':
        return this.set(payload);
      case 'wait_until':
        return this.waitUntil(payload);
      case 'merge':
        return Promise.resolve(this.merge(payload));
      case 'finish':
        return Promise.resolve(this.finish(payload));
      case 'map_reply':
        return this.mapReply(payload);
      case 'terminate':
        return Promise.resolve(this.terminate(payload));
    }
  }

  /**
   * One attempt of a sync capability. It sees a copy of the context and only its declared outputs are
   * merged; a failure throws, and the state's Retry (the node's retry policy) decides about another.
   * Unlike the engine's message, a failure's says nothing about the attempt number: the local executor
   * this is proved on has no `$$.State.RetryCount` to pass it.
   */
  async syncCall(payload: SyncCallPayload): Promise<MachineState> {
    const { node, capability_id: id, state } = payload;
    const capability = Object.hasOwn(this.syncCapabilities, id) ? this.syncCapabilities[id] : undefined;
    if (!capability) {
      throw new StepError({ code: 'UNKNOWN_CAPABILITY', message: `no sync capability ${id}`, node });
    }
    let result: Record<string, unknown>;
    try {
      const context = structuredClone(state.context);
      result = await capability({
        context,
        outputKeys: payload.output_keys ?? [],
        node,
        params: structuredClone(payload.with),
        evaluate: (expression) => evaluateValue(expression, context, DEFAULT_EXPRESSION_LIMITS),
      });
    } catch (thrown) {
      throw new StepError({
        code: thrown instanceof SyncCapabilityError ? thrown.code : 'SYNC_CAPABILITY_FAILED',
        message: thrown instanceof Error ? thrown.message : String(thrown),
        node,
      });
    }
    const outputs = payload.output_keys === undefined ? { ...result } : pick(result, payload.output_keys);
    if (payload.result === undefined) {
      return { ...state, context: { ...state.context, ...structuredClone(outputs) } };
    }
    // As the engine's sync_call: the mapping reads the whole result; a key that selects nothing is not set.
    const mapped = await mappedResult(node, payload.result, structuredClone({ ...result }));
    return { ...state, context: { ...state.context, ...mapped } };
  }

  /**
   * A SUCCESS reply to an async_request with a `result` mapping, as the engine's wait step takes it
   * (graph/node-kinds.ts `asyncRequestWait`): a missing expected key fails with MISSING_OUTPUT_KEYS, then
   * every `result` expression reads the reply's whole outputs; the keys they select are merged.
   */
  async mapReply(payload: MapReplyPayload): Promise<MachineState> {
    const { node, state } = payload;
    const { reply, ...rest } = state;
    const missing = (payload.expected_output_keys ?? []).filter((key) => !(key in reply));
    if (missing.length > 0) {
      const message = `the reply lacks ${missing.map((k) => `'${k}'`).join(', ')}`;
      throw new StepError({ code: MISSING_OUTPUT_KEYS, message, node });
    }
    const mapped = await mappedResult(node, payload.result, reply);
    return { ...ownFields(rest), context: { ...rest.context, ...mapped } };
  }

  /**
   * A branch that reached a shared end: its state as the JSON text a Fail state's cause carries. Step
   * Functions truncates nothing here, it limits a cause to 32,768 characters: a larger state fails the
   * branch with SHARED_END_STATE_TOO_LARGE rather than reach the end with part of it (a difference from
   * the engine, which has no such limit; see docs/step-functions.md).
   */
  terminate(payload: TerminatePayload): TerminateResult {
    const cause = JSON.stringify(payload.state);
    if (cause.length > MAX_CAUSE_LENGTH) {
      throw new StepError({
        code: 'SHARED_END_STATE_TOO_LARGE',
        message: `the state that reaches end node ${payload.end} is ${cause.length} characters as JSON, more than the ${MAX_CAUSE_LENGTH} a Step Functions error cause carries`,
        node: payload.end,
      });
    }
    return { cause };
  }

  /** The index of the first condition that is `true` over the context, else -1 (the default). */
  async choose(payload: ChoosePayload): Promise<ChooseResult> {
    try {
      for (const [index, condition] of payload.conditions.entries()) {
        if (await evaluateCondition(condition, payload.context, DEFAULT_EXPRESSION_LIMITS)) return { index };
      }
      return { index: -1 };
    } catch (error) {
      throw expressionStepError(error, 'EXPRESSION_FAILED', payload.node);
    }
  }

  /**
   * A set node's values, every expression over the context as it was before the step, then all keys at
   * once; a key whose expression selects nothing is left as it was (graph/node-kinds.ts `setNode`).
   */
  async set(payload: SetPayload): Promise<MachineState> {
    const { node, state } = payload;
    const values: Context = {};
    try {
      for (const [key, expression] of Object.entries(payload.values)) {
        const value = await evaluateValue(expression, state.context, DEFAULT_EXPRESSION_LIMITS);
        if (value !== undefined) values[key] = value;
      }
    } catch (error) {
      throw expressionStepError(error, 'EXPRESSION_FAILED', node);
    }
    return { ...state, context: { ...state.context, ...values } };
  }

  /**
   * When a wait node's `until` ends, by the engine's rules (graph/node-kinds.ts `waitStart`): a failing
   * expression fails with its code, anything but a time with INVALID_WAIT, as does a time more than a
   * year away. A past time is returned as it is: the Wait state after it then goes straight on.
   */
  async waitUntil(payload: WaitUntilPayload): Promise<WaitUntilResult> {
    const { node } = payload;
    const now = this.clock.now().getTime();
    let until: number;
    try {
      until = timeOf(await evaluateValue(payload.until, payload.context, DEFAULT_EXPRESSION_LIMITS));
    } catch (error) {
      throw expressionStepError(error, 'INVALID_WAIT', node);
    }
    if (until - now > LONGEST_WAIT_MS) {
      const message = `wait until ${new Date(until).toISOString()} is more than a year away`;
      throw new StepError({ code: 'INVALID_WAIT', message, node });
    }
    // A past time (any, even one before 1970 or beyond what a date holds) is a past time for the Wait.
    return { until: new Date(Math.max(until, 0)).toISOString() };
  }

  /**
   * Applies each branch's changes to the parallel's input state, in branch order: a key a branch did not
   * change keeps the value another branch gave it (no lost update), as the engine applies branch deltas.
   */
  merge(payload: MergePayload): MachineState {
    const { branches, ...before } = payload.state;
    const context: Context = { ...before.context };
    let lastError = before.last_error;
    const visits: Record<string, number> = { ...before.visits };
    const counts: Record<string, { n: number }> = { ...before.counts };
    for (const branch of branches) {
      for (const [key, value] of Object.entries(branch.context)) {
        if (!(key in before.context) || !isDeepStrictEqual(before.context[key], value)) context[key] = value;
      }
      if (!isDeepStrictEqual(branch.last_error, before.last_error)) lastError = branch.last_error;
      for (const [node, count] of Object.entries(branch.visits ?? {})) {
        visits[node] = Math.max(visits[node] ?? 0, count);
      }
      for (const [node, count] of Object.entries(branch.counts ?? {})) {
        counts[node] = { n: Math.max(counts[node]?.n ?? 0, count.n) };
      }
    }
    return {
      context,
      last_error: lastError,
      ...(Object.keys(visits).length > 0 ? { visits } : {}),
      ...(before.counts === undefined ? {} : { counts }),
    };
  }

  /**
   * The outcome of an `end` node: its output keys that the context has, and for a FAILED end the last
   * error (or `FAILED`, when no failure route led here).
   */
  finish(payload: FinishPayload): MachineState & { readonly outcome: FinishedOutcome } {
    const { node, status, state } = payload;
    const output = payload.output_keys === undefined ? undefined : pick(state.context, payload.output_keys);
    if (status === 'SUCCEEDED') {
      return { ...state, outcome: { status, node, ...(output ? { output } : {}) } };
    }
    const error: WorkflowError = state.last_error
      ? workflowErrorOf(state.last_error)
      : { code: 'FAILED', message: `ended at ${node}`, node };
    const cause = JSON.stringify({ ...error, ...(output ? { output } : {}) });
    return { ...state, outcome: { status, node, ...(output ? { output } : {}), error, cause } };
  }
}

/** The longest error cause Step Functions records (ExecutionFailedEventDetails.cause). */
const MAX_CAUSE_LENGTH = 32_768;

/** A failing expression step's error: the evaluator's own code, else `fallback` (as the engine's steps). */
function expressionStepError(error: unknown, fallback: string, node: string): StepError {
  const code = error instanceof ExpressionError ? error.code : fallback;
  return new StepError({ code, message: (error as Error).message, node });
}

function pick(values: Readonly<Record<string, unknown>>, keys: readonly string[]): Context {
  return Object.fromEntries(keys.filter((k) => k in values).map((k) => [k, values[k]]));
}
