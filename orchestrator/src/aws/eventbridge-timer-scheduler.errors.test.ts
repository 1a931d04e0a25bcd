import {
  ConflictException,
  CreateScheduleCommand,
  InternalServerException,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { EngineError } from '../runtime/errors';
import { FakeClock } from '../runtime/memory/fake-clock';
import type { TimerFired } from '../runtime/messages';
import type { TimerScheduler } from '../runtime/ports';
import { EventBridgeTimerScheduler } from './eventbridge-timer-scheduler';

// DESIGN allows aws-sdk-client-mock in an adapter's error-mapping tests only: these cover nothing else.
// The requests themselves are checked on the wire in eventbridge-timer-scheduler.test.ts.

const START = '2026-01-01T00:00:00.000Z';
// Scheduler exceptions carry the service's `Message` and the SDK's `message`.
const fields = (message: string, httpStatusCode: number) => ({
  message,
  Message: message,
  $metadata: { httpStatusCode },
});
const sevenDays: TimerFired = {
  type: 'TIMER_FIRED',
  instance_id: 'inst-1',
  request_id: 'inst-1:Task_A:1',
  fire_at: '2026-01-08T00:00:00.000Z',
};

const schedulerMock = mockClient(SchedulerClient);
afterEach(() => schedulerMock.reset());
afterAll(() => schedulerMock.restore());

function adapter() {
  const shortTimers: TimerScheduler = { schedule: () => Promise.reject(new Error('not a short timer')) };
  return new EventBridgeTimerScheduler({
    scheduler: new SchedulerClient({ region: 'us-east-1' }),
    groupName: 'cch-test-owner-timer-schedules',
    roleArn: 'arn:aws:iam::123456789012:role/timers',
    commandQueueArn: 'arn:aws:sqs:us-east-1:123456789012:cch-test-owner-orchestrator-command-queue',
    shortTimers,
    clock: new FakeClock(START),
  });
}

const failure = (p: Promise<void>) => p.then(() => undefined).catch((e: unknown) => e);

describe('EventBridgeTimerScheduler error mapping', () => {
  it('ConflictException means the schedule exists already: the timer is scheduled, no error', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException(fields('Schedule already exists.', 409)));
    await expect(adapter().schedule(sevenDays)).resolves.toBeUndefined();
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(1);
  });

  it.each([
    ['ThrottlingException', new ThrottlingException(fields('Rate exceeded', 429))],
    ['InternalServerException', new InternalServerException(fields('oops', 500))],
  ])('%s becomes a retryable SCHEDULER EngineError', async (name, error) => {
    schedulerMock.on(CreateScheduleCommand).rejects(error);
    const thrown = await failure(adapter().schedule(sevenDays));
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ code: `SCHEDULER_${name}`, retryable: true, cause: error });
  });

  it.each([
    ['ValidationException', new ValidationException(fields('bad expression', 400))],
    ['ResourceNotFoundException', new ResourceNotFoundException(fields('no such schedule group', 404))],
    ['AccessDeniedException', { name: 'AccessDeniedException', ...fields('no', 403) }],
  ])('%s becomes a non-retryable SCHEDULER EngineError', async (name, error) => {
    schedulerMock.on(CreateScheduleCommand).rejects(error);
    const thrown = await failure(adapter().schedule(sevenDays));
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ code: `SCHEDULER_${name}`, retryable: false });
    expect((thrown as EngineError).message).toContain('CreateSchedule');
  });
});
