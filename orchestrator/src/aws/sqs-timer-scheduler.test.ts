import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { EngineError } from '../runtime/errors';
import { FakeClock } from '../runtime/memory/fake-clock';
import type { TimerFired } from '../runtime/messages';
import { MAX_SQS_DELAY_SECONDS, SqsTimerScheduler } from './sqs-timer-scheduler';

jest.setTimeout(15_000);

const START = '2026-01-01T00:00:00.000Z';

let aws: EmbeddedAws;
let sqs: SQSClient;
/** DelaySeconds of every SendMessage this client made, read off the request the real client sends. */
const sentDelays: (number | undefined)[] = [];
let queues = 0;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
  sqs.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'SendMessageCommand')
        sentDelays.push((args.input as { DelaySeconds?: number }).DelaySeconds);
      return next(args);
    },
    { step: 'initialize' },
  );
});

afterAll(async () => {
  sqs?.destroy();
  await aws?.stop();
});

async function setup() {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `cch-test-timers-command-queue-${++queues}` }),
  );
  const queueUrl = created.QueueUrl as string;
  const clock = new FakeClock(START);
  const scheduler = new SqsTimerScheduler(sqs, () => Promise.resolve(queueUrl), clock);
  sentDelays.length = 0;
  return { queueUrl, clock, scheduler };
}

const timer = (fireAt: string): TimerFired => ({
  type: 'TIMER_FIRED',
  instance_id: 'inst-1',
  request_id: 'inst-1:Task_A:1',
  fire_at: fireAt,
});

const at = (offsetMs: number) => new Date(Date.parse(START) + offsetMs).toISOString();

async function counts(queueUrl: string) {
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

const receiveNow = (queueUrl: string) =>
  sqs
    .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))
    .then((r) => r.Messages ?? []);

describe('SqsTimerScheduler (local-aws-sqs)', () => {
  it('a timer 60 s ahead is sent with DelaySeconds 60 and is not receivable yet', async () => {
    const { queueUrl, scheduler } = await setup();
    await scheduler.schedule(timer(at(60_000)));
    expect(sentDelays).toEqual([60]);
    await expect(counts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 1 });
    await expect(receiveNow(queueUrl)).resolves.toHaveLength(0);
  });

  it('a timer 2 h ahead is capped at the SQS maximum of 900 s', async () => {
    const { queueUrl, scheduler } = await setup();
    await scheduler.schedule(timer(at(2 * 3600_000)));
    expect(MAX_SQS_DELAY_SECONDS).toBe(900);
    expect(sentDelays).toEqual([900]);
    await expect(counts(queueUrl)).resolves.toEqual({ visible: 0, delayed: 1 });
  });

  it('a fraction of a second rounds up, so the timer never arrives early', async () => {
    const { scheduler } = await setup();
    await scheduler.schedule(timer(at(59_001)));
    expect(sentDelays).toEqual([60]);
  });

  it('the delay is measured from the injected clock, not the wall clock', async () => {
    const { scheduler, clock } = await setup();
    clock.advance(45_000);
    await scheduler.schedule(timer(at(60_000)));
    expect(sentDelays).toEqual([15]);
  });

  it.each([
    ['a timer already due', 0],
    ['a timer in the past', -3600_000],
  ])(
    '%s gets DelaySeconds 0 and is receivable at once, with the TIMER_FIRED body',
    async (_label, offset) => {
      const { queueUrl, scheduler } = await setup();
      const due = timer(at(offset));
      await scheduler.schedule(due);
      expect(sentDelays).toEqual([0]);
      const received = await receiveNow(queueUrl);
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]?.Body ?? '')).toEqual(due);
    },
  );

  it('a missing command queue fails with an SQS EngineError', async () => {
    const missingUrl = `${aws.endpoints.sqs}/123456789012/cch-test-timers-no-such-queue`;
    const scheduler = new SqsTimerScheduler(sqs, () => Promise.resolve(missingUrl), new FakeClock(START));
    const thrown = await scheduler
      .schedule(timer(at(1000)))
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toMatch(/^SQS_/);
    expect((thrown as EngineError).retryable).toBe(false);
  });
});
