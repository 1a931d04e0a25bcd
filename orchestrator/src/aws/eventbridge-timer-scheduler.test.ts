import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { resourceNames } from '../naming/resource-names';
import { EngineError } from '../runtime/errors';
import { FakeClock } from '../runtime/memory/fake-clock';
import type { TimerFired } from '../runtime/messages';
import { EventBridgeTimerScheduler, timerScheduleName } from './eventbridge-timer-scheduler';
import { SqsTimerScheduler } from './sqs-timer-scheduler';

// A real SchedulerClient against a small HTTP server speaking the Scheduler REST-JSON API (there is no
// EventBridge Scheduler emulator): what is asserted is the request the SDK puts on the wire. Short timers
// go through the embedded SQS (local-aws-sqs).

jest.setTimeout(20_000);

const START = '2026-01-01T00:00:00.000Z';
const GROUP = resourceNames({ env: 'test', owner: 'timers' }).timerScheduleGroup;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/cch-test-timers-scheduler-role';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:cch-test-timers-orchestrator-command-queue';

interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

/** What the fake Scheduler answers next: 200 unless a test says otherwise. */
let reply: { status: number; errorType?: string } = { status: 200 };
const requests: WireRequest[] = [];
let server: Server;
let schedulerEndpoint: string;
let aws: EmbeddedAws;
let sqs: SQSClient;
let scheduler: SchedulerClient;
let queues = 0;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push({
        method: req.method ?? '',
        path,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (reply.status !== 200) {
        headers['x-amzn-errortype'] = reply.errorType ?? 'InternalServerException';
        res.writeHead(reply.status, headers).end(JSON.stringify({ Message: 'from the fake Scheduler' }));
        return;
      }
      const name = path.split('/').pop() ?? '';
      res.writeHead(200, headers).end(
        JSON.stringify({
          ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${GROUP}/${name}`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  schedulerEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scheduler = new SchedulerClient({
    endpoint: schedulerEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
});

afterAll(async () => {
  scheduler?.destroy();
  sqs?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await aws?.stop();
});

beforeEach(() => {
  requests.length = 0;
  reply = { status: 200 };
});

async function setup() {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `cch-test-eb-timers-command-queue-${++queues}` }),
  );
  const queueUrl = created.QueueUrl as string;
  const clock = new FakeClock(START);
  const timers = new EventBridgeTimerScheduler({
    scheduler,
    groupName: GROUP,
    roleArn: ROLE_ARN,
    commandQueueArn: QUEUE_ARN,
    shortTimers: new SqsTimerScheduler(sqs, () => Promise.resolve(queueUrl), clock),
    clock,
  });
  return { queueUrl, clock, timers };
}

const timer = (offsetMs: number, requestId = 'inst-1:Task_A:1'): TimerFired => ({
  type: 'TIMER_FIRED',
  instance_id: 'inst-1',
  request_id: requestId,
  fire_at: new Date(Date.parse(START) + offsetMs).toISOString(),
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function queueCounts(queueUrl: string) {
  const response = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages),
    delayed: Number(response.Attributes?.ApproximateNumberOfMessagesDelayed),
  };
}

describe('EventBridgeTimerScheduler on the wire', () => {
  it('a 7-day timer is one CreateSchedule: POST /schedules/<name>, at(), group, SQS target, role, input', async () => {
    const { queueUrl, timers } = await setup();
    const due = timer(7 * DAY);
    await timers.schedule(due);

    expect(requests).toHaveLength(1);
    const [request] = requests as [WireRequest];
    const name = timerScheduleName(due);
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/schedules/${name}`);
    expect(request.contentType).toMatch(/^application\/json/);
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 .*\/us-east-1\/scheduler\/aws4_request/);
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(request.body).toMatchObject({
      GroupName: GROUP,
      ScheduleExpression: 'at(2026-01-08T00:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN },
    });
    // The name travels in the path only; the input is the TIMER_FIRED message, verbatim.
    expect(request.body).not.toHaveProperty('Name');
    const target = request.body.Target as { Input: string };
    expect(JSON.parse(target.Input)).toEqual(due);
    // Nothing went to the queue.
    await expect(queueCounts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 0 });
  });

  it('fire_at is rounded up to the whole second, so the schedule never fires early', async () => {
    const { timers } = await setup();
    await timers.schedule(timer(2 * DAY + 1500));
    expect(requests[0]?.body.ScheduleExpression).toBe('at(2026-01-03T00:00:02)');
  });

  it('the name is a deterministic hash: the same timer gets the same name, another request another one', async () => {
    const { timers } = await setup();
    const long = 'x'.repeat(500);
    await timers.schedule(timer(DAY, `${long}:1`));
    await timers.schedule(timer(DAY, `${long}:1`));
    await timers.schedule(timer(DAY, `${long}:2`));
    const paths = requests.map((r) => r.path);
    expect(paths[0]).toBe(paths[1]);
    expect(paths[2]).not.toBe(paths[0]);
    for (const path of paths) expect(path.length - '/schedules/'.length).toBeLessThanOrEqual(64);
  });

  it('a 409 ConflictException from the service (the schedule exists) is success', async () => {
    const { timers } = await setup();
    reply = { status: 409, errorType: 'ConflictException' };
    await expect(timers.schedule(timer(DAY))).resolves.toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  it('a 400 ValidationException from the service is a non-retryable SCHEDULER EngineError', async () => {
    const { timers } = await setup();
    reply = { status: 400, errorType: 'ValidationException' };
    const thrown = await timers
      .schedule(timer(DAY))
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ code: 'SCHEDULER_ValidationException', retryable: false });
  });

  it.each([
    ['1 minute', MINUTE, 60],
    ['exactly 15 minutes', 15 * MINUTE, 900],
    ['already due', 0, 0],
  ])(
    'a timer due in %s is a delayed message on the embedded SQS, and no schedule',
    async (_label, offset, delay) => {
      const { queueUrl, timers } = await setup();
      const due = timer(offset);
      await timers.schedule(due);
      expect(requests).toHaveLength(0);
      if (delay > 0) {
        await expect(queueCounts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 1 });
      } else {
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        expect(received.Messages?.map((m) => JSON.parse(m.Body ?? '') as unknown)).toEqual([due]);
      }
    },
  );

  it('one second past 15 minutes is a schedule, measured on the injected clock', async () => {
    const { queueUrl, timers, clock } = await setup();
    await timers.schedule(timer(15 * MINUTE + 1000));
    expect(requests).toHaveLength(1);
    clock.advance(1000);
    await timers.schedule(timer(15 * MINUTE + 1000, 'inst-1:Task_B:1'));
    expect(requests).toHaveLength(1);
    await expect(queueCounts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 1 });
  });

  it('a cancellable timer 5 minutes or more away is a schedule even within 15 minutes; a nearer one is not', async () => {
    const { queueUrl, timers } = await setup();
    await timers.schedule(timer(15 * MINUTE, 'inst-1:Task_A:1'), { cancellable: true });
    await timers.schedule(timer(5 * MINUTE, 'inst-1:Task_B:1'), { cancellable: true });
    expect(requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    await timers.schedule(timer(5 * MINUTE - 1000, 'inst-1:Task_C:1'), { cancellable: true });
    await timers.schedule(timer(10 * MINUTE, 'inst-1:Retry:1'), { cancellable: false });
    expect(requests).toHaveLength(2);
    await expect(queueCounts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 2 });
  });

  it('cancel is a DeleteSchedule of the same name in the same group', async () => {
    const { timers } = await setup();
    const due = timer(DAY);
    await timers.schedule(due, { cancellable: true });
    await timers.cancel(due);
    expect(requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', `/schedules/${timerScheduleName(due)}`],
      ['DELETE', `/schedules/${timerScheduleName(due)}`],
    ]);
    expect(requests[1]?.authorization).toMatch(/\/scheduler\/aws4_request/);
  });

  it('cancelling a schedule that is gone (fired, or a timer that went through SQS) is success', async () => {
    const { timers } = await setup();
    reply = { status: 404, errorType: 'ResourceNotFoundException' };
    await expect(timers.cancel(timer(MINUTE))).resolves.toBeUndefined();
    reply = { status: 500, errorType: 'InternalServerException' };
    const thrown = await timers
      .cancel(timer(DAY))
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ retryable: true });
  });
});
