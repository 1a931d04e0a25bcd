import {
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { RecordingLogger } from '../runtime/memory/recording-ports';
import { CommandBridge, RefusedCommandError, type ExecutionControl } from './command-bridge';
import { ReplyBridge, UnknownRequestError } from './reply-bridge';
import { SfnExecutionControl } from './sfn-execution-control';
import { SfnTaskCompletion } from './sfn-task-completion';
import type { TaskCompletion } from './task-completion';
import { MemoryTaskTokenStore, type TaskTokenRecord } from './task-token-store';

/** The bridges between the unchanged messages and Step Functions: replies, START and CANCEL. */

const record: TaskTokenRecord = {
  request_id: 'i-1:Fetch:abc',
  instance_id: 'i-1',
  node: 'Fetch',
  task_token: 'token-1',
  context: { a: 1 },
  expected_output_keys: ['doc'],
  status: 'WAITING',
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: 0,
};

function completion(answer: 'completed' | 'gone' = 'completed') {
  const calls: unknown[][] = [];
  const port: TaskCompletion = {
    succeed: (token, output) => (calls.push(['succeed', token, output]), Promise.resolve(answer)),
    fail: (token, error) => (calls.push(['fail', token, error]), Promise.resolve(answer)),
  };
  return { port, calls };
}

const reply = (outputs: Record<string, unknown>) =>
  ({
    type: 'ASYNC_RESP',
    instance_id: 'i-1',
    request_id: record.request_id,
    status: 'SUCCESS',
    outputs,
  }) as const;

describe('ReplyBridge', () => {
  it('completes the task with the context merged with the expected keys only, once', async () => {
    const tokens = new MemoryTaskTokenStore();
    await tokens.putIfAbsent(record);
    const { port, calls } = completion();
    const bridge = new ReplyBridge({ tokens, completion: port });
    expect(await bridge.handle(reply({ doc: 'd', extra: 'x' }))).toBe('applied');
    expect(await bridge.handle(reply({ doc: 'd' }))).toBe('duplicate');
    expect(calls).toEqual([['succeed', 'token-1', { a: 1, doc: 'd' }]]);
  });

  it('fails the task with MISSING_OUTPUT_KEYS when an expected key is missing', async () => {
    const tokens = new MemoryTaskTokenStore();
    await tokens.putIfAbsent(record);
    const { port, calls } = completion();
    await new ReplyBridge({ tokens, completion: port }).handle(reply({}));
    expect(calls).toEqual([
      [
        'fail',
        'token-1',
        {
          Error: 'MISSING_OUTPUT_KEYS',
          Cause: JSON.stringify({
            code: 'MISSING_OUTPUT_KEYS',
            message: "the reply lacks 'doc'",
            node: 'Fetch',
          }),
        },
      ],
    ]);
  });

  it('acknowledges a reply whose task is gone as stale, and keeps it stale', async () => {
    const tokens = new MemoryTaskTokenStore();
    await tokens.putIfAbsent(record);
    const bridge = new ReplyBridge({ tokens, completion: completion('gone').port });
    expect(await bridge.handle(reply({ doc: 'd' }))).toBe('stale');
    expect(await bridge.handle(reply({ doc: 'd' }))).toBe('stale');
  });

  it('retries (then dead-letters) a reply to a request no record knows, or of another instance', async () => {
    const tokens = new MemoryTaskTokenStore();
    await tokens.putIfAbsent(record);
    const bridge = new ReplyBridge({ tokens, completion: completion().port });
    await expect(bridge.handle({ ...reply({}), request_id: 'nope' })).rejects.toBeInstanceOf(
      UnknownRequestError,
    );
    await expect(bridge.handle({ ...reply({}), instance_id: 'i-2' })).rejects.toMatchObject({
      retryable: true,
    });
  });
});

describe('CommandBridge', () => {
  const calls: string[] = [];
  const control: ExecutionControl = {
    start: (arn, name, input) => (
      calls.push(`start ${arn} ${name} ${input}`),
      Promise.resolve(calls.length > 1 ? 'exists' : 'started')
    ),
    stop: (arn) => (
      calls.push(`stop ${arn}`),
      Promise.resolve(arn.endsWith(':wf-b:i-1') ? 'stopped' : 'gone')
    ),
  };
  const arn = (m: string) => `arn:aws:states:eu-west-1:1:stateMachine:${m}`;
  const bridge = new CommandBridge({
    control,
    workflows: new Map([
      ['a_v1', { stateMachineArn: arn('wf-a'), initialContext: ['shipmentId'] }],
      ['b_v1', { stateMachineArn: arn('wf-b'), initialContext: [] }],
    ]),
    newId: () => 'generated',
    logger: new RecordingLogger(),
  });
  const start = {
    type: 'START_WORKFLOW',
    workflow_id: 'a_v1',
    instance_id: 'i-1',
    context: { shipmentId: 'S' },
  } as const;

  it('starts an execution named by the instance id; a second START is acknowledged as existing', async () => {
    calls.length = 0;
    expect(await bridge.start(start)).toBe('started');
    expect(await bridge.start(start)).toBe('exists');
    expect(calls[0]).toBe(`start ${arn('wf-a')} i-1 {"context":{"shipmentId":"S"},"last_error":null}`);
  });

  it('refuses an unknown workflow, a missing initial_context key and an id that cannot name an execution', async () => {
    await expect(bridge.start({ ...start, workflow_id: 'zz' })).rejects.toMatchObject({
      code: 'UNKNOWN_WORKFLOW',
      retryable: false,
    });
    await expect(bridge.start({ ...start, context: {} })).rejects.toMatchObject({ code: 'MISSING_CONTEXT' });
    await expect(bridge.start({ ...start, instance_id: 'a:b' })).rejects.toBeInstanceOf(RefusedCommandError);
  });

  it('stops the execution of that name, whichever state machine runs it', async () => {
    calls.length = 0;
    expect(await bridge.cancel({ type: 'CANCEL_WORKFLOW', instance_id: 'i-1' })).toBe('stopped');
    expect(calls).toEqual([
      'stop arn:aws:states:eu-west-1:1:execution:wf-a:i-1',
      'stop arn:aws:states:eu-west-1:1:execution:wf-b:i-1',
    ]);
  });
});

describe('Step Functions adapters translate the service errors', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  const error = (name: string, status = 400) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it('a token that no longer waits is gone; throttling is retryable; anything else is not', async () => {
    const port = new SfnTaskCompletion(new SFNClient({ region: 'eu-west-1' }));
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(error('TaskTimedOut'))
      .rejectsOnce(error('ThrottlingException'))
      .rejectsOnce(error('AccessDenied'));
    expect(await port.succeed('t', {})).toBe('gone');
    await expect(port.succeed('t', {})).rejects.toMatchObject({
      code: 'SFN_ThrottlingException',
      retryable: true,
    });
    await expect(port.succeed('t', {})).rejects.toMatchObject({ code: 'SFN_AccessDenied', retryable: false });
  });

  it('an execution name in use is an existing instance; stopping one that does not exist is gone', async () => {
    const control = new SfnExecutionControl(new SFNClient({ region: 'eu-west-1' }));
    sfn.on(StartExecutionCommand).rejects(error('ExecutionAlreadyExists'));
    sfn.on(StopExecutionCommand).rejects(error('ExecutionDoesNotExist'));
    expect(await control.start('arn', 'i-1', '{}')).toBe('exists');
    expect(await control.stop('arn', 'why')).toBe('gone');
  });
});
