import {
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { ORIGINAL_SENDER_ATTRIBUTE } from '../aws/sqs-batch-processor';
import { DEAD_LETTER_REASON_ATTRIBUTE, SqsDeadLetters } from '../aws/sqs-dead-letter';
import { QueueUrls } from '../aws/queue-urls';
import { RequestIds } from '../graph/request-ids';
import type { AsyncResponse } from '../runtime/messages';
import { RecordingDispatcher, RecordingLogger, RecordingMetrics } from '../runtime/memory/recording-ports';
import { handleBridgeBatch } from './bridge-batch';
import { CommandBridge, RefusedCommandError, type ExecutionControl } from './command-bridge';
import { DynamoDbTaskTokenStore } from './dynamodb-task-token-store';
import { ReplyBridge, ReplyRefusedError, UnknownRequestError } from './reply-bridge';
import { RequestDispatch } from './request-dispatch';
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

describe('the reply Lambda refuses what the engine refuses (embedded DynamoDB and SQS)', () => {
  // The engine's own configuration shapes: reply keys, and who may answer each capability domain.
  const keys = { current: 'k'.repeat(40) };
  const senders = { byDomain: { customs: ['AROACUSTOMS'] }, others: ['AROAMOCK'] };
  const replyQueue = 'cch-test-sfn-reply-queue';
  let aws: EmbeddedAws;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let dlqUrl: string;
  let tokens: DynamoDbTaskTokenStore;

  beforeAll(async () => {
    aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
    dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
    sqs = new SQSClient(aws.clientConfig.sqs);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'task-tokens',
        AttributeDefinitions: [{ AttributeName: 'request_id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'request_id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    tokens = new DynamoDbTaskTokenStore(dynamodb, 'task-tokens');
    await sqs.send(new CreateQueueCommand({ QueueName: replyQueue }));
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cch-test-sfn-reply-dlq' })))
      .QueueUrl as string;
  }, 60_000);

  afterAll(async () => {
    dynamodb?.destroy();
    sqs?.destroy();
    await aws?.stop();
  });

  /** The request Lambda's work for one task: a tagged id, and a token record naming its capability. */
  async function request(instanceId: string, capabilityId: string, taskToken: string) {
    const dispatcher = new RecordingDispatcher();
    const sent = await new RequestDispatch({
      tokens,
      dispatcher,
      clock: { now: () => new Date('2026-01-01T00:00:00.000Z'), sleep: () => Promise.resolve() },
      replyTo: 'reply-queue-url',
      requestIds: new RequestIds(keys),
    }).handle({
      task_token: taskToken,
      instance_id: instanceId,
      workflow_id: 'wf_v1',
      node: 'Screen',
      capability_id: capabilityId,
      expected_output_keys: ['verdict'],
      context: { a: 1 },
    });
    return sent;
  }

  /** The reply Lambda as deployed: handleBridgeBatch over the bridge, refusals dead-lettered at once. */
  function replyLambda() {
    const completed: unknown[][] = [];
    const metrics = new RecordingMetrics();
    const logger = new RecordingLogger();
    const bridge = new ReplyBridge({
      tokens,
      completion: {
        succeed: (token, output) => (completed.push([token, output]), Promise.resolve('completed')),
        fail: (token, error) => (completed.push([token, error]), Promise.resolve('completed')),
      },
      requestIds: new RequestIds(keys),
      senders,
      metrics,
      logger,
    });
    const deliver = (reply: AsyncResponse, senderId: string | undefined) =>
      handleBridgeBatch(
        { Records: [sqsRecord(reply, senderId)] },
        logger,
        (message, delivery) =>
          message.type === 'ASYNC_RESP' ? bridge.handle(message, delivery) : Promise.reject(new Error('no')),
        {
          deadLetters: new SqsDeadLetters(sqs, new QueueUrls(sqs)),
          refusedAtOnce: (error) => error instanceof ReplyRefusedError,
        },
      );
    return { deliver, completed, metrics, logger };
  }

  let messages = 0;
  function sqsRecord(reply: AsyncResponse, senderId: string | undefined): SQSRecord {
    const messageId = `m-${++messages}`;
    return {
      messageId,
      receiptHandle: messageId,
      body: JSON.stringify(reply),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        ApproximateFirstReceiveTimestamp: '0',
        ...(senderId === undefined ? {} : { SenderId: senderId }),
      } as SQSRecord['attributes'],
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${replyQueue}`,
      awsRegion: 'us-east-1',
    };
  }

  async function deadLetters(): Promise<{ reason?: string; sender?: string; body: unknown }[]> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    // Taken off the DLQ, so each look sees only what was dead-lettered since the last one.
    for (const m of Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    return (Messages ?? []).map((m) => ({
      reason: m.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue,
      sender: m.MessageAttributes?.[ORIGINAL_SENDER_ATTRIBUTE]?.StringValue,
      body: JSON.parse(m.Body ?? '') as unknown,
    }));
  }

  const success = (instanceId: string, requestId: string): AsyncResponse => ({
    type: 'ASYNC_RESP',
    instance_id: instanceId,
    request_id: requestId,
    status: 'SUCCESS',
    outputs: { verdict: 'clear' },
  });

  it("tags the request id as the engine does and records the request's capability", async () => {
    const sent = await request('i-tag', 'customs#screen', 'token-tag');
    expect(sent.request_id).toMatch(/^i-tag:Screen:[0-9a-f]{16}:[A-Za-z0-9_-]{22}$/);
    expect(new RequestIds(keys).verifyTask('i-tag', sent.request_id)).toMatchObject({
      ok: true,
      node: 'Screen',
    });
    expect(await tokens.get(sent.request_id)).toMatchObject({
      workflow_id: 'wf_v1',
      capability_id: 'customs#screen',
      status: 'WAITING',
    });
  });

  it("refuses a reply from a principal not allowed for the request's domain: dead-lettered at once with the reason, counted, logged, the task untouched", async () => {
    const sent = await request('i-wrong', 'customs#screen', 'token-wrong');
    const lambda = replyLambda();
    // The mock's role may answer other domains, not customs.
    const outcome = await lambda.deliver(success('i-wrong', sent.request_id), 'AROAMOCK:session-1');
    expect(outcome.batchItemFailures).toEqual([]);
    expect(lambda.completed).toEqual([]);
    expect((await tokens.get(sent.request_id))?.status).toBe('WAITING');
    expect(await deadLetters()).toEqual([
      {
        reason:
          "reply refused (REPLY_WRONG_SENDER): sent by AROAMOCK, which is not a principal of capability domain 'customs' (customs#screen)",
        sender: 'AROAMOCK:session-1',
        body: success('i-wrong', sent.request_id),
      },
    ]);
    expect(lambda.metrics.points).toEqual([
      { name: 'RepliesRefused', value: 1, dimensions: { workflow_id: 'wf_v1' } },
    ]);
    expect(lambda.logger.lines.find((l) => l.message === 'reply refused')).toMatchObject({
      level: 'warn',
      fields: { refusal: 'REPLY_WRONG_SENDER', sender_id: 'AROAMOCK:session-1' },
    });

    // A reply the transport does not attribute is refused too; the domain's team is then applied.
    await lambda.deliver(success('i-wrong', sent.request_id), undefined);
    expect((await deadLetters()).map((d) => d.reason)).toEqual([
      "reply refused (REPLY_WRONG_SENDER): the transport did not say who sent this reply; replies for domain 'customs' are accepted from its team only",
    ]);
    expect(
      (await lambda.deliver(success('i-wrong', sent.request_id), 'AROACUSTOMS:s')).batchItemFailures,
    ).toEqual([]);
    expect(lambda.completed).toEqual([['token-wrong', { a: 1, verdict: 'clear' }]]);
    expect((await tokens.get(sent.request_id))?.status).toBe('REPLIED');
  });

  it('refuses a reply whose id is not tagged by this deployment before reading anything, and applies a good one', async () => {
    const sent = await request('i-forged', 'customs#screen', 'token-forged');
    const lambda = replyLambda();
    const [prefix, tag] = [sent.request_id.slice(0, -22), sent.request_id.slice(-22)];
    const forged = `${prefix}${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`;
    const untagged = prefix.slice(0, -1);
    const otherKeys = new RequestIds({ current: 'z'.repeat(40) });
    const foreign = otherKeys.issueForTask('i-forged', 'Screen', sent.request_id.split(':')[2] ?? '');
    for (const id of [forged, untagged, foreign]) {
      expect((await lambda.deliver(success('i-forged', id), 'AROACUSTOMS:s')).batchItemFailures).toEqual([]);
    }
    expect((await deadLetters()).map((d) => d.reason)).toEqual([
      'reply refused (REQUEST_ID_FORGED): request_id was not issued by this deployment (its tag does not verify)',
      'reply refused (REQUEST_ID_MALFORMED): request_id is not <instance_id>:<node>:<task>:<tag>: after the instance id it has 2 parts, not 3',
      'reply refused (REQUEST_ID_FORGED): request_id was not issued by this deployment (its tag does not verify)',
    ]);
    // Refused before any read: no workflow is known yet, as in the engine.
    expect(lambda.metrics.points).toEqual(
      [1, 2, 3].map(() => ({ name: 'RepliesRefused', value: 1, dimensions: {} })),
    );
    expect(lambda.completed).toEqual([]);

    expect(
      (await lambda.deliver(success('i-forged', sent.request_id), 'AROACUSTOMS:s')).batchItemFailures,
    ).toEqual([]);
    expect(lambda.completed).toEqual([['token-forged', { a: 1, verdict: 'clear' }]]);
    expect(await deadLetters()).toEqual([]);
    expect(lambda.metrics.total('RepliesRefused')).toBe(3);
  });

  it('checks a domain without a team of its own against `others`, as the engine does', async () => {
    const sent = await request('i-open', 'billing#charge', 'token-open');
    const lambda = replyLambda();
    // billing falls to `others`: the mock may answer it, a stranger may not.
    await lambda.deliver(success('i-open', sent.request_id), 'AROASTRANGER');
    expect((await deadLetters()).map((d) => d.sender)).toEqual(['AROASTRANGER']);
    await lambda.deliver(success('i-open', sent.request_id), 'AROAMOCK');
    expect(lambda.completed).toEqual([['token-open', { a: 1, verdict: 'clear' }]]);
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
