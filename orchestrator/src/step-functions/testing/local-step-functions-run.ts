import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslState, StateMachineBody, StateMachineDefinition } from '../../asl/asl-types';
import { helperState, LAMBDA_INVOKE_WAIT_FOR_TOKEN } from '../../asl/asl-names';
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
  const mocks = new MockCapabilities(options.mocks ?? {});
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

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of allStates(machine)) {
    if (state.Type !== 'Task') continue;
    handlers[name] =
      state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN
        ? async (input) => {
            const payload = (input as { Payload: RequestTaskPayload }).Payload;
            const waiting = completion.await(name, payload.task_token);
            await timed('request', () => dispatch.handle(payload));
            return waiting;
          }
        : async (input) => {
            // The shape lambda:invoke gives a state: the function's result under Payload.
            const result = await timed('steps', () => steps.run((input as { Payload: StepPayload }).Payload));
            return { Payload: result, StatusCode: 200 };
          };
  }

  const execution = new StateMachine(machine as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  }).run(initialMachineState(options.context) as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    // Step Functions gives every waiting task a token of its own: so does this context, on each read.
    context: {
      Execution: { Name: instanceId },
      Task: {
        get Token() {
          return randomUUID();
        },
      },
    },
  });
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
  try {
    final = (await execution.result) as unknown as typeof final;
    status = 'SUCCEEDED';
  } catch (thrown) {
    status = 'FAILED';
    const cause = (thrown as { cause?: { name?: string; message?: string } }).cause;
    error = workflowErrorOf({ Error: cause?.name, Cause: cause?.message });
    failedOutput = outputOfCause(cause?.message);
  }
  completion.abandonAll();
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
  };
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

/** Every state of the machine, branches included. */
function* allStates(body: StateMachineBody): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(body.States)) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const branch of state.Branches) yield* allStates(branch);
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

/** The node a state belongs to: itself, or the node whose step a helper state ends (`X.result`). */
function stepOf(definition: WorkflowDefinition, state: string): string {
  const suffix = helperState.result('');
  if (!state.endsWith(suffix)) return state;
  const node = state.slice(0, -suffix.length);
  const kind = Object.hasOwn(definition.nodes, node) ? definition.nodes[node] : undefined;
  return kind && endsInHelper(kind) ? node : state;
}

function endsInHelper(node: WorkflowDefinition['nodes'][string]): boolean {
  return node.type === 'async_request' && node.result !== undefined;
}

/**
 * The engine's history from the execution's events: a node's state that exits is a node execution that
 * SUCCEEDED (an end its own status), each failed attempt one that FAILED (TIMED_OUT for a timeout), a
 * Parallel state counts when it fans out, and a node still waiting when its Parallel failed is CANCELLED.
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
  for (const event of events) {
    if (!event.state) continue;
    const name = stepOf(definition, event.state.name);
    const node = Object.hasOwn(definition.nodes, name) ? definition.nodes[name] : undefined;
    if (!node) continue;
    // A node whose step ends in a helper (an async_request's `X.result`): the node's own exit is not
    // its end, the helper's is (its entry was counted when the node's state was entered).
    if (name !== event.state.name && event.type === 'StateEntered') continue;
    if (name === event.state.name && endsInHelper(node) && event.type === 'StateExited') {
      if (!caught.has(name)) continue;
    }
    if (event.type === 'StateEntered') {
      if (node.type === 'parallel') history.push([name, 'SUCCEEDED']);
      else open.push(name);
    } else if (event.type === 'StateCaught') {
      caught.add(name);
    } else if (event.type === 'StateExited') {
      if (open.includes(name)) open.splice(open.indexOf(name), 1);
      if (caught.delete(name)) continue;
      if (node.type !== 'parallel') {
        history.push([name, node.type === 'end' ? (node.status ?? 'SUCCEEDED') : 'SUCCEEDED']);
      }
    } else if (event.type === 'StateRetried') {
      open.push(name);
    } else if (event.type === 'StateFailed') {
      if (open.includes(name)) open.splice(open.indexOf(name), 1);
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
