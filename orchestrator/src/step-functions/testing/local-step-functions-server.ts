import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import { START_EXECUTION_SYNC } from '../../asl/asl-names';
import type { AslState, StateMachineBody, StateMachineDefinition } from '../../asl/asl-types';
import { ensurePromiseWithResolvers } from './promise-with-resolvers';
import { withinTimerRange, type EventLog } from './local-step-functions-run';

/**
 * An embedded Step Functions endpoint for tests: an HTTP server speaking the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Operation>`, JSON bodies, timestamps as epoch seconds, errors as
 * `{ "__type": name, "message": ... }` with status 400), so the real @aws-sdk/client-sfn talks to it
 * over HTTP as it talks to AWS. Signatures are not checked.
 *
 * Executions run on aws-local-stepfunctions (its ASL interpreter: Choice, Retry, Catch, TimeoutSeconds,
 * Parallel and inline Map are its own). Lambda tasks (`lambda:invoke`, `lambda:invoke.waitForTaskToken`)
 * call the functions given by ARN in-process; a waitForTaskToken task then waits for
 * SendTaskSuccess/Failure of the token its payload carries. A nested execution
 * (`states:startExecution.sync:2`) starts an execution of the named machine on this server, under the
 * task's Name (StartExecution's rules: the same name and input while it runs is that execution), and waits
 * for its end: its DescribeExecution (Input and Output parsed) is the task's result, and a child that did
 * not succeed fails the task with `States.TaskFailed`, the child's description as cause. A task that stops
 * before its child ends (its execution stopped or failed, its Map or Parallel failed, its TimeoutSeconds)
 * stops the child (ABORTED), as Step Functions stops a `.sync` child.
 *
 * Its event log is translated into Step Functions history events (`TaskStateEntered`, `TaskScheduled`,
 * `TaskFailed`, `MapIterationStarted`, `ExecutionFailed`...) with `previousEventId` links as the service
 * makes them: a task's events point back into their state, through its entry; a Map iteration's events
 * form a chain of their own, from its `MapIterationStarted` to its `MapIterationSucceeded` (or Failed,
 * Aborted), and the Map state's own events (`MapStateEntered`, `MapStateStarted`, the iterations' starts
 * and ends, `MapStateSucceeded`, `MapStateExited`) another.
 *
 * Operations: CreateStateMachine, ListStateMachines, ListTagsForResource, StartExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution, SendTaskSuccess,
 * SendTaskFailure. Not modelled: versions and aliases, Express machines, redrive, activities, distributed
 * Map (Map runs).
 */

/** A Lambda function as a state machine's task calls it: its payload in, its result out. */
export type LocalFunction = (payload: unknown) => Promise<unknown>;

export const LOCAL_ACCOUNT = '123456789012';

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface HistoryEventJson {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

/** A machine's states, those of its branches and Map processors included, and what encloses each. */
interface MachineShape {
  readonly states: ReadonlyMap<string, AslState>;
  /** The Map and Parallel states each state is inside of, innermost first. */
  readonly ancestors: ReadonlyMap<string, readonly string[]>;
}

/** A nested execution a task of an execution started and waits for. */
interface ChildLink {
  readonly arn: string;
  /** Its task state, and the Map iteration that task runs in. */
  readonly state: string;
  readonly lane: string | undefined;
  readonly ancestors: readonly string[];
}

/** A state entered and not yet left, within one Map iteration (`lane`) or not. */
interface OpenState {
  readonly state: string;
  readonly lane: string | undefined;
  count: number;
}

/** The executor's events as it logs them, with what a Map iteration's events carry. */
type LoggedEvent = EventLog & {
  readonly index?: number;
  readonly parentState?: { readonly name: string; readonly type: string };
  readonly Cause?: unknown;
};

interface MachineEntry {
  readonly arn: string;
  readonly name: string;
  readonly definition: StateMachineDefinition;
  readonly createdAt: number;
  readonly tags: readonly { key: string; value: string }[];
}

interface ExecutionEntry {
  readonly arn: string;
  readonly name: string;
  readonly machine: MachineEntry;
  readonly input: string;
  readonly startedAt: number;
  /** Start order, to break ties of `startedAt` (newest first). */
  readonly sequence: number;
  status: ExecutionStatus;
  stoppedAt?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: HistoryEventJson[];
  /** The id of each state's newest event: where its next event links back to. */
  readonly lastEventOf: Map<string, number>;
  /** The id of each Map iteration's newest event (by lane, `<map>#<index>`). */
  readonly lastEventOfLane: Map<string, number>;
  /** Each Map state's iterations that started and have not ended. */
  readonly openIterations: Map<string, Set<number>>;
  /** States entered and not left (by lane and name), to abort when the execution stops. */
  readonly open: Map<string, OpenState>;
  /**
   * Map and Parallel states that failed since they were entered: tasks inside them start nothing more, and
   * their iterations' late events are not recorded (the executor stopped them).
   */
  readonly failedScopes: Set<string>;
  /** For each task state inside a Map: the iterations that entered it, oldest first, not yet run. */
  readonly enteredIterations: Map<string, number[]>;
  /** The nested executions its tasks started that it still waits for, by ARN. */
  readonly children: Map<string, ChildLink>;
  abort?: () => void;
}

interface WaitingTask {
  readonly execution: ExecutionEntry;
  readonly state: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every state of a machine, branches and Map processors included, with the states enclosing it. */
function* allStates(
  body: StateMachineBody,
  ancestors: readonly string[] = [],
): Generator<[string, AslState, readonly string[]]> {
  for (const [name, state] of Object.entries(body.States)) {
    yield [name, state, ancestors];
    if (state.Type === 'Parallel') {
      for (const branch of state.Branches) yield* allStates(branch, [name, ...ancestors]);
    }
    if (state.Type === 'Map') yield* allStates(state.ItemProcessor, [name, ...ancestors]);
  }
}

function shapeOf(definition: StateMachineDefinition): MachineShape {
  const states = new Map<string, AslState>();
  const ancestors = new Map<string, readonly string[]>();
  for (const [name, state, enclosing] of allStates(definition)) {
    states.set(name, state);
    ancestors.set(name, enclosing);
  }
  return { states, ancestors };
}

/** The Map state a state runs in (one iteration of it), if any. */
function enclosingMap(shape: MachineShape, state: string): string | undefined {
  return shape.ancestors.get(state)?.find((name) => shape.states.get(name)?.Type === 'Map');
}

/** One iteration of a Map state: the chain its events form. */
const laneOf = (map: string, index: number): string => `${map}#${index}`;

/** A task's service and action as its history events name them (`lambda` / `invoke.waitForTaskToken`). */
function taskResource(state: AslState | undefined): { resourceType: string; resource: string } {
  const arn = state?.Type === 'Task' ? state.Resource : '';
  const [service = 'lambda', ...action] = /^arn:aws:states:::(.*)$/.exec(arn)?.[1]?.split(':') ?? [];
  return { resourceType: service, resource: action.join(':') || 'invoke' };
}

/** The length of a Map state's items, when its ItemsPath is a plain path (`$.a.b`) of its input. */
function itemCount(state: AslState | undefined, input: unknown): number | undefined {
  if (state?.Type !== 'Map' || !/^\$(\.[A-Za-z_][A-Za-z0-9_-]*)*$/.test(state.ItemsPath)) return undefined;
  let value = input;
  for (const key of state.ItemsPath.split('.').slice(1)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return Array.isArray(value) ? value.length : undefined;
}

/** `MapIterationStarted` -> `mapIterationStartedEventDetails`. */
const detailsKey = (type: string): string => `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;

/** What a task that no longer runs (its execution, Map or Parallel stopped) fails with, unrecorded. */
const stoppedTask = () => Object.assign(new Error('the task was stopped'), { name: 'States.Runtime' });

/** One turn of the event loop: the executor's log, read in microtasks, has caught up by then. */
const eventLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const seconds = (ms: number) => ms / 1000;

export class LocalStepFunctionsServer {
  private readonly machines = new Map<string, MachineEntry>();
  private readonly executions = new Map<string, ExecutionEntry>();
  private readonly waiting = new Map<string, WaitingTask>();
  private readonly listeners = new Set<() => void>();
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    private readonly functions: ReadonlyMap<string, LocalFunction>,
    readonly region: string,
  ) {}

  /** Starts the endpoint on a free port of 127.0.0.1. */
  static async start(options: {
    readonly functions?: Readonly<Record<string, LocalFunction>>;
    readonly region?: string;
  }): Promise<LocalStepFunctionsServer> {
    ensurePromiseWithResolvers();
    const server = createServer();
    const instance = new LocalStepFunctionsServer(
      server,
      new Map(Object.entries(options.functions ?? {})),
      options.region ?? 'us-east-1',
    );
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void instance.serve(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The ARN of the function given under `name` (a task may name it by either). */
  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${LOCAL_ACCOUNT}:function:${name}`;
  }

  /** The ARN of the state machine named `name` (created or not). */
  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
  }

  /** Stops every running execution and the server. */
  async close(): Promise<void> {
    for (const execution of this.executions.values()) {
      // Stopped as StopExecution stops it: a task waiting for a nested execution then settles too.
      this.stop(execution);
      execution.abort?.();
      this.dropTasks(execution);
    }
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((e) => (e ? reject(e) : resolve())),
    );
    this.server.closeAllConnections();
    await closed;
  }

  /** Resolves once the execution has ended (whatever its status). */
  ended(executionArn: string): Promise<void> {
    return this.until(() => {
      const execution = this.executions.get(executionArn);
      return execution !== undefined && execution.status !== 'RUNNING';
    });
  }

  /**
   * Resolves once `count` tasks of the execution wait for their tokens (their request sent); rejects if
   * the execution ends first, with its error, so a test that waits for a task never waits forever.
   */
  tasksWaiting(executionArn: string, count = 1): Promise<void> {
    return this.until(
      () => [...this.waiting.values()].filter((w) => w.execution.arn === executionArn).length >= count,
      () => {
        const execution = this.executions.get(executionArn);
        return execution && execution.status !== 'RUNNING'
          ? `${executionArn} ended ${execution.status} (${execution.error ?? ''}: ${execution.cause ?? ''}) before ${count} task(s) waited`
          : undefined;
      },
    );
  }

  private until(
    condition: () => boolean,
    failure: () => string | undefined = () => undefined,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const failed = condition() ? undefined : failure();
        if (!condition() && failed === undefined) return;
        this.listeners.delete(check);
        if (failed === undefined) resolve();
        else reject(new Error(failed));
      };
      this.listeners.add(check);
      check();
    });
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    let status = 200;
    let body: unknown;
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      body = await this.operation(operation, input);
    } catch (error) {
      status = error instanceof ServiceError ? 400 : 500;
      const type = error instanceof ServiceError ? error.type : 'InternalFailure';
      body = { __type: type, message: error instanceof Error ? error.message : String(error) };
      response.setHeader('x-amzn-errortype', type);
    }
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(text);
  }

  private operation(name: string, input: Record<string, unknown>): unknown {
    const text = (key: string): string => {
      const value = input[key];
      if (typeof value !== 'string') throw new ServiceError('ValidationException', `${key} is required`);
      return value;
    };
    const optional = (key: string): string | undefined =>
      typeof input[key] === 'string' ? input[key] : undefined;
    switch (name) {
      case 'CreateStateMachine':
        return this.createStateMachine(text('name'), text('definition'), input.tags);
      case 'ListStateMachines':
        return {
          stateMachines: [...this.machines.values()].map((m) => ({
            stateMachineArn: m.arn,
            name: m.name,
            type: 'STANDARD',
            creationDate: seconds(m.createdAt),
          })),
        };
      case 'ListTagsForResource':
        return { tags: this.machine(text('resourceArn')).tags };
      case 'StartExecution':
        return this.startExecution(
          text('stateMachineArn'),
          optional('name') ?? randomUUID(),
          optional('input'),
        );
      case 'DescribeExecution':
        return this.describe(this.execution(text('executionArn')));
      case 'ListExecutions':
        return this.listExecutions(
          this.machine(text('stateMachineArn')),
          optional('statusFilter'),
          typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100,
          optional('nextToken'),
        );
      case 'GetExecutionHistory':
        return this.history(
          this.execution(text('executionArn')),
          typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100,
          optional('nextToken'),
          input.reverseOrder === true,
          input.includeExecutionData !== false,
        );
      case 'StopExecution':
        return this.stop(this.execution(text('executionArn')), optional('error'), optional('cause'));
      case 'SendTaskSuccess':
        return this.completeTask(text('taskToken'), (task) => {
          task.resolve(JSON.parse(text('output')) as unknown);
        });
      case 'SendTaskFailure':
        return this.completeTask(text('taskToken'), (task) => {
          // The executor reports a task's error as { Error: name, Cause: message }.
          task.reject(
            Object.assign(new Error(optional('cause') ?? ''), { name: optional('error') ?? 'Error' }),
          );
        });
      default:
        throw new ServiceError(
          'UnknownOperationException',
          `operation ${name || '(none)'} is not served here`,
        );
    }
  }

  private machine(arn: string): MachineEntry {
    const machine = this.machines.get(arn);
    if (!machine)
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): ExecutionEntry {
    const execution = this.executions.get(arn);
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private createStateMachine(name: string, definition: string, tags: unknown) {
    const arn = this.stateMachineArn(name);
    if (this.machines.has(arn)) throw new ServiceError('StateMachineAlreadyExists', `${arn} exists`);
    const createdAt = Date.now();
    this.machines.set(arn, {
      arn,
      name,
      definition: JSON.parse(definition) as StateMachineDefinition,
      createdAt,
      tags: Array.isArray(tags) ? (tags as { key: string; value: string }[]) : [],
    });
    return { stateMachineArn: arn, creationDate: seconds(createdAt) };
  }

  private startExecution(machineArn: string, name: string, input = '{}') {
    const machine = this.machine(machineArn);
    const arn = `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // Standard machines: the same name and input while it runs returns it; anything else is refused.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: arn, startDate: seconds(existing.startedAt) };
      }
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution: ExecutionEntry = {
      arn,
      name,
      machine,
      input,
      startedAt: Date.now(),
      sequence: this.sequence++,
      status: 'RUNNING',
      events: [],
      lastEventOf: new Map(),
      lastEventOfLane: new Map(),
      openIterations: new Map(),
      open: new Map(),
      failedScopes: new Set(),
      enteredIterations: new Map(),
      children: new Map(),
    };
    this.executions.set(arn, execution);
    this.record(execution, 'ExecutionStarted', undefined, {
      executionStartedEventDetails: { input, roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local` },
    });
    this.run(execution);
    return { executionArn: arn, startDate: seconds(execution.startedAt) };
  }

  /**
   * Appends an event. Within a Map iteration (`lane`) it links back to the iteration's newest event;
   * elsewhere a state's entry links to the newest event of the execution, its other events into the
   * state's own chain. Returns its id.
   */
  private record(
    execution: ExecutionEntry,
    type: string,
    state: string | undefined,
    details: Record<string, unknown> = {},
    lane?: string,
  ): number {
    const id = execution.events.length + 1;
    const previous =
      (lane !== undefined
        ? execution.lastEventOfLane.get(lane)
        : state === undefined || type.endsWith('StateEntered')
          ? undefined
          : execution.lastEventOf.get(state)) ?? execution.events.length;
    execution.events.push({
      id,
      previousEventId: previous,
      timestamp: seconds(Date.now()),
      type,
      ...details,
    });
    if (lane !== undefined) execution.lastEventOfLane.set(lane, id);
    else if (state !== undefined) execution.lastEventOf.set(state, id);
    return id;
  }

  private run(execution: ExecutionEntry): void {
    const shape = shapeOf(execution.machine.definition);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of shape.states) {
      if (state.Type !== 'Task') continue;
      handlers[name] =
        state.Resource === START_EXECUTION_SYNC
          ? (input) => this.runNestedExecution(execution, shape, name, state, input)
          : (input) => this.runTask(execution, shape, name, state, input);
    }
    // The executor times a task with a Node timer, which holds 24.8 days at most (a longer one fires at once).
    const run = new StateMachine(withinTimerRange(execution.machine.definition) as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    }).run(JSON.parse(execution.input) as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: new Date(execution.startedAt).toISOString(),
          Input: JSON.parse(execution.input) as never,
        },
        // Step Functions gives every waiting task a token of its own: so does this context, on each read.
        Task: {
          get Token() {
            return randomUUID();
          },
        },
      },
    });
    execution.abort = () => run.abort();
    const logging = (async () => {
      for await (const logged of run.eventLogs) {
        if (execution.status !== 'RUNNING') return;
        this.translate(execution, logged, shape);
      }
    })();
    const outcome = run.result.then(
      (output: unknown) => ({ output }),
      (thrown: unknown) => ({ thrown }),
    );
    void Promise.all([outcome, logging]).then(([settled]) => {
      if (execution.status !== 'RUNNING') return;
      execution.stoppedAt = Date.now();
      if ('output' in settled) {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(settled.output ?? null);
        this.record(execution, 'ExecutionSucceeded', undefined, {
          executionSucceededEventDetails: { output: execution.output },
        });
      } else {
        // The executor rejects with an error whose cause is the state's error: name = Error, message = Cause.
        const cause = (settled.thrown as { cause?: { name?: string; message?: string } }).cause;
        const error = cause?.name ?? 'States.Runtime';
        execution.error = error;
        execution.cause = cause?.message ?? String(settled.thrown);
        execution.status = error === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED';
        this.record(
          execution,
          execution.status === 'TIMED_OUT' ? 'ExecutionTimedOut' : 'ExecutionFailed',
          undefined,
          {
            [execution.status === 'TIMED_OUT'
              ? 'executionTimedOutEventDetails'
              : 'executionFailedEventDetails']: {
              error,
              cause: execution.cause,
            },
          },
        );
      }
      this.dropTasks(execution);
      this.stopChildren(execution, () => true);
      this.changed();
    });
  }

  /** The executor's events as Step Functions history events (a task's own are recorded by runTask). */
  private translate(execution: ExecutionEntry, event: LoggedEvent, shape: MachineShape): void {
    if (event.type.startsWith('MapIteration')) {
      this.mapIteration(execution, event);
      return;
    }
    const state = event.state;
    if (!state) return;
    const definition = shape.states.get(state.name);
    const type = definition?.Type ?? state.type;
    const map = enclosingMap(shape, state.name);
    let lane: string | undefined;
    if (map !== undefined && event.index !== undefined) {
      // An iteration of a Map that failed was stopped with it: what it still logs did not happen.
      if (execution.failedScopes.has(map)) return;
      lane = laneOf(map, event.index);
    }
    const openKey = `${lane ?? ''}|${state.name}`;
    if (event.type === 'StateEntered') {
      this.record(
        execution,
        `${type}StateEntered`,
        state.name,
        { stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null) } },
        lane,
      );
      const open = execution.open.get(openKey);
      if (open) open.count += 1;
      else execution.open.set(openKey, { state: state.name, lane, count: 1 });
      if (type === 'Map' || type === 'Parallel') execution.failedScopes.delete(state.name);
      if (type === 'Map') {
        execution.openIterations.set(state.name, new Set());
        for (const [task] of execution.enteredIterations) {
          if (enclosingMap(shape, task) === state.name) execution.enteredIterations.delete(task);
        }
        const length = itemCount(definition, state.input);
        if (length !== undefined) {
          this.record(execution, 'MapStateStarted', state.name, { mapStateStartedEventDetails: { length } });
        }
      }
      if (type === 'Task' && event.index !== undefined) this.entered(execution, state.name, event.index);
    } else if (event.type === 'StateRetried') {
      // The task runs again: its handler is called once more, for the same iteration.
      if (type === 'Task' && event.index !== undefined) this.entered(execution, state.name, event.index);
    } else if (event.type === 'StateExited') {
      if (type === 'Map') {
        if (!execution.failedScopes.has(state.name)) this.record(execution, 'MapStateSucceeded', state.name);
        execution.openIterations.delete(state.name);
      }
      this.record(
        execution,
        `${type}StateExited`,
        state.name,
        { stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null) } },
        lane,
      );
      const open = execution.open.get(openKey);
      if (open && --open.count <= 0) execution.open.delete(openKey);
    } else if (event.type === 'StateFailed') {
      const cause = event.Cause;
      const details = {
        error: event.Error ?? 'States.Runtime',
        cause: typeof cause === 'string' ? cause : JSON.stringify(cause ?? ''),
      };
      if (type === 'Task') {
        const timedOut = event.Error === 'States.Timeout';
        this.record(
          execution,
          timedOut ? 'TaskTimedOut' : 'TaskFailed',
          state.name,
          {
            [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: {
              ...taskResource(definition),
              ...details,
            },
          },
          lane,
        );
        // A task that no longer waits cannot be completed: its token is gone, as the service answers.
        for (const [token, task] of this.waiting) {
          if (task.execution === execution && task.state === state.name) this.waiting.delete(token);
        }
        // Nor does it wait for its nested execution (TimeoutSeconds): the child is stopped.
        this.stopChildren(execution, (child) => child.state === state.name && child.lane === lane);
      } else if (type === 'Parallel' || type === 'Map') {
        if (type === 'Map') this.abortIterations(execution, state.name);
        execution.failedScopes.add(state.name);
        // What ran inside it was stopped with it: none of it is open any more.
        for (const [key, open] of execution.open) {
          if (shape.ancestors.get(open.state)?.includes(state.name)) execution.open.delete(key);
        }
        this.record(execution, `${type}StateFailed`, state.name, {});
        // The branches or iterations still running were stopped: so are their nested executions.
        this.stopChildren(execution, (child) => child.ancestors.includes(state.name));
      }
    }
  }

  /** A task inside a Map was entered (or is retried) in iteration `index`: its handler runs next. */
  private entered(execution: ExecutionEntry, state: string, index: number): void {
    const queue = execution.enteredIterations.get(state) ?? [];
    queue.push(index);
    execution.enteredIterations.set(state, queue);
  }

  /**
   * The iteration a task's handler runs for, if the task is inside a Map: the executor calls handlers in
   * the order their states were entered, and by the next turn of the event loop its log has caught up.
   */
  private laneOfTask(execution: ExecutionEntry, shape: MachineShape, state: string): string | undefined {
    const map = enclosingMap(shape, state);
    if (map === undefined) return undefined;
    const index = execution.enteredIterations.get(state)?.shift();
    return index === undefined ? undefined : laneOf(map, index);
  }

  /**
   * `MapIterationStarted` / `Succeeded` / `Failed`, as the executor forwards an iteration's start and end.
   * A start links into the Map state's chain and begins the iteration's; an end links back into the
   * iteration's chain, and the Map state's chain goes on from it.
   */
  private mapIteration(execution: ExecutionEntry, event: LoggedEvent): void {
    const map = event.parentState?.name;
    const index = event.index;
    if (map === undefined || index === undefined || execution.failedScopes.has(map)) return;
    const lane = laneOf(map, index);
    const details = { [detailsKey(event.type)]: { name: map, index } };
    if (event.type === 'MapIterationStarted') {
      const id = this.record(execution, event.type, map, details);
      execution.lastEventOfLane.set(lane, id);
      const open = execution.openIterations.get(map) ?? new Set<number>();
      open.add(index);
      execution.openIterations.set(map, open);
      return;
    }
    this.endIteration(execution, map, index, event.type, details);
  }

  private endIteration(
    execution: ExecutionEntry,
    map: string,
    index: number,
    type: string,
    details: Record<string, unknown>,
  ): void {
    const lane = laneOf(map, index);
    const id = this.record(execution, type, undefined, details, lane);
    execution.lastEventOf.set(map, id);
    execution.openIterations.get(map)?.delete(index);
    for (const [key, open] of execution.open) if (open.lane === lane) execution.open.delete(key);
  }

  /** The Map's iterations still running end aborted (the Map failed, or the execution was stopped). */
  private abortIterations(execution: ExecutionEntry, map: string): void {
    for (const index of [...(execution.openIterations.get(map) ?? [])]) {
      const lane = laneOf(map, index);
      for (const open of [...execution.open.values()]) {
        if (open.lane !== lane) continue;
        const type = this.stateType(execution, open.state);
        this.record(execution, `${type}StateAborted`, open.state, {}, lane);
      }
      const type = 'MapIterationAborted';
      this.endIteration(execution, map, index, type, { [detailsKey(type)]: { name: map, index } });
    }
  }

  /** Stops (ABORTED) the nested executions its tasks wait for that `which` selects. */
  private stopChildren(execution: ExecutionEntry, which: (child: ChildLink) => boolean): void {
    for (const [arn, link] of [...execution.children]) {
      if (!which(link)) continue;
      execution.children.delete(arn);
      const child = this.executions.get(arn);
      if (child) this.stop(child);
    }
  }

  /**
   * `startExecution.sync:2`: an execution of the named machine on this server, under the task's Name;
   * the task waits for its end. Its events: TaskScheduled, TaskStarted, TaskSubmitted (the started
   * execution), then TaskSucceeded (the DescribeExecution result) or, recorded from the executor's
   * StateFailed, TaskFailed (States.TaskFailed, the child's description as cause).
   */
  private async runNestedExecution(
    execution: ExecutionEntry,
    shape: MachineShape,
    name: string,
    state: AslState,
    input: unknown,
  ): Promise<unknown> {
    await eventLoopTurn();
    const lane = this.laneOfTask(execution, shape, name);
    const ancestors = shape.ancestors.get(name) ?? [];
    if (execution.status !== 'RUNNING' || ancestors.some((scope) => execution.failedScopes.has(scope))) {
      throw stoppedTask();
    }
    const resource = { resourceType: 'states', resource: 'startExecution.sync:2' };
    const parameters = (input ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    const timeout = state.Type === 'Task' ? state.TimeoutSeconds : undefined;
    this.record(
      execution,
      'TaskScheduled',
      name,
      {
        taskScheduledEventDetails: {
          ...resource,
          region: this.region,
          parameters: JSON.stringify(parameters),
          ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
        },
      },
      lane,
    );
    this.record(execution, 'TaskStarted', name, { taskStartedEventDetails: resource }, lane);
    let started: { executionArn: string; startDate: number };
    try {
      started = this.startExecution(
        typeof parameters.StateMachineArn === 'string' ? parameters.StateMachineArn : '',
        typeof parameters.Name === 'string' ? parameters.Name : randomUUID(),
        typeof parameters.Input === 'string' ? parameters.Input : JSON.stringify(parameters.Input ?? {}),
      );
    } catch (error) {
      // As the service integration reports the API's error: StepFunctions.<Name>Exception.
      if (!(error instanceof ServiceError)) throw error;
      throw Object.assign(new Error(error.message), { name: `StepFunctions.${error.type}Exception` });
    }
    const child = this.execution(started.executionArn);
    execution.children.set(child.arn, { arn: child.arn, state: name, lane, ancestors });
    this.record(
      execution,
      'TaskSubmitted',
      name,
      {
        taskSubmittedEventDetails: {
          ...resource,
          output: JSON.stringify({ ExecutionArn: child.arn, StartDate: child.startedAt }),
        },
      },
      lane,
    );
    this.changed();
    await this.ended(child.arn);
    // Stopped with the task (its execution, Map, Parallel or timeout): the executor has moved on.
    if (!execution.children.delete(child.arn) || execution.status !== 'RUNNING') throw stoppedTask();
    const description = {
      ExecutionArn: child.arn,
      StateMachineArn: child.machine.arn,
      Name: child.name,
      Status: child.status,
      StartDate: child.startedAt,
      ...(child.stoppedAt !== undefined ? { StopDate: child.stoppedAt } : {}),
    };
    if (child.status !== 'SUCCEEDED') {
      // As AWS reports a nested execution that did not succeed: its description, Error and Cause included.
      throw Object.assign(
        new Error(JSON.stringify({ ...description, Error: child.error, Cause: child.cause })),
        { name: 'States.TaskFailed' },
      );
    }
    const output = {
      ...description,
      Input: JSON.parse(child.input) as unknown,
      InputDetails: { Included: true },
      Output: JSON.parse(child.output ?? 'null') as unknown,
      OutputDetails: { Included: true },
    };
    this.record(
      execution,
      'TaskSucceeded',
      name,
      { taskSucceededEventDetails: { ...resource, output: JSON.stringify(output) } },
      lane,
    );
    return output;
  }

  private async runTask(
    execution: ExecutionEntry,
    shape: MachineShape,
    name: string,
    state: AslState,
    input: unknown,
  ): Promise<unknown> {
    await eventLoopTurn();
    const lane = this.laneOfTask(execution, shape, name);
    const resource = state.Type === 'Task' ? state.Resource : '';
    const waitForToken = resource.endsWith('.waitForTaskToken');
    const parameters = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
    const timeout = state.Type === 'Task' ? state.TimeoutSeconds : undefined;
    this.record(
      execution,
      'TaskScheduled',
      name,
      {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: waitForToken ? 'invoke.waitForTaskToken' : 'invoke',
          region: this.region,
          parameters: JSON.stringify(parameters),
          ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
        },
      },
      lane,
    );
    // A function is known by its name; a task names it by ARN (or by name).
    const functionName = (parameters.FunctionName ?? '').split(':function:').at(-1) ?? '';
    const fn = this.functions.get(functionName);
    if (!fn) {
      throw Object.assign(new Error(`Function not found: ${parameters.FunctionName ?? '(none)'}`), {
        name: 'Lambda.ResourceNotFoundException',
      });
    }
    this.record(
      execution,
      'TaskStarted',
      name,
      { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } },
      lane,
    );
    if (!waitForToken) {
      const result = await fn(parameters.Payload);
      const output = { Payload: result, StatusCode: 200 };
      this.record(
        execution,
        'TaskSucceeded',
        name,
        {
          taskSucceededEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            output: JSON.stringify(output),
          },
        },
        lane,
      );
      return output;
    }
    const token = (parameters.Payload as { task_token?: unknown } | undefined)?.task_token;
    if (typeof token !== 'string') throw new Error(`task ${name} carries no task_token in its payload`);
    const completed = new Promise<unknown>((resolve, reject) => {
      this.waiting.set(token, { execution, state: name, resolve, reject });
    });
    await fn(parameters.Payload);
    this.record(
      execution,
      'TaskSubmitted',
      name,
      { taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } },
      lane,
    );
    this.changed();
    const output = await completed;
    this.record(
      execution,
      'TaskSucceeded',
      name,
      {
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke.waitForTaskToken',
          output: JSON.stringify(output),
        },
      },
      lane,
    );
    return output;
  }

  private completeTask(token: string, complete: (task: WaitingTask) => void): Record<string, never> {
    const task = this.waiting.get(token);
    if (!task || task.execution.status !== 'RUNNING') {
      throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    }
    this.waiting.delete(token);
    complete(task);
    return {};
  }

  private stop(execution: ExecutionEntry, error?: string, cause?: string) {
    if (execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.stoppedAt = Date.now();
      if (error !== undefined) execution.error = error;
      if (cause !== undefined) execution.cause = cause;
      // Every step still open is stopped with it, as the service records: a Map's iterations first.
      for (const map of [...execution.openIterations.keys()]) this.abortIterations(execution, map);
      for (const open of [...execution.open.values()]) {
        const type = this.stateType(execution, open.state);
        if (type !== 'Parallel') this.record(execution, `${type}StateAborted`, open.state, {}, open.lane);
      }
      this.record(execution, 'ExecutionAborted', undefined, {
        executionAbortedEventDetails: { ...(error ? { error } : {}), ...(cause ? { cause } : {}) },
      });
      execution.abort?.();
      this.dropTasks(execution);
      this.stopChildren(execution, () => true);
      this.changed();
    }
    return { stopDate: seconds(execution.stoppedAt ?? Date.now()) };
  }

  private stateType(execution: ExecutionEntry, state: string): string {
    for (const [name, definition] of allStates(execution.machine.definition)) {
      if (name === state) return definition.Type;
    }
    return 'Task';
  }

  /**
   * The execution's tasks no longer wait: their handlers are settled (with an error no state sees, the
   * execution having ended), so the executor clears each task's TimeoutSeconds timer, which it clears only
   * when the task settles, and no timer of an ended execution outlives it.
   */
  private dropTasks(execution: ExecutionEntry): void {
    for (const [token, task] of this.waiting) {
      if (task.execution !== execution) continue;
      this.waiting.delete(token);
      task.reject(Object.assign(new Error('the execution has ended'), { name: 'States.Runtime' }));
    }
  }

  private describe(execution: ExecutionEntry) {
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.machine.arn,
      name: execution.name,
      status: execution.status,
      startDate: seconds(execution.startedAt),
      ...(execution.stoppedAt !== undefined ? { stopDate: seconds(execution.stoppedAt) } : {}),
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output !== undefined
        ? { output: execution.output, outputDetails: { included: true } }
        : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  /** Newest first; `nextToken` is the position of the next item, opaque to callers. */
  private listExecutions(machine: MachineEntry, status: string | undefined, max: number, nextToken?: string) {
    const all = [...this.executions.values()]
      .filter((e) => e.machine === machine && (status === undefined || e.status === status))
      .sort((a, b) => b.startedAt - a.startedAt || b.sequence - a.sequence);
    const from = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(from) || from < 0) throw new ServiceError('InvalidToken', 'Invalid Token');
    const page = all.slice(from, from + max);
    const next =
      from + max < all.length ? Buffer.from(String(from + max), 'utf8').toString('base64url') : undefined;
    return {
      executions: page.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.arn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startedAt),
        ...(e.stoppedAt !== undefined ? { stopDate: seconds(e.stoppedAt) } : {}),
      })),
      ...(next !== undefined ? { nextToken: next } : {}),
    };
  }

  private history(
    execution: ExecutionEntry,
    max: number,
    nextToken: string | undefined,
    reverse: boolean,
    includeData: boolean,
  ) {
    const ordered = reverse ? [...execution.events].reverse() : execution.events;
    const from = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(from) || from < 0) throw new ServiceError('InvalidToken', 'Invalid Token');
    const page = ordered.slice(from, from + max).map((event) => (includeData ? event : withoutData(event)));
    const next =
      from + max < ordered.length ? Buffer.from(String(from + max), 'utf8').toString('base64url') : undefined;
    return { events: page, ...(next !== undefined ? { nextToken: next } : {}) };
  }
}

/** An event without its input, output and parameters (`includeExecutionData: false`). */
function withoutData(event: HistoryEventJson): HistoryEventJson {
  const stripped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      const {
        input: _input,
        output: _output,
        parameters: _parameters,
        ...rest
      } = value as Record<string, unknown>;
      stripped[key] = rest;
    } else stripped[key] = value;
  }
  return stripped as unknown as HistoryEventJson;
}
