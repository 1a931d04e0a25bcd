import { timersFromEnv } from '../handler';
import { FakeClock } from '../runtime/memory/fake-clock';
import type { TimerScheduler } from '../runtime/ports';
import { createTimerScheduler, EventBridgeTimerScheduler } from './eventbridge-timer-scheduler';

const sqsTimers: TimerScheduler = { schedule: () => Promise.resolve() };
const defaults = {
  groupName: 'cch-test-owner-timer-schedules',
  clock: new FakeClock('2026-01-01T00:00:00Z'),
};
const ROLE = 'arn:aws:iam::123456789012:role/timers';
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:cch-test-owner-orchestrator-command-queue';

describe('choosing the timer scheduler', () => {
  it('is the SQS one by default and with kind sqs', () => {
    expect(createTimerScheduler(undefined, sqsTimers, defaults)).toBe(sqsTimers);
    expect(createTimerScheduler({ kind: 'sqs' }, sqsTimers, defaults)).toBe(sqsTimers);
  });

  it('is EventBridge Scheduler with kind eventbridge', () => {
    const timers = createTimerScheduler(
      { kind: 'eventbridge', roleArn: ROLE, commandQueueArn: QUEUE, client: { region: 'us-east-1' } },
      sqsTimers,
      defaults,
    );
    expect(timers).toBeInstanceOf(EventBridgeTimerScheduler);
  });
});

describe('timersFromEnv (the orchestrator Lambda)', () => {
  it('defaults to sqs when CCH_TIMER_SCHEDULER is unset or empty', () => {
    expect(timersFromEnv({})).toEqual({ kind: 'sqs' });
    expect(timersFromEnv({ CCH_TIMER_SCHEDULER: '' })).toEqual({ kind: 'sqs' });
  });

  it('reads eventbridge with its role, queue and group', () => {
    expect(
      timersFromEnv({
        CCH_TIMER_SCHEDULER: 'eventbridge',
        CCH_TIMER_ROLE_ARN: ROLE,
        CCH_TIMER_QUEUE_ARN: QUEUE,
        CCH_TIMER_SCHEDULE_GROUP: 'group-1',
      }),
    ).toEqual({ kind: 'eventbridge', roleArn: ROLE, commandQueueArn: QUEUE, groupName: 'group-1' });
    expect(
      timersFromEnv({
        CCH_TIMER_SCHEDULER: 'eventbridge',
        CCH_TIMER_ROLE_ARN: ROLE,
        CCH_TIMER_QUEUE_ARN: QUEUE,
      }),
    ).toEqual({ kind: 'eventbridge', roleArn: ROLE, commandQueueArn: QUEUE, groupName: undefined });
  });

  it('refuses an unknown kind or eventbridge without its ARNs, rather than falling back', () => {
    expect(() => timersFromEnv({ CCH_TIMER_SCHEDULER: 'stepfunctions' })).toThrow(/sqs or eventbridge/);
    expect(() => timersFromEnv({ CCH_TIMER_SCHEDULER: 'eventbridge', CCH_TIMER_ROLE_ARN: ROLE })).toThrow(
      /CCH_TIMER_QUEUE_ARN/,
    );
  });
});
