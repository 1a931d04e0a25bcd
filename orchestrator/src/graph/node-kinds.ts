import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { Command, END, interrupt } from '@langchain/langgraph';
import { parseDuration } from '../definition/duration';
import type { AsyncRequestNode, ChoiceNode, EndNode, SyncCallNode } from '../definition/workflow-schema';
import { SyncCapabilityError } from '../sync-capabilities/registry';
import type { EngineDependencies } from './engine-dependencies';
import { evaluateCondition, ExpressionError } from './expression';
import type { BranchStructure } from './branch-structure';
import type { Routing } from './routing';
import { waitNodeName } from './routing';
import { stateDelta } from './state-delta';
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
}

function instanceIdOf(config: LangGraphRunnableConfig): string {
  const id = config.configurable?.thread_id as unknown;
  if (typeof id !== 'string')
    throw new Error('a workflow runs with configurable.thread_id set to its instance id');
  return id;
}

function pick(context: Context, keys: readonly string[] | undefined): Context {
  if (keys === undefined) return { ...context };
  return Object.fromEntries(keys.filter((k) => k in context).map((k) => [k, context[k]]));
}

function failWith(
  ctx: NodeBuildContext,
  name: string,
  ownTarget: string | undefined,
  error: WorkflowError,
  update: WorkflowStateUpdate,
): Command {
  return new Command({
    update: { ...update, last_error: error },
    goto: ctx.routing.failureTarget(name, ownTarget),
  });
}

/**
 * First half of an async_request: records the wait (request id, input, deadline) in state. It sends
 * nothing: the runtime dispatches waits only after the checkpoint holding them is durable (the outbox).
 * Request ids are `<instance>:<node>:<visit>`, so a re-run of this node computes the same id.
 */
export function asyncRequestPrepare(name: string, node: AsyncRequestNode, ctx: NodeBuildContext): NodeFn {
  return (state, config) => {
    const visit = (state.visits[name] ?? 0) + 1;
    const requestId = `${instanceIdOf(config)}:${name}:${visit}`;
    const now = ctx.deps.clock.now();
    const timeoutMs = node.timeout === undefined ? undefined : parseDuration(node.timeout);
    const wait: OpenWait = {
      request_id: requestId,
      node: name,
      capability_id: node.capability_id,
      since: now.toISOString(),
      deadline: timeoutMs === undefined ? null : new Date(now.getTime() + timeoutMs).toISOString(),
      input: pick(state.context, node.input_keys),
      expected_output_keys: node.request_output_keys ?? [],
    };
    return Promise.resolve({ visits: { [name]: visit }, waits: { [requestId]: wait } });
  };
}

/**
 * Second half of an async_request: interrupts until exactly one resume value (a reply or a timeout) for
 * its open wait arrives, then merges the reply and routes. It has no side effects, since LangGraph re-runs
 * an interrupted node from the top on every resume.
 */
export function asyncRequestWait(name: string, node: AsyncRequestNode, ctx: NodeBuildContext): NodeFn {
  return (state) => {
    const wait = Object.values(state.waits).find((w) => w.node === name);
    if (!wait) throw new Error(`node ${name} has no open wait: the prepare step did not run`);
    const parallels = ctx.branches.enclosing(name).map((m) => m.parallel);
    const resume = interrupt<WaitInterrupt, WaitResumeValue>({ ...wait, parallels });
    const history = (status: HistoryEntry['status']): HistoryEntry[] => [
      { node: name, status, started_at: wait.since, ended_at: resume.at },
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
          },
          goto: END,
        }),
      );
    }
    if (resume.kind === 'timeout') {
      const error = {
        code: 'TIMEOUT',
        message: `no reply within ${node.timeout ?? 'the timeout'}`,
        node: name,
      };
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'TIMED_OUT' as const },
        history: history('TIMED_OUT'),
      };
      if (node.on_timeout !== undefined) {
        return Promise.resolve(
          new Command({
            update: { ...update, last_error: error },
            goto: ctx.routing.target(name, node.on_timeout),
          }),
        );
      }
      return Promise.resolve(failWith(ctx, name, undefined, error, update));
    }
    if (resume.status === 'FAILURE') {
      const error = { code: resume.error.code, message: resume.error.message, node: name };
      const update = {
        ...closed,
        resolved: { [wait.request_id]: 'FAILED' as const },
        history: history('FAILED'),
      };
      return Promise.resolve(failWith(ctx, name, node.on_failure, error, update));
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
      };
      return Promise.resolve(failWith(ctx, name, node.on_failure, error, update));
    }
    // Declared keys only: a capability must not overwrite context it was not asked for.
    const outputs = expected === undefined ? resume.outputs : pick(resume.outputs, expected);
    return Promise.resolve(
      new Command({
        update: {
          ...closed,
          context: outputs,
          resolved: { [wait.request_id]: 'REPLIED' as const },
          history: history('SUCCEEDED'),
        },
        goto: ctx.routing.target(name, node.on_response),
      }),
    );
  };
}

/** Runs a registered synchronous capability with the node's retry policy, then routes. */
export function syncCall(name: string, node: SyncCallNode, ctx: NodeBuildContext): NodeFn {
  const capability = ctx.deps.syncCapabilities[node.capability_id];
  const attempts = node.retry?.max_attempts ?? 1;
  const intervalMs = node.retry?.interval === undefined ? 1000 : (parseDuration(node.retry.interval) ?? 1000);
  const backoff = node.retry?.backoff_rate ?? 2;
  return async (state) => {
    const started = ctx.deps.clock.now().toISOString();
    let lastError: WorkflowError = {
      code: 'UNKNOWN_CAPABILITY',
      message: `no sync capability ${node.capability_id}`,
      node: name,
    };
    for (let attempt = 1; capability && attempt <= attempts; attempt++) {
      try {
        const result = await capability({
          context: state.context,
          outputKeys: node.output_keys ?? [],
          node: name,
        });
        const outputs = node.output_keys === undefined ? result : pick(result, node.output_keys);
        const history: HistoryEntry[] = [
          {
            node: name,
            status: 'SUCCEEDED',
            started_at: started,
            ended_at: ctx.deps.clock.now().toISOString(),
          },
        ];
        return new Command({
          update: { context: outputs, history },
          goto: ctx.routing.target(name, node.on_success),
        });
      } catch (error) {
        lastError = {
          code: error instanceof SyncCapabilityError ? error.code : 'SYNC_CAPABILITY_FAILED',
          message: `${error instanceof Error ? error.message : String(error)} (attempt ${attempt} of ${attempts})`,
          node: name,
        };
        if (attempt < attempts) await ctx.deps.clock.sleep(intervalMs * backoff ** (attempt - 1));
      }
    }
    const history: HistoryEntry[] = [
      { node: name, status: 'FAILED', started_at: started, ended_at: ctx.deps.clock.now().toISOString() },
    ];
    return failWith(ctx, name, node.on_failure, lastError, { history });
  };
}

/** Routes on the first choice whose JSONata expression is true over the context, else `default`. */
export function choice(name: string, node: ChoiceNode, ctx: NodeBuildContext): NodeFn {
  return async (state) => {
    const at = ctx.deps.clock.now().toISOString();
    try {
      let next = node.default;
      for (const option of node.choices) {
        if (await evaluateCondition(option.when, state.context, ctx.deps.expressionLimits)) {
          next = option.next;
          break;
        }
      }
      const history: HistoryEntry[] = [{ node: name, status: 'SUCCEEDED', started_at: at, ended_at: at }];
      return new Command({ update: { history }, goto: ctx.routing.target(name, next) });
    } catch (error) {
      const code = error instanceof ExpressionError ? error.code : 'EXPRESSION_FAILED';
      const history: HistoryEntry[] = [{ node: name, status: 'FAILED', started_at: at, ended_at: at }];
      return failWith(
        ctx,
        name,
        undefined,
        { code, message: (error as Error).message, node: name },
        { history },
      );
    }
  };
}

/** Fans out: the branches follow by static edges, so they start in the same superstep. */
export function parallel(name: string, ctx: NodeBuildContext): NodeFn {
  return () => {
    const at = ctx.deps.clock.now().toISOString();
    return Promise.resolve({ history: [{ node: name, status: 'SUCCEEDED', started_at: at, ended_at: at }] });
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
 */
export function joinGate(parallel: string, join: string, ctx: NodeBuildContext): NodeFn {
  return (state) => {
    const cleared = { branch_failures: { [parallel]: null }, cancelled_parallels: { [parallel]: null } };
    if (ctx.branches.enclosing(parallel).some((m) => state.cancelled_parallels[m.parallel])) {
      return Promise.resolve(new Command({ update: cleared, goto: END }));
    }
    const failure = state.branch_failures[parallel];
    if (failure) {
      return Promise.resolve(
        new Command({
          update: { ...cleared, last_error: failure },
          goto: ctx.routing.parallelFailureTarget(parallel),
        }),
      );
    }
    return Promise.resolve(new Command({ goto: ctx.routing.target(parallel, join) }));
  };
}

/** Runs one branch as its own subgraph, so branches advance independently; returns only its changes. */
export function branchRunner(subgraph: {
  invoke(input: WorkflowStateValue, config: LangGraphRunnableConfig): Promise<unknown>;
}): NodeFn {
  return async (state, config) => {
    const after = (await subgraph.invoke(state, config)) as WorkflowStateValue;
    return stateDelta(state, after);
  };
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
