import { setMaxListeners } from 'node:events';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { Command, END, GraphInterrupt, interrupt } from '@langchain/langgraph';
import { parseDuration } from '../definition/duration';
import type {
  AsyncRequestNode,
  ChoiceNode,
  EndNode,
  RetryPolicy,
  SetNode,
  SubWorkflowNode,
  SyncCallNode,
  WaitNode,
} from '../definition/workflow-schema';
import { SyncCapabilityError } from '../sync-capabilities/registry';
import type { EngineDependencies } from './engine-dependencies';
import { evaluateCondition, evaluateValue, ExpressionError } from './expression';
import type { BranchStructure } from './branch-structure';
import { clearStops, stopAt, stopKeysInside, stopKeysOf } from './branch-stops';
import type { Routing } from './routing';
import { BRANCH_FAILED_NODE, branchNodeName, retryNodeName, waitNodeName } from './routing';
import { parkedInterrupts } from './resume-target';
import { stateDelta } from './state-delta';
import { LONGEST_WAIT_MS, timeOf } from './wait-time';
import { childInstanceId } from './child-ids';
import { pick, requestInput } from './request-input';
import { visitLimitError, type RetryAttempt } from './visit-limit';
import { retryTimerId, waitTimerId } from './workflow-state';
import type {
  Context,
  HistoryEntry,
  OpenWait,
  WaitInterrupt,
  WaitResumeValue,
  WorkflowError,
  WorkflowStateUpdate,
  WorkflowStateValue,
} from './workflow-state';

export type NodeFn = (
  state: WorkflowStateValue,
  config: LangGraphRunnableConfig,
) => Promise<Command | WorkflowStateUpdate>;

export interface NodeBuildContext {
  readonly deps: EngineDependencies;
  readonly routing: Routing;
  readonly branches: BranchStructure;
  /** How many times a node may run in one instance (its `max_visits`, else the workflow's). */
  readonly visitLimit: (node: string) => number;
}

/**
 * The error of a node that would run once more than its `max_visits` allows (a loop that never exits),
 * or undefined. `visit` is the run about to happen (each attempt of a retried step counts); `retry`, when
 * that run is a retry of the node.
 */
export function overVisitLimit(
  name: string,
  visit: number,
  ctx: NodeBuildContext,
  retry?: RetryAttempt,
): WorkflowError | undefined {
  return visitLimitError(name, visit, ctx.visitLimit(name), retry);
}

export function instanceIdOf(config: LangGraphRunnableConfig): string {
  const id = config.configurable?.thread_id as unknown;
  if (typeof id !== 'string')
    throw new Error('a workflow runs with configurable.thread_id set to its instance id');
  return id;
}

/**
 * Fails the step `name` (whose state before it ran is `state`) to its own route, else out of its scope. A
 * step that fails its branch records where the branch stopped: a redrive runs it again from there.
 */
export function failWith(
  ctx: NodeBuildContext,
  name: string,
  ownTarget: string | undefined,
  error: WorkflowError,
  update: WorkflowStateUpdate,
  state: WorkflowStateValue,
): Command {
  const goto = ctx.routing.failureTarget(name, ownTarget);
  const stop = goto === BRANCH_FAILED_NODE ? stopAt(ctx.branches, name, state.context) : {};
  return new Command({ update: { ...update, ...stop, last_error: error }, goto });
}

/**
 * First half of an async_request: records the wait (request id, input, deadline) in state. It sends
 * nothing: the runtime dispatches waits only after the checkpoint holding them is durable (the outbox).
 * Request ids are `<instance>:<node>:<visit>:<tag>` (see RequestIds), so a re-run of this node computes the
 * same id, and only the capability that received it can answer it.
 */
export function asyncRequestPrepare(name: string, node: AsyncRequestNode, ctx: NodeBuildContext): NodeFn {
  return recordWait(name, node, ctx, () => ({
    kind: 'request',
    capability_id: node.capability_id,
    expected_output_keys: node.request_output_keys ?? [],
  }));
}

/**
 * Records the wait of a step that awaits an answer (a request's reply, a child's end): its id, its input
 * from `input`/`input_keys` (or why that failed: the wait half fails the step), its deadline from
 * `timeout`, and what `describe` says of it.
 */
function recordWait(
  name: string,
  node: Pick<AsyncRequestNode, 'input' | 'input_keys' | 'timeout'>,
  ctx: NodeBuildContext,
  describe: (
    instanceId: string,
    visit: number,
  ) => Pick<OpenWait, 'kind' | 'capability_id' | 'expected_output_keys' | 'child'>,
): NodeFn {
  return async (state, config) => {
    const visit = (state.visits[name] ?? 0) + 1;
    const instanceId = instanceIdOf(config);
    const requestId = ctx.deps.requestIds?.issue(instanceId, name, visit) ?? `${instanceId}:${name}:${visit}`;
    const now = ctx.deps.clock.now();
    const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
    const wait: OpenWait = {
      ...describe(instanceId, visit),
      request_id: requestId,
      node: name,
      since: now.toISOString(),
      deadline: timeoutMs === undefined ? null : new Date(now.getTime() + timeoutMs).toISOString(),
      input: {},
    };
    const built = await requestInput(name, node, state.context, ctx.deps.expressionLimits, ctx.deps.clock);
    const recorded =
      'error' in built ? { ...wait, input_error: built.error } : { ...wait, input: built.input };
    return { visits: { [name]: visit }, waits: { [requestId]: recorded } };
  };
}

/**
 * The context keys a step's outputs set: its `result` mapping (each a JSONata expression over the
 * outputs; one that selects nothing sets nothing), else the outputs as they are.
 */
async function mappedResult(
  outputs: Context,
  result: Readonly<Record<string, string>> | undefined,
  ctx: NodeBuildContext,
): Promise<Context> {
  if (result === undefined) return outputs;
  const mapped: Context = {};
  for (const [key, expression] of Object.entries(result)) {
    const value = await evaluateValue(expression, outputs, ctx.deps.expressionLimits, ctx.deps.clock);
    if (value !== undefined) mapped[key] = value;
  }
  return mapped;
}

/** What a step that awaits an answer (a capability's reply, a child's end) says about its routes. */
export type AwaitingStep = Pick<
  AsyncRequestNode,
  'on_response' | 'on_failure' | 'on_timeout' | 'timeout' | 'request_output_keys' | 'result' | 'retry'
>;

/**
 * First half of a sub_workflow: records the child it starts as a `child` wait (its instance id fixed by
 * this node and visit, its start context from `input`/`input_keys`). It starts nothing: the runtime sends
 * the child's START only after the checkpoint holding the wait is durable (the outbox, as for requests).
 */
export function subWorkflowStart(name: string, node: SubWorkflowNode, ctx: NodeBuildContext): NodeFn {
  return recordWait(name, node, ctx, (instanceId, visit) => ({
    kind: 'child',
    capability_id: '',
    expected_output_keys: [],
    child: {
      instance_id: childInstanceId(instanceId, name, visit),
      workflow_id: node.workflow_id,
      ...(node.definition_key === undefined ? {} : { definition_key: node.definition_key }),
    },
  }));
}

/** How a sub_workflow awaits its child: as a request, with `next` for a child that SUCCEEDED. */
export function awaitingChild(node: SubWorkflowNode): AwaitingStep {
  return {
    on_response: node.next,
    ...(node.on_failure === undefined ? {} : { on_failure: node.on_failure }),
    ...(node.on_timeout === undefined ? {} : { on_timeout: node.on_timeout }),
    ...(node.timeout === undefined ? {} : { timeout: node.timeout }),
    ...(node.result === undefined ? {} : { result: node.result }),
  };
}

/**
 * Second half of an async_request (and of a sub_workflow): interrupts until exactly one resume value (a
 * reply, a child's end, or a timeout) for its open wait arrives, then merges the outputs and routes. It
 * has no side effects, since LangGraph re-runs an interrupted node from the top on every resume.
 */
export function asyncRequestWait(name: string, node: AwaitingStep, ctx: NodeBuildContext): NodeFn {
  return (state, config) => {
    const wait = Object.values(state.waits).find((w) => w.node === name);
    if (!wait) throw new Error(`node ${name} has no open wait: the prepare step did not run`);
    // Checked before the interrupt, so the request of a run over the limit is never sent: the outbox
    // sends only waits still open when the step commits.
    // Each attempt of a retried request is a visit: a retry refused here ran out of visits to its own
    // attempts, not to a loop.
    const attempt = state.attempts[name] ?? 1;
    const retry = node.retry && attempt > 1 ? { attempt, maxAttempts: node.retry.max_attempts } : undefined;
    const over = overVisitLimit(name, state.visits[name] ?? 0, ctx, retry);
    if (over) {
      const at = ctx.deps.clock.now().toISOString();
      const update = {
        waits: { [wait.request_id]: null },
        history: [{ node: name, status: 'FAILED' as const, started_at: at, ended_at: at }],
      };
      return Promise.resolve(failWith(ctx, name, undefined, over, update, state));
    }
    if (wait.input_error) {
      const at = ctx.deps.clock.now().toISOString();
      const update = {
        waits: { [wait.request_id]: null },
        history: [{ node: name, status: 'FAILED' as const, started_at: at, ended_at: at }],
      };
      return Promise.resolve(failWith(ctx, name, node.on_failure, wait.input_error, update, state));
    }
    const parallels = ctx.branches.enclosing(name).map((m) => m.parallel);
    const resume = interrupt<WaitInterrupt, WaitResumeValue>({ ...wait, parallels });
    const child = wait.child ? { child_instance_id: wait.child.instance_id } : {};
    const history = (status: HistoryEntry['status']): HistoryEntry[] => [
      { node: name, status, started_at: wait.since, ended_at: resume.at, ...child },
    ];
    const closed = { waits: { [wait.request_id]: null } };

    if (resume.kind === 'cancelled') {
      return Promise.resolve(
        new Command({
          update: {
            ...closed,
            resolved: { [wait.request_id]: 'CANCELLED' as const },
            history: history('CANCELLED'),
            cancelled_parallels: { [resume.parallel]: true as const },
            attempts: { [name]: null },
            // Stopped before it completed: a redrive asks again (a new visit, so a new request id).
            ...stopAt(ctx.branches, name, state.context),
          },
          goto: END,
        }),
      );
    }
    if (resume.kind === 'timeout') {
      const error = {
        code: 'TIMEOUT',
        message: `${wait.child ? 'the child did not end' : 'no reply'} within ${node.timeout ?? 'the timeout'}`,
        node: name,
      };
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'TIMED_OUT' as const },
        history: history('TIMED_OUT'),
        attempts: { [name]: null },
      };
      if (node.on_timeout !== undefined) {
        return Promise.resolve(
          new Command({
            update: { ...update, last_error: error },
            goto: ctx.routing.target(name, node.on_timeout),
          }),
        );
      }
      return Promise.resolve(failWith(ctx, name, undefined, error, update, state));
    }
    if (resume.kind === 'undeliverable') {
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'FAILED' as const },
        history: history('FAILED'),
        attempts: { [name]: null },
      };
      // Not the capability's answer: its `on_failure` route is for replies, so the step fails outright.
      return Promise.resolve(failWith(ctx, name, undefined, { ...resume.error, node: name }, update, state));
    }
    if (resume.status === 'FAILURE') {
      const error = { code: resume.error.code, message: resume.error.message, node: name };
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'FAILED' as const },
        history: history('FAILED'),
      };
      const attempt = state.attempts[name] ?? 1;
      if (node.retry && attempt < node.retry.max_attempts) {
        return Promise.resolve(
          scheduleRetry(name, node.retry, attempt, state, config, ctx, { ...update, last_error: error }),
        );
      }
      return Promise.resolve(
        failWith(ctx, name, node.on_failure, error, { ...update, attempts: { [name]: null } }, state),
      );
    }
    const expected = node.request_output_keys;
    const missing = (expected ?? []).filter((key) => !(key in resume.outputs));
    if (missing.length > 0) {
      const error = {
        code: 'MISSING_OUTPUT_KEYS',
        message: `the reply lacks ${missing.map((k) => `'${k}'`).join(', ')}`,
        node: name,
      };
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'FAILED' as const },
        history: history('FAILED'),
        attempts: { [name]: null },
      };
      return Promise.resolve(failWith(ctx, name, node.on_failure, error, update, state));
    }
    // Declared keys only: a capability must not overwrite context it was not asked for.
    const outputs = expected === undefined ? resume.outputs : pick(resume.outputs, expected);
    return mappedResult(node.result === undefined ? outputs : resume.outputs, node.result, ctx).then(
      (context) =>
        new Command({
          update: {
            ...closed,
            context,
            resolved: { [wait.request_id]: 'REPLIED' as const },
            history: history('SUCCEEDED'),
            attempts: { [name]: null },
          },
          goto: ctx.routing.target(name, node.on_response),
        }),
      (error: unknown) => {
        const code = error instanceof ExpressionError ? error.code : 'EXPRESSION_FAILED';
        const failure = { code, message: `result: ${(error as Error).message}`, node: name };
        const update = {
          ...closed,
          resolved: { [wait.request_id]: 'REPLIED' as const },
          history: history('FAILED'),
          attempts: { [name]: null },
        };
        return failWith(ctx, name, node.on_failure, failure, update, state);
      },
    );
  };
}

/**
 * Runs one attempt of a registered synchronous capability, then routes. The capability sees a copy of the
 * context, and only its declared output keys are merged, so an attempt that fails (or misbehaves) changes
 * nothing. When an attempt fails and the retry policy allows another, the node waits on a durable timer
 * (`__retry__<node>`) and the invocation ends: no sleeping inside it, whatever the interval.
 */
export function syncCall(name: string, node: SyncCallNode, ctx: NodeBuildContext): NodeFn {
  const capability = ctx.deps.syncCapabilities[node.capability_id];
  const attempts = node.retry?.max_attempts ?? 1;
  return async (state, config) => {
    const started = ctx.deps.clock.now().toISOString();
    const attempt = state.attempts[name] ?? 1;
    // Visits make retry ids distinct when a loop comes back to this node; counted once per first attempt.
    const visits = attempt === 1 ? { [name]: (state.visits[name] ?? 0) + 1 } : {};
    const seen = { ...state, visits: { ...state.visits, ...visits } };
    let error: WorkflowError;
    const over = attempt === 1 ? overVisitLimit(name, visits[name] ?? 0, ctx) : undefined;
    if (over) {
      const history: HistoryEntry[] = [
        { node: name, status: 'FAILED', started_at: started, ended_at: started },
      ];
      return failWith(ctx, name, undefined, over, { history, attempts: { [name]: null }, visits }, state);
    }
    if (!capability) {
      error = { code: 'UNKNOWN_CAPABILITY', message: `no sync capability ${node.capability_id}`, node: name };
    } else {
      try {
        const context = structuredClone(state.context);
        const result = await capability({
          context,
          outputKeys: node.output_keys ?? [],
          node: name,
          params: structuredClone(node.with),
          evaluate: (expression) =>
            evaluateValue(expression, context, ctx.deps.expressionLimits, ctx.deps.clock),
        });
        const outputs = node.output_keys === undefined ? { ...result } : pick(result, node.output_keys);
        let mapped: Context;
        try {
          mapped = await mappedResult(
            structuredClone(node.result === undefined ? outputs : { ...result }),
            node.result,
            ctx,
          );
        } catch (thrown) {
          // The call succeeded: a mapping that fails is the definition's error, never retried.
          const at = ctx.deps.clock.now().toISOString();
          const code = thrown instanceof ExpressionError ? thrown.code : 'EXPRESSION_FAILED';
          return failWith(
            ctx,
            name,
            node.on_failure,
            { code, message: `result: ${(thrown as Error).message}`, node: name },
            {
              history: [{ node: name, status: 'FAILED', started_at: started, ended_at: at }],
              attempts: { [name]: null },
              visits,
            },
            state,
          );
        }
        const ended = ctx.deps.clock.now().toISOString();
        return new Command({
          update: {
            context: mapped,
            history: [{ node: name, status: 'SUCCEEDED', started_at: started, ended_at: ended }],
            attempts: { [name]: null },
            visits,
          },
          goto: ctx.routing.target(name, node.on_success),
        });
      } catch (thrown) {
        error = {
          code: thrown instanceof SyncCapabilityError ? thrown.code : 'SYNC_CAPABILITY_FAILED',
          message: `${thrown instanceof Error ? thrown.message : String(thrown)} (attempt ${attempt} of ${attempts})`,
          node: name,
        };
      }
    }
    const ended = ctx.deps.clock.now().toISOString();
    const history: HistoryEntry[] = [{ node: name, status: 'FAILED', started_at: started, ended_at: ended }];
    if (capability && node.retry && attempt < attempts) {
      return scheduleRetry(name, node.retry, attempt, seen, config, ctx, {
        history,
        last_error: error,
        visits,
      });
    }
    return failWith(
      ctx,
      name,
      node.on_failure,
      error,
      { history, attempts: { [name]: null }, visits },
      state,
    );
  };
}

/** The delay before attempt `attempt + 1`: `interval * backoff_rate^(attempt - 1)` (default 1 s, x2). */
export function retryDelayMs(retry: RetryPolicy, attempt: number): number {
  const intervalMs = retry.interval === undefined ? 1000 : (parseDuration(retry.interval) ?? 1000);
  return intervalMs * (retry.backoff_rate ?? 2) ** (attempt - 1);
}

/** Records a retry wait (a timer, nothing to send) and goes to the node's retry node to await it. */
function scheduleRetry(
  name: string,
  retry: RetryPolicy,
  attempt: number,
  state: WorkflowStateValue,
  config: LangGraphRunnableConfig,
  ctx: NodeBuildContext,
  update: WorkflowStateUpdate,
): Command {
  const now = ctx.deps.clock.now();
  const visit = state.visits[name] ?? 0;
  const wait: OpenWait = {
    kind: 'retry',
    request_id: retryTimerId(instanceIdOf(config), name, visit, attempt + 1),
    node: name,
    capability_id: '',
    since: now.toISOString(),
    deadline: new Date(now.getTime() + retryDelayMs(retry, attempt)).toISOString(),
    input: {},
    expected_output_keys: [],
  };
  return new Command({
    update: {
      ...update,
      attempts: { [name]: attempt + 1 },
      waits: { ...update.waits, [wait.request_id]: wait },
    },
    goto: retryNodeName(name),
  });
}

/**
 * Awaits a timer-only wait of `name` (a retry's delay, a wait node's time): interrupts until it fires,
 * then closes it and goes on as `elapsed` says. Like every waiting node it has no side effects (LangGraph
 * re-runs it on resume), and a failing sibling branch can stop it: the branch then ends, stopped here.
 */
function awaitTimer(
  name: string,
  kind: 'retry' | 'timer',
  ctx: NodeBuildContext,
  onCancel: (wait: OpenWait, at: string) => WorkflowStateUpdate,
  elapsed: (wait: OpenWait, at: string) => { update: WorkflowStateUpdate; goto: string },
): NodeFn {
  return (state) => {
    const wait = Object.values(state.waits).find((w) => w.node === name && w.kind === kind);
    if (!wait) throw new Error(`node ${name} has no ${kind} wait: the step before it did not record it`);
    const parallels = ctx.branches.enclosing(name).map((m) => m.parallel);
    const resume = interrupt<WaitInterrupt, WaitResumeValue>({ ...wait, parallels });
    const closed = { waits: { [wait.request_id]: null } };
    if (resume.kind === 'cancelled') {
      return Promise.resolve(
        new Command({
          update: {
            ...onCancel(wait, resume.at),
            ...closed,
            resolved: { [wait.request_id]: 'CANCELLED' as const },
            cancelled_parallels: { [resume.parallel]: true as const },
            ...stopAt(ctx.branches, name, state.context),
          },
          goto: END,
        }),
      );
    }
    const { update, goto } = elapsed(wait, resume.at);
    return Promise.resolve(
      new Command({
        update: { ...update, ...closed, resolved: { [wait.request_id]: 'REPLIED' as const } },
        goto,
      }),
    );
  };
}

/** Waits for a retry's timer, then goes back to the node for its next attempt. */
export function retryWait(name: string, ctx: NodeBuildContext): NodeFn {
  return awaitTimer(
    name,
    'retry',
    ctx,
    () => ({ attempts: { [name]: null } }),
    () => ({ update: {}, goto: name }),
  );
}

/**
 * A step computed inside the orchestrator from JSONata (a choice, a set node): counts its visit, refuses
 * one over `max_visits`, and turns a failing or over-limit expression into the step's failure (its
 * `onFailure` route, else the workflow's).
 */
function expressionStep(
  name: string,
  ctx: NodeBuildContext,
  onFailure: string | undefined,
  run: (state: WorkflowStateValue) => Promise<{ update: WorkflowStateUpdate; goto: string }>,
): NodeFn {
  return async (state) => {
    const at = ctx.deps.clock.now().toISOString();
    const visits = { [name]: (state.visits[name] ?? 0) + 1 };
    const entry = (status: HistoryEntry['status']): HistoryEntry[] => [
      { node: name, status, started_at: at, ended_at: at },
    ];
    const over = overVisitLimit(name, visits[name] ?? 0, ctx);
    if (over) return failWith(ctx, name, undefined, over, { history: entry('FAILED'), visits }, state);
    try {
      const { update, goto } = await run(state);
      return new Command({ update: { ...update, history: entry('SUCCEEDED'), visits }, goto });
    } catch (error) {
      const code = error instanceof ExpressionError ? error.code : 'EXPRESSION_FAILED';
      const failure = { code, message: (error as Error).message, node: name };
      return failWith(ctx, name, onFailure, failure, { history: entry('FAILED'), visits }, state);
    }
  };
}

/** Routes on the first choice whose JSONata expression is true over the context, else `default`. */
export function choice(name: string, node: ChoiceNode, ctx: NodeBuildContext): NodeFn {
  return expressionStep(name, ctx, undefined, async (state) => {
    let next = node.default;
    for (const option of node.choices) {
      if (await evaluateCondition(option.when, state.context, ctx.deps.expressionLimits, ctx.deps.clock)) {
        next = option.next;
        break;
      }
    }
    return { update: {}, goto: ctx.routing.target(name, next) };
  });
}

/**
 * Computes context keys: every expression over the context as it was before the step (so their order
 * does not matter), then all keys at once. A key whose expression selects nothing is left as it was.
 */
export function setNode(name: string, node: SetNode, ctx: NodeBuildContext): NodeFn {
  return expressionStep(name, ctx, node.on_failure, async (state) => {
    const values: Context = {};
    for (const [key, expression] of Object.entries(node.values)) {
      const value = await evaluateValue(expression, state.context, ctx.deps.expressionLimits, ctx.deps.clock);
      if (value !== undefined) values[key] = value;
    }
    return { update: { context: values }, goto: ctx.routing.target(name, node.next) };
  });
}

/**
 * How a step that failed as it began fails (an over-limit visit, a bad `until` or `items`): one FAILED
 * history entry at `at`, its visit counted, to `target` (its `on_failure`), else out of its scope.
 */
export function stepFailure(
  ctx: NodeBuildContext,
  name: string,
  at: string,
  visits: Record<string, number>,
  state: WorkflowStateValue,
): (error: WorkflowError, target: string | undefined) => Command {
  return (error, target) =>
    failWith(
      ctx,
      name,
      target,
      error,
      { history: [{ node: name, status: 'FAILED', started_at: at, ended_at: at }], visits },
      state,
    );
}

/**
 * First half of a wait node: works out when the wait ends (its duration from now, or the time its
 * `until` expression gives) and records it as a timer-only wait, which the second half awaits. A time
 * already past goes straight on. Like a request, it waits on a durable timer: the invocation ends.
 */
export function waitStart(name: string, node: WaitNode, ctx: NodeBuildContext): NodeFn {
  return async (state, config) => {
    const now = ctx.deps.clock.now();
    const at = now.toISOString();
    const visits = { [name]: (state.visits[name] ?? 0) + 1 };
    const visit = visits[name] ?? 1;
    const failed = stepFailure(ctx, name, at, visits, state);
    const over = overVisitLimit(name, visit, ctx);
    if (over) return failed(over, undefined);
    let until: number;
    try {
      until =
        node.duration !== undefined
          ? now.getTime() + (parseDuration(node.duration) ?? 0)
          : timeOf(
              await evaluateValue(node.until ?? '', state.context, ctx.deps.expressionLimits, ctx.deps.clock),
            );
    } catch (error) {
      const code = error instanceof ExpressionError ? error.code : 'INVALID_WAIT';
      return failed({ code, message: (error as Error).message, node: name }, node.on_failure);
    }
    if (until - now.getTime() > LONGEST_WAIT_MS) {
      const message = `wait until ${new Date(until).toISOString()} is more than a year away`;
      return failed({ code: 'INVALID_WAIT', message, node: name }, node.on_failure);
    }
    if (until <= now.getTime()) {
      const history: HistoryEntry[] = [{ node: name, status: 'SUCCEEDED', started_at: at, ended_at: at }];
      return new Command({ update: { history, visits }, goto: ctx.routing.target(name, node.next) });
    }
    const wait: OpenWait = {
      kind: 'timer',
      request_id: waitTimerId(instanceIdOf(config), name, visit),
      node: name,
      capability_id: '',
      since: at,
      deadline: new Date(until).toISOString(),
      input: {},
      expected_output_keys: [],
    };
    return new Command({ update: { visits, waits: { [wait.request_id]: wait } }, goto: waitNodeName(name) });
  };
}

/** Second half of a wait node: waits for its timer, then goes to `next`. */
export function waitTimer(name: string, node: WaitNode, ctx: NodeBuildContext): NodeFn {
  const entry = (status: HistoryEntry['status'], wait: OpenWait, at: string): HistoryEntry[] => [
    { node: name, status, started_at: wait.since, ended_at: at },
  ];
  return awaitTimer(
    name,
    'timer',
    ctx,
    (wait, at) => ({ history: entry('CANCELLED', wait, at) }),
    (wait, at) => ({
      update: { history: entry('SUCCEEDED', wait, at) },
      goto: ctx.routing.target(name, node.next),
    }),
  );
}

/**
 * Fans out: the branches follow by static edges, so they start in the same superstep. Where branches of
 * an earlier run of this parallel stopped is forgotten: they start from their first nodes.
 */
export function parallel(name: string, ctx: NodeBuildContext): NodeFn {
  const keys = stopKeysOf(ctx.branches, name);
  return (state) => {
    const at = ctx.deps.clock.now().toISOString();
    return Promise.resolve({
      history: [{ node: name, status: 'SUCCEEDED', started_at: at, ended_at: at }],
      ...clearStops(keys, state.stopped),
    });
  };
}

export function endNode(name: string, node: EndNode, ctx: NodeBuildContext): NodeFn {
  return (state) => {
    const at = ctx.deps.clock.now().toISOString();
    const status = node.status ?? 'SUCCEEDED';
    const output = node.output_keys === undefined ? undefined : pick(state.context, node.output_keys);
    const error =
      status === 'FAILED'
        ? (state.last_error ?? { code: 'FAILED', message: `ended at ${name}`, node: name })
        : undefined;
    return Promise.resolve(
      new Command({
        update: {
          history: [{ node: name, status, started_at: at, ended_at: at }],
          outcome: { status, node: name, ...(output ? { output } : {}), ...(error ? { error } : {}) },
        },
        goto: END,
      }),
    );
  };
}

/** Ends a branch whose failure has no route of its own: its parallel's gate routes on. */
export function branchFailedNode(parallel: string): NodeFn {
  return (state) =>
    Promise.resolve(
      new Command({
        update: {
          branch_failures: {
            [parallel]: state.last_error ?? {
              code: 'BRANCH_FAILED',
              message: `a branch of ${parallel} failed`,
            },
          },
        },
        goto: END,
      }),
    );
}

/**
 * Runs after every branch of a parallel has ended: goes to the join, or to the parallel's failure route
 * when a branch failed, or ends this (outer) branch when an enclosing parallel was cancelled.
 *
 * Where its branches stopped is kept on the failure route, whatever it is (its `on_failure` may end the
 * instance FAILED with the branch's error, which a redrive resumes), and forgotten on the way to the join.
 * A failure that ends the branch this parallel is nested in records that the branch stopped here.
 */
export function joinGate(parallel: string, join: string, ctx: NodeBuildContext): NodeFn {
  const keys = stopKeysOf(ctx.branches, parallel);
  return (state) => {
    const cleared = { branch_failures: { [parallel]: null }, cancelled_parallels: { [parallel]: null } };
    if (ctx.branches.enclosing(parallel).some((m) => state.cancelled_parallels[m.parallel])) {
      return Promise.resolve(
        new Command({ update: { ...cleared, ...stopAt(ctx.branches, parallel, state.context) }, goto: END }),
      );
    }
    const termination = terminationOf(parallel, ctx, state);
    if (termination) return Promise.resolve(termination);
    const failure = state.branch_failures[parallel];
    if (failure) {
      const goto = ctx.routing.parallelFailureTarget(parallel);
      // Its branch stopped here, if the failure ends it.
      const stop = goto === BRANCH_FAILED_NODE ? stopAt(ctx.branches, parallel, state.context) : {};
      return Promise.resolve(new Command({ update: { ...cleared, ...stop, last_error: failure }, goto }));
    }
    return Promise.resolve(
      new Command({ update: clearStops(keys, state.stopped), goto: ctx.routing.target(parallel, join) }),
    );
  };
}

/** LangGraph's configurable key holding the run's abort signals, which every nested loop listens on. */
const ABORT_SIGNALS_KEY = '__pregel_abort_signals';

/**
 * Each branch's subgraph adds an abort listener to the signals of the run it is part of (the task's signal,
 * and the run's external and composed signals LangGraph passes down): one listener per branch, removed
 * when the branch's loop ends, which is no leak. Node would warn of one past 10 listeners, so a parallel
 * of more than 10 branches lifts the limit on those signals.
 */
function allowListenerPerBranch(config: LangGraphRunnableConfig): void {
  const passedDown = config.configurable?.[ABORT_SIGNALS_KEY] as Record<string, unknown> | undefined;
  const signals = [config.signal, ...Object.values(passedDown ?? {})].filter(
    (s): s is AbortSignal => s instanceof AbortSignal,
  );
  if (signals.length > 0) setMaxListeners(0, ...signals);
}

/**
 * Runs one branch as its own subgraph, so branches advance independently; returns only its changes.
 *
 * Resuming a parallel where its branches stopped (a redrive: the state records where some branch of this
 * parallel stopped, which its fan-out would have forgotten): a branch that stopped runs from there, with
 * its context as it was then (its subgraph starts at that node, see `compileWorkflow`), and its changes
 * are those against that context; a branch that completed does not run again. A branch that completes
 * forgets where it, and the parallels nested in it, stopped.
 */
export function branchRunner(
  subgraph: { invoke(input: WorkflowStateValue, config: LangGraphRunnableConfig): Promise<unknown> },
  own: { readonly parallel: string; readonly branch: string },
  branches: BranchStructure,
): NodeFn {
  const inside = (node: string) =>
    branches.enclosing(node).some((m) => m.parallel === own.parallel && m.branch === own.branch);
  const key = branchNodeName(own.parallel, own.branch);
  const siblings = branches
    .branchesWithin({ parallel: own.parallel })
    .filter((b) => b.parallel === own.parallel)
    .map((b) => branchNodeName(b.parallel, b.branch));
  const mine = [key, ...stopKeysInside(branches, own.parallel, own.branch)];
  return async (state, config) => {
    const parked = parkedInterrupts(config, inside);
    if (parked) throw new GraphInterrupt(parked);
    const stop = state.stopped?.[key];
    const resuming = siblings.some((k) => state.stopped?.[k] !== undefined);
    if (resuming && !stop) return {};
    const input: WorkflowStateValue = stop ? { ...state, context: { ...stop.context } } : state;
    allowListenerPerBranch(config);
    const after = (await subgraph.invoke(input, config)) as WorkflowStateValue;
    const delta = stateDelta(input, after);
    const stoppedAgain =
      after.branch_failures[own.parallel] !== undefined ||
      Object.values(after.cancelled_parallels).some(Boolean) ||
      after.terminations?.[key] !== undefined;
    if (stoppedAgain) return delta;
    const forgotten = clearStops(mine, after.stopped).stopped;
    return forgotten ? { ...delta, stopped: { ...delta.stopped, ...forgotten } } : delta;
  };
}

/**
 * Ends a branch that reached `end`, an end node outside its parallel (a shared end, Conductor's
 * TERMINATE): records the termination, which makes the runtime stop the sibling branches still waiting
 * (as a failing branch does) and the parallel's gate route to `end` once they have (see `terminationOf`).
 * The branch's changes so far reach the parent as any branch's do.
 *
 * A FAILED end is where a redrive can start: the branch records that it stopped at the step its last
 * error names (or at the parallel nested in it that holds that step), as a branch that fails does, so a
 * redrive runs that step again and resumes the stopped siblings where they stopped.
 */
export function terminateNode(
  end: string,
  own: { readonly parallel: string; readonly branch: string },
  status: 'SUCCEEDED' | 'FAILED',
  ctx: NodeBuildContext,
): NodeFn {
  const key = branchNodeName(own.parallel, own.branch);
  return (state) => {
    const failed = status === 'FAILED' ? state.last_error?.node : undefined;
    const at = failed === undefined ? undefined : stepOfBranch(failed, own, ctx.branches);
    const stop = at === undefined ? {} : stopAt(ctx.branches, at, state.context);
    return Promise.resolve(
      new Command({
        update: {
          terminations: { [key]: { parallel: own.parallel, end, error: state.last_error } },
          ...stop,
        },
        goto: END,
      }),
    );
  };
}

/**
 * The node of the branch `own` that holds `node`: `node` itself when it is compiled in that branch, the
 * parallel nested in the branch that (at some depth) holds it, or none when `node` is outside the branch.
 */
function stepOfBranch(
  node: string,
  own: { readonly parallel: string; readonly branch: string },
  branches: BranchStructure,
): string | undefined {
  const chain = branches.enclosing(node);
  const index = chain.findIndex((m) => m.parallel === own.parallel && m.branch === own.branch);
  if (index < 0) return undefined;
  return index === 0 ? node : chain[index - 1]?.parallel;
}

/**
 * The gate's route when a branch of `parallel` reached a shared end: to that end, or, when the parallel
 * is nested in a branch, out of that branch the same way (so the termination climbs every level). Two
 * branches that reached one in the same superstep: the first in `branches` order wins. A termination
 * wins over a failing sibling: the instance ends, whatever the parallel's `on_failure` says.
 */
function terminationOf(
  parallel: string,
  ctx: NodeBuildContext,
  state: WorkflowStateValue,
): Command | undefined {
  const runners = ctx.branches
    .branchesWithin({ parallel })
    .filter((b) => b.parallel === parallel)
    .map((b) => branchNodeName(parallel, b.branch));
  const winner = runners.map((runner) => state.terminations?.[runner]).find((t) => t !== undefined);
  if (!winner) return undefined;
  const cleared = {
    branch_failures: { [parallel]: null },
    cancelled_parallels: { [parallel]: null },
    terminations: Object.fromEntries(
      runners.filter((runner) => state.terminations?.[runner] !== undefined).map((r) => [r, null]),
    ),
  };
  // The winner's last error, not a sibling's that may have been applied after it in the same step.
  const update = { ...cleared, last_error: winner.error ?? null };
  return new Command({ update, goto: ctx.routing.target(parallel, winner.end) });
}

/** Where failures with no route end: the instance FAILED with the last error. */
export function failNode(): NodeFn {
  return (state) =>
    Promise.resolve(
      new Command({
        update: {
          outcome: {
            status: 'FAILED',
            node: state.last_error?.node ?? 'unknown',
            error: state.last_error ?? { code: 'FAILED', message: 'the workflow failed' },
          },
        },
        goto: END,
      }),
    );
}

export { waitNodeName };
