import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslState, StateMachineBody, StateMachineDefinition } from '../../asl/asl-types';
import { ensurePromiseWithResolvers } from './promise-with-resolvers';
import type { EventLog } from './local-step-functions-run';

/**
 * An embedded Step Functions endpoint for tests: an HTTP server speaking the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Operation>`, JSON bodies, timestamps as epoch seconds, errors as
 * `{ "__type": name, "message": ... }` with status 400), so the real @aws-sdk/client-sfn talks to it
 * over HTTP as it talks to AWS. Signatures are not checked.
 *
 * Executions run on aws-local-stepfunctions (its ASL interpreter: Choice, Retry, Catch, TimeoutSeconds,
 * Parallel are its own). Lambda tasks (`lambda:invoke`, `lambda:invoke.waitForTaskToken`) call the
 * functions given by ARN in-process; a waitForTaskToken task then waits for SendTaskSuccess/Failure of
 * the token its payload carries. Its event log is translated into Step Functions history events
 * (`TaskStateEntered`, `TaskScheduled`, `TaskFailed`, `ExecutionFailed`...) with `previousEventId` links
 * as the service makes them: a task's events point back into their state, through its entry.
 *
 * Operations: CreateStateMachine, ListStateMachines, ListTagsForResource, StartExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution, SendTaskSuccess,
 * SendTaskFailure. Not modelled: versions and aliases, Express machines, redrive, activities, Map.
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

/** Every state of a machine, branches included. */
function* allStates(body: StateMachineBody): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(body.States)) {
    yield [name, state];
    if (state.Type === 'Parallel') for (const branch of state.Branches) yield* allStates(branch);
  }
}

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

  /** Stops every running execution and the server. */
  async close(): Promise<void> {
    for (const execution of this.executions.values()) {
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
    const arn = `arn:aws:states:${this.region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
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
    };
    this.executions.set(arn, execution);
    this.record(execution, 'ExecutionStarted', undefined, {
      executionStartedEventDetails: { input, roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local` },
    });
    this.run(execution);
    return { executionArn: arn, startDate: seconds(execution.startedAt) };
  }

  private record(
    execution: ExecutionEntry,
    type: string,
    state: string | undefined,
    details: Record<string, unknown> = {},
  ): void {
    const id = execution.events.length + 1;
    const previous =
      (state === undefined || type.endsWith('StateEntered') ? undefined : execution.lastEventOf.get(state)) ??
      execution.events.length;
    execution.events.push({
      id,
      previousEventId: previous,
      timestamp: seconds(Date.now()),
      type,
      ...details,
    });
    if (state !== undefined) execution.lastEventOf.set(state, id);
  }

  private run(execution: ExecutionEntry): void {
    const states = new Map(allStates(execution.machine.definition));
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of states) {
      if (state.Type !== 'Task') continue;
      handlers[name] = (input) => this.runTask(execution, name, state, input);
    }
    const run = new StateMachine(execution.machine.definition as never, {
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
        this.translate(execution, logged, states);
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
      this.changed();
    });
  }

  /** The executor's events as Step Functions history events (a task's own are recorded by runTask). */
  private translate(execution: ExecutionEntry, event: EventLog, states: ReadonlyMap<string, AslState>): void {
    const state = event.state;
    if (!state) return;
    const type = states.get(state.name)?.Type ?? state.type;
    if (event.type === 'StateEntered') {
      this.record(execution, `${type}StateEntered`, state.name, {
        stateEnteredEventDetails: { name: state.name, input: JSON.stringify(state.input ?? null) },
      });
    } else if (event.type === 'StateExited') {
      this.record(execution, `${type}StateExited`, state.name, {
        stateExitedEventDetails: { name: state.name, output: JSON.stringify(state.output ?? null) },
      });
    } else if (event.type === 'StateFailed') {
      const cause = (event as { Cause?: unknown }).Cause;
      const details = {
        error: event.Error ?? 'States.Runtime',
        cause: typeof cause === 'string' ? cause : JSON.stringify(cause ?? ''),
      };
      if (type === 'Task') {
        const timedOut = event.Error === 'States.Timeout';
        this.record(execution, timedOut ? 'TaskTimedOut' : 'TaskFailed', state.name, {
          [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: {
            resourceType: 'lambda',
            resource: 'invoke',
            ...details,
          },
        });
        // A task that no longer waits cannot be completed: its token is gone, as the service answers.
        for (const [token, task] of this.waiting) {
          if (task.execution === execution && task.state === state.name) this.waiting.delete(token);
        }
      } else if (type === 'Parallel') {
        this.record(execution, 'ParallelStateFailed', state.name, {});
      }
    }
  }

  private async runTask(
    execution: ExecutionEntry,
    name: string,
    state: AslState,
    input: unknown,
  ): Promise<unknown> {
    await eventLoopTurn();
    const resource = state.Type === 'Task' ? state.Resource : '';
    const waitForToken = resource.endsWith('.waitForTaskToken');
    const parameters = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
    const timeout = state.Type === 'Task' ? state.TimeoutSeconds : undefined;
    this.record(execution, 'TaskScheduled', name, {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: waitForToken ? 'invoke.waitForTaskToken' : 'invoke',
        region: this.region,
        parameters: JSON.stringify(parameters),
        ...(timeout !== undefined ? { timeoutInSeconds: timeout } : {}),
      },
    });
    // A function is known by its name; a task names it by ARN (or by name).
    const functionName = (parameters.FunctionName ?? '').split(':function:').at(-1) ?? '';
    const fn = this.functions.get(functionName);
    if (!fn) {
      throw Object.assign(new Error(`Function not found: ${parameters.FunctionName ?? '(none)'}`), {
        name: 'Lambda.ResourceNotFoundException',
      });
    }
    this.record(execution, 'TaskStarted', name, {
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
    });
    if (!waitForToken) {
      const result = await fn(parameters.Payload);
      const output = { Payload: result, StatusCode: 200 };
      this.record(execution, 'TaskSucceeded', name, {
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          output: JSON.stringify(output),
        },
      });
      return output;
    }
    const token = (parameters.Payload as { task_token?: unknown } | undefined)?.task_token;
    if (typeof token !== 'string') throw new Error(`task ${name} carries no task_token in its payload`);
    const completed = new Promise<unknown>((resolve, reject) => {
      this.waiting.set(token, { execution, state: name, resolve, reject });
    });
    await fn(parameters.Payload);
    this.record(execution, 'TaskSubmitted', name, {
      taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
    });
    this.changed();
    const output = await completed;
    this.record(execution, 'TaskSucceeded', name, {
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: JSON.stringify(output),
      },
    });
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
      // Every step still open is stopped with it, as the service records.
      const open = new Set<string>();
      for (const event of execution.events) {
        const entered = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
        const exited = (event.stateExitedEventDetails as { name?: string } | undefined)?.name;
        if (entered !== undefined) open.add(entered);
        if (exited !== undefined) open.delete(exited);
      }
      for (const state of open) {
        const type = this.stateType(execution, state);
        if (type !== 'Parallel') this.record(execution, `${type}StateAborted`, state, {});
      }
      this.record(execution, 'ExecutionAborted', undefined, {
        executionAbortedEventDetails: { ...(error ? { error } : {}), ...(cause ? { cause } : {}) },
      });
      execution.abort?.();
      this.dropTasks(execution);
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
