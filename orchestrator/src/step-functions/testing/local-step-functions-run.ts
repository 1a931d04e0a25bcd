import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslState, StateMachineBody, StateMachineDefinition } from '../../asl/asl-types';
import {
  childMachinePlaceholder,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  placeholder,
  START_EXECUTION_SYNC,
} from '../../asl/asl-names';
import { MockCapabilities, type CapabilityMocks } from '../../capability-mocks/capability-mocks';
import type { WorkflowDefinition } from '../../definition/workflow-schema';
import { BranchStructure } from '../../graph/branch-structure';
import { systemClock } from '../../graph/engine-dependencies';
import type { Context, HistoryEntry, WorkflowError } from '../../graph/workflow-state';
import type { AsyncRequestMessage, CapabilityMessage } from '../../runtime/messages';
import type { CapabilityDispatcher, DispatchReport } from '../../runtime/ports';
import { builtinSyncCapabilities, type SyncCapability } from '../../sync-capabilities/registry';
import { EngineSteps } from '../engine-steps';
import { initialMachineState, workflowErrorOf, type MachineState } from '../machine-state';
import { ReplyBridge, type ReplyOutcome } from '../reply-bridge';
import { RequestDispatch } from '../request-dispatch';
import type { FinishedOutcome, RequestTaskPayload, StepPayload } from '../step-payloads';
import { MemoryTaskTokenStore, type TaskTokenStore } from '../task-token-store';
import { LocalTaskCompletion } from './local-task-completion';
import { ensurePromiseWithResolvers } from './promise-with-resolvers';
import { stateTransitions } from './state-transitions';

/**
 * Runs a compiled state machine on aws-local-stepfunctions (a local ASL interpreter: Choice rules,
 * Retry, Catch, TimeoutSeconds and Parallel are its own) with the project's Lambdas served in-process:
 * each async_request task runs the real request dispatch (token record, ASYNC_REQ), scripted capabilities
 * (the same MockCapabilities `wf run` uses) answer on a simulated reply queue, and the real reply bridge
 * completes the task; every other Lambda task runs the real EngineSteps. Only the transport is local.
 */

export interface LocalRunOptions {
  readonly instanceId?: string;
  readonly context: Context;
  readonly mocks?: CapabilityMocks;
  readonly syncCapabilities?: Readonly<Record<string, SyncCapability>>;
  /** Capability domains that have no request queue: their requests are undeliverable. */
  readonly missingDomains?: readonly string[];
  /** The request id -> task token records: in memory unless given (the bench passes the DynamoDB one). */
  readonly tokens?: TaskTokenStore;
  /**
   * The state machines its sub_workflow and map nodes start, by workflow id: each nested execution
   * (`startExecution.sync:2`) runs here, with the same capabilities, as Step Functions would run it.
   */
  readonly children?: Readonly<Record<string, LocalChild>>;
  /** Shared by a parent's run and its children's, as one deployment's capabilities are. */
  readonly capabilities?: MockCapabilities;
  /** Stops the execution (StopExecution): a parent whose task awaits it has stopped. */
  readonly signal?: AbortSignal;
}

/** A child workflow a parent starts: its definition and compiled machine. */
export interface LocalChild {
  readonly definition: WorkflowDefinition;
  readonly machine: StateMachineDefinition;
}

/**
 * The project's Lambdas as the run invoked them: the request Lambda once per async_request task attempt,
 * the steps Lambda once per other Lambda task attempt, the reply Lambda once per reply delivered (a
 * batch of one). `ms`: their handlers' summed wall time in this process (the request Lambda's up to the
 * sent request, not while its task waits).
 */
export interface LambdaInvocations {
  readonly request: number;
  readonly steps: number;
  readonly reply: number;
  readonly ms: number;
}

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The context when the execution ended. */
  readonly context: Context;
  readonly output?: Context;
  readonly error?: WorkflowError;
  /** One entry per node execution, as the engine's history: `[node, status]`. */
  readonly history: readonly (readonly [string, HistoryEntry['status']])[];
  /** States entered, retries included: what Step Functions bills (Standard) as state transitions. */
  readonly transitions: number;
  readonly lambdas: LambdaInvocations;
  readonly requests: readonly AsyncRequestMessage[];
  readonly replies: readonly ReplyOutcome[];
  readonly events: readonly EventLog[];
  /** A failed execution's error and cause, as DescribeExecution gives them. */
  readonly raised?: { readonly Error: string; readonly Cause: string };
  /** A SUCCEEDED execution's output: its final state, what DescribeExecution's Output is. */
  readonly finalState?: unknown;
  /** The runs of the children it started (nested executions), in the order they ended. */
  readonly childRuns: readonly (LocalRunResult & { readonly name: string })[];
}

/**
 * One event of the executor's log, as far as these tests read it (the package declares its own type but
 * does not export it).
 */
export interface EventLog {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input: unknown;
    readonly output?: unknown;
  };
  readonly Error?: string;
}

const REPLY_QUEUE_URL = 'local://orchestrator-reply-queue';

export async function runOnLocalStepFunctions(
  definition: WorkflowDefinition,
  machine: StateMachineDefinition,
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  ensurePromiseWithResolvers();
  const instanceId = options.instanceId ?? 'inst-1';
  const tokens = options.tokens ?? new MemoryTaskTokenStore();
  const lambdas = { request: 0, steps: 0, reply: 0, ms: 0 };
  const timed = async <T>(fn: keyof Omit<LambdaInvocations, 'ms'>, work: () => Promise<T>): Promise<T> => {
    lambdas[fn] += 1;
    const began = performance.now();
    try {
      return await work();
    } finally {
      lambdas.ms += performance.now() - began;
    }
  };
  const completion = new LocalTaskCompletion();
  const bridge = new ReplyBridge({ tokens, completion });
  const mocks = options.capabilities ?? new MockCapabilities(options.mocks ?? {});
  const requests: AsyncRequestMessage[] = [];
  const replies: ReplyOutcome[] = [];
  const deliveries: Promise<void>[] = [];
  const dispatcher: CapabilityDispatcher = {
    dispatch(messages: readonly CapabilityMessage[]): Promise<DispatchReport> {
      const undeliverable = [];
      for (const message of messages) {
        if (message.type !== 'ASYNC_REQ') continue;
        const domain = message.capability_id.split('#')[0] ?? '';
        if (options.missingDomains?.includes(domain)) {
          undeliverable.push({
            request_id: message.request_id,
            error: Object.assign(new Error(`capability domain '${domain}' has no request queue`), {
              code: 'CAPABILITY_QUEUE_MISSING',
              retryable: false,
            }),
          });
          continue;
        }
        requests.push(message);
        const { delayMs, replies: planned } = mocks.plan(message);
        // A timer per scripted delay, as the executor's own timeouts and retry pauses are timers: under
        // fake timers (the tests') hours pass at once, in the order they would.
        for (const reply of planned) {
          deliveries.push(
            new Promise((resolve) => setTimeout(resolve, delayMs)).then(async () => {
              replies.push(await timed('reply', () => bridge.handle(reply)));
            }),
          );
        }
      }
      return Promise.resolve({ undeliverable } as unknown as DispatchReport);
    },
  };
  const dispatch = new RequestDispatch({
    tokens,
    dispatcher,
    clock: systemClock,
    replyTo: REPLY_QUEUE_URL,
  });
  const steps = new EngineSteps(options.syncCapabilities ?? builtinSyncCapabilities);

  const childRuns: (LocalRunResult & { readonly name: string })[] = [];
  // Step Functions stops a `.sync` child whose task stopped (a failed sibling, a stopped parent): here,
  // every child still running when this execution ends.
  const stopChildren = new AbortController();
  // One listener per child still running (a map's items): as many as a map runs at once, not a leak.
  setMaxListeners(0, stopChildren.signal);
  const nested: Promise<LocalRunResult>[] = [];
  const children = new Map(
    Object.entries(options.children ?? {}).map(([id, child]) => [
      placeholder(childMachinePlaceholder(id)),
      child,
    ]),
  );
  /** `startExecution.sync:2`: the child's machine runs to its end; a child that did not succeed fails the task. */
  const nestedExecution = async (input: unknown): Promise<unknown> => {
    const { StateMachineArn: arn, Name: name, Input: start } = input as NestedStart;
    const child = children.get(arn);
    if (!child)
      throw Object.assign(new Error(`no state machine ${arn}`), {
        name: 'StepFunctions.StateMachineDoesNotExistException',
      });
    const running = runOnLocalStepFunctions(child.definition, child.machine, {
      ...options,
      instanceId: name,
      context: start.context,
      tokens,
      capabilities: mocks,
      signal: stopChildren.signal,
    });
    nested.push(running);
    const run = await running;
    childRuns.push({ ...run, name });
    if (run.status === 'SUCCEEDED') return { Name: name, Status: 'SUCCEEDED', Output: run.finalState };
    // As AWS reports a nested execution that failed: States.TaskFailed, its DescribeExecution as cause.
    const status = run.raised?.Error === 'States.Aborted' ? 'ABORTED' : 'FAILED';
    const described = { Name: name, Status: status, Error: run.raised?.Error, Cause: run.raised?.Cause };
    throw Object.assign(new Error(JSON.stringify(described)), { name: 'States.TaskFailed' });
  };

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of allStates(machine)) {
    if (state.Type !== 'Task') continue;
    handlers[name] =
      state.Resource === START_EXECUTION_SYNC
        ? nestedExecution
        : state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN
          ? async (input) => {
              const payload = (input as { Payload: RequestTaskPayload }).Payload;
              const waiting = completion.await(name, payload.task_token);
              await timed('request', () => dispatch.handle(payload));
              return waiting;
            }
          : async (input) => {
              // The shape lambda:invoke gives a state: the function's result under Payload.
              const result = await timed('steps', () =>
                steps.run((input as { Payload: StepPayload }).Payload),
              );
              return { Payload: result, StatusCode: 200 };
            };
  }

  const execution = new StateMachine(withinTimerRange(machine) as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  }).run(initialMachineState(options.context) as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    // Step Functions gives every waiting task a token of its own: so does this context, on each read.
    context: {
      Execution: { Name: instanceId, Id: `arn:aws:states:local:000000000000:execution:local:${instanceId}` },
      Task: {
        get Token() {
          return randomUUID();
        },
      },
    },
  });
  if (options.signal?.aborted) execution.abort();
  else options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
  const events: EventLog[] = [];
  const logging = (async () => {
    for await (const logged of execution.eventLogs) {
      const event = logged as EventLog;
      events.push(event);
      if (event.type === 'StateFailed' && event.state) completion.abandon(event.state.name);
    }
  })();

  let status: LocalRunResult['status'];
  let final: (MachineState & { outcome?: FinishedOutcome }) | undefined;
  let error: WorkflowError | undefined;
  let failedOutput: Context | undefined;
  let raised: LocalRunResult['raised'];
  try {
    final = (await execution.result) as unknown as typeof final;
    status = 'SUCCEEDED';
  } catch (thrown) {
    status = 'FAILED';
    const cause = (thrown as { cause?: { name?: string; message?: string } }).cause;
    raised = options.signal?.aborted
      ? { Error: 'States.Aborted', Cause: 'the execution was stopped' }
      : { Error: cause?.name ?? 'FAILED', Cause: cause?.message ?? '' };
    error = workflowErrorOf(raised);
    failedOutput = outputOfCause(cause?.message);
  }
  completion.abandonAll();
  stopChildren.abort();
  await Promise.allSettled(nested);
  await logging;
  await Promise.all(deliveries);

  const output = final?.outcome?.output ?? failedOutput;
  return {
    status,
    context: final?.context ?? lastContext(events),
    ...(output ? { output } : {}),
    ...(error ? { error } : {}),
    history: historyOf(definition, events),
    transitions: stateTransitions(events),
    lambdas,
    requests,
    replies,
    events,
    ...(raised ? { raised } : {}),
    ...(final ? { finalState: final } : {}),
    childRuns,
  };
}

/** What a `startExecution.sync:2` task is given (its Parameters, resolved). */
interface NestedStart {
  readonly StateMachineArn: string;
  readonly Name: string;
  readonly Input: MachineState;
}

/** A FAILED end's output: its Fail state's cause is the error with `output` beside it (end-states.ts). */
function outputOfCause(cause: string | undefined): Context | undefined {
  try {
    const parsed = JSON.parse(cause ?? '') as { output?: unknown };
    const output = parsed.output;
    return typeof output === 'object' && output !== null && !Array.isArray(output)
      ? (output as Context)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Node's timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. The executor times a
 * task with one, so a TimeoutSeconds past that (the export's "no timeout" on nested executions, AWS's
 * own default of 99999999 s) is run here as 23 days: longer than any test waits, and still a timeout.
 */
const LONGEST_LOCAL_TIMEOUT_SECONDS = 23 * 24 * 3600;

export function withinTimerRange<T extends StateMachineBody>(body: T): T {
  const states = Object.fromEntries(
    Object.entries(body.States).map(([name, state]): [string, AslState] => {
      if (state.Type === 'Parallel')
        return [name, { ...state, Branches: state.Branches.map(withinTimerRange) }];
      if (state.Type === 'Map')
        return [name, { ...state, ItemProcessor: withinTimerRange(state.ItemProcessor) }];
      if (state.Type === 'Task' && (state.TimeoutSeconds ?? 0) > LONGEST_LOCAL_TIMEOUT_SECONDS) {
        return [name, { ...state, TimeoutSeconds: LONGEST_LOCAL_TIMEOUT_SECONDS }];
      }
      return [name, state];
    }),
  );
  return { ...body, States: states };
}

/** Every state of the machine, branches included. */
function* allStates(body: StateMachineBody): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(body.States)) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const branch of state.Branches) yield* allStates(branch);
    if (state.Type === 'Map') yield* allStates(state.ItemProcessor);
  }
}

function lastContext(events: readonly EventLog[]): Context {
  for (const event of [...events].reverse()) {
    if (event.state) {
      const input = event.state.input as Partial<MachineState> | null;
      if (input && typeof input === 'object' && input.context) return input.context;
    }
  }
  return {};
}

/**
 * The node a state's events count for, and the state's role in its step: the node's own state, or a
 * helper that carries part of the step (`X.result` ends an async_request with a result mapping or a
 * sub_workflow; `X.child` is a sub_workflow's nested execution; `X.item` a map item's; `X.collect` ends a
 * map; `X.too-many-visits` is X's run past its max_visits). Any other state is no step's.
 */
function stepOf(
  definition: WorkflowDefinition,
  state: string,
): { readonly node: string; readonly role: StepRole } | undefined {
  if (Object.hasOwn(definition.nodes, state)) return { node: state, role: 'self' };
  const dot = state.indexOf('.');
  if (dot < 0) return undefined;
  const node = state.slice(0, dot);
  const role = state.slice(dot + 1);
  const kind = Object.hasOwn(definition.nodes, node) ? definition.nodes[node] : undefined;
  if (!kind || !(STEP_ROLES as readonly string[]).includes(role)) return undefined;
  if (role === 'too-many-visits') return { node, role };
  return endsInHelper(kind) || kind.type === 'map' ? { node, role: role as StepRole } : undefined;
}

const STEP_ROLES = ['result', 'child', 'item', 'collect', 'too-many-visits'] as const;
type StepRole = 'self' | (typeof STEP_ROLES)[number];

/** A node whose step ends in a helper state (`X.result`), not in its own state's exit. */
function endsInHelper(node: WorkflowDefinition['nodes'][string]): boolean {
  return (node.type === 'async_request' && node.result !== undefined) || node.type === 'sub_workflow';
}

/**
 * The engine's history from the execution's events: a node's step that ends (its state's exit, or the
 * exit of the helper that ends it) SUCCEEDED (an end its own status), each failed attempt FAILED
 * (TIMED_OUT for a timeout), a Parallel state counts when it fans out, each map item once when its child
 * ends (a map of no items once, when it collects), and a node still waiting when its Parallel failed is
 * CANCELLED.
 */
export function historyOf(
  definition: WorkflowDefinition,
  events: readonly EventLog[],
): (readonly [string, HistoryEntry['status']])[] {
  const history: (readonly [string, HistoryEntry['status']])[] = [];
  const open: string[] = [];
  const branches = new BranchStructure(definition);
  // A state whose error a Catch handled exits too (to the Catch's Next): that exit is no success.
  const caught = new Set<string>();
  const itemsEnded = new Map<string, number>();
  const close = (name: string) => {
    if (open.includes(name)) open.splice(open.indexOf(name), 1);
  };
  for (const event of events) {
    if (!event.state) continue;
    const step = stepOf(definition, event.state.name);
    if (!step) continue;
    const { node: name, role } = step;
    const node = definition.nodes[name];
    if (!node) continue;
    const raw = event.state.name;
    if (event.type === 'StateCaught') {
      caught.add(raw);
      continue;
    }
    if (event.type === 'StateEntered') {
      // A node past its max_visits: the engine records the step that would have run once more, FAILED.
      if (role === 'too-many-visits') history.push([name, 'FAILED']);
      if (role !== 'self') continue;
      if (node.type === 'parallel') history.push([name, 'SUCCEEDED']);
      else open.push(name);
      if (node.type === 'map') itemsEnded.set(name, 0);
    } else if (event.type === 'StateExited') {
      if (caught.delete(raw)) continue;
      if (role === 'item') {
        history.push([name, 'SUCCEEDED']);
        itemsEnded.set(name, (itemsEnded.get(name) ?? 0) + 1);
      } else if (role === 'collect') {
        close(name);
        if ((itemsEnded.get(name) ?? 0) === 0) history.push([name, 'SUCCEEDED']);
      } else if (role === 'result' || (role === 'self' && !endsInHelper(node) && node.type !== 'map')) {
        close(name);
        if (node.type !== 'parallel') {
          history.push([name, node.type === 'end' ? (node.status ?? 'SUCCEEDED') : 'SUCCEEDED']);
        }
      }
    } else if (event.type === 'StateRetried') {
      if (role === 'self' && !open.includes(name)) open.push(name);
    } else if (event.type === 'StateFailed') {
      if (role === 'item') {
        // An item's child that did not succeed; the map itself goes on or fails by its policy.
        history.push([name, 'FAILED']);
        itemsEnded.set(name, (itemsEnded.get(name) ?? 0) + 1);
        continue;
      }
      if (role === 'collect') {
        // Past its tolerance: the map fails, with no line of its own (the engine's rule).
        close(name);
        continue;
      }
      close(name);
      if (node.type === 'parallel') {
        // Its branches' steps still running are stopped (a nested parallel's first: it fails first).
        const inside = open.filter((o) => branches.enclosing(o).some((m) => m.parallel === name));
        for (const waiting of inside) {
          open.splice(open.indexOf(waiting), 1);
          history.push([waiting, 'CANCELLED']);
        }
      } else {
        history.push([name, event.Error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED']);
      }
    }
  }
  return history;
}
