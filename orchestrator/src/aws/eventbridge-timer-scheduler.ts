import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  type SchedulerClientConfig,
} from '@aws-sdk/client-scheduler';
import type { Clock } from '../graph/engine-dependencies';
import type { TimerFired } from '../runtime/messages';
import type { TimerScheduler } from '../runtime/ports';
import { translateAwsError } from './aws-errors';
import { MAX_SQS_DELAY_SECONDS } from './sqs-timer-scheduler';

export interface EventBridgeTimerSchedulerOptions {
  readonly scheduler: SchedulerClient;
  /** The schedule group every timer schedule is created in (resourceNames(stage).timerScheduleGroup). */
  readonly groupName: string;
  /** The role EventBridge Scheduler assumes to send to the command queue (sqs:SendMessage on it only). */
  readonly roleArn: string;
  /** ARN of the command queue: the schedules' target. */
  readonly commandQueueArn: string;
  /** Timers due within SQS's 15-minute delay go here (the SqsTimerScheduler on the same command queue). */
  readonly shortTimers: TimerScheduler;
  readonly clock: Clock;
}

/** Schedule names: 1-64 characters of [0-9A-Za-z_.-]. */
const NAME_PREFIX = 'cch-timer-';

/**
 * Timers on EventBridge Scheduler: one one-time schedule per wait, whatever its length, instead of a delayed
 * SQS message re-armed every 15 minutes (672 deliveries for a 7-day wait). A timer due within 15 minutes
 * goes through the SQS delay (no minimum granularity), unless it is cancellable and at least
 * `MIN_WITHDRAWABLE_DELAY_MS` away: then a schedule, deleted by `cancel` when its wait closes.
 *
 * The schedule fires once at `fire_at` (rounded up to the second, so it never arrives early), sends the
 * TIMER_FIRED JSON to the command queue, and deletes itself. Its name is a hash of the timer, so scheduling
 * the same timer twice (a redelivered message, a retried batch) is a ConflictException, taken as done.
 */
export class EventBridgeTimerScheduler implements TimerScheduler {
  constructor(private readonly options: EventBridgeTimerSchedulerOptions) {}

  async schedule(timer: TimerFired, options?: { readonly cancellable?: boolean }): Promise<void> {
    const dueMs = Date.parse(timer.fire_at) - this.options.clock.now().getTime();
    const withdrawable = options?.cancellable === true && dueMs >= MIN_WITHDRAWABLE_DELAY_MS;
    if (dueMs <= MAX_SQS_DELAY_SECONDS * 1000 && !withdrawable) {
      await this.options.shortTimers.schedule(timer, options);
      return;
    }
    try {
      await this.options.scheduler.send(new CreateScheduleCommand(timerSchedule(timer, this.options)));
    } catch (error) {
      if ((error as { name?: unknown } | undefined)?.name === 'ConflictException') return;
      throw translateAwsError('SCHEDULER', 'CreateSchedule', error);
    }
  }

  /**
   * Deletes the timer's schedule: a wait that closed needs no timer, and a deleted schedule costs nothing
   * (Scheduler bills invocations, not schedules), where a delayed SQS message would still be sent, received
   * and handled. A schedule already gone (fired, deleted, or never made because the timer went through SQS)
   * is fine.
   */
  async cancel(timer: TimerFired): Promise<void> {
    try {
      await this.options.scheduler.send(
        new DeleteScheduleCommand({ Name: timerScheduleName(timer), GroupName: this.options.groupName }),
      );
    } catch (error) {
      if ((error as { name?: unknown } | undefined)?.name === 'ResourceNotFoundException') return;
      throw translateAwsError('SCHEDULER', 'DeleteSchedule', error);
    }
  }
}

/**
 * A cancellable timer (a reply's deadline) this far off or more becomes a schedule even within SQS's 15
 * minutes: it is usually deleted unfired, for nothing, where a delayed message is always delivered and
 * handled. Nearer ones stay on SQS: Scheduler's `at()` fires within about a minute of its time.
 */
export const MIN_WITHDRAWABLE_DELAY_MS = 5 * 60 * 1000;

/** The CreateSchedule request for a timer (exported for tests and for operators reading schedules). */
export function timerSchedule(
  timer: TimerFired,
  target: Pick<EventBridgeTimerSchedulerOptions, 'groupName' | 'roleArn' | 'commandQueueArn'>,
) {
  return {
    Name: timerScheduleName(timer),
    GroupName: target.groupName,
    ScheduleExpression: `at(${atExpressionTime(timer.fire_at)})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    ActionAfterCompletion: 'DELETE' as const,
    Description: `TIMER_FIRED ${timer.instance_id} ${timer.request_id}`.slice(0, 512),
    Target: {
      Arn: target.commandQueueArn,
      RoleArn: target.roleArn,
      Input: JSON.stringify(timer),
    },
  };
}

/**
 * `cch-timer-` + 54 hex digits of sha256(instance_id, request_id, fire_at): deterministic, so a repeat is
 * idempotent, and within the 64-character limit whatever the ids' length. fire_at is part of it so that a
 * wait whose deadline moved gets a schedule of its own rather than a conflict with the old one.
 */
export function timerScheduleName(timer: Pick<TimerFired, 'instance_id' | 'request_id' | 'fire_at'>): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([timer.instance_id, timer.request_id, new Date(timer.fire_at).toISOString()]))
    .digest('hex');
  return NAME_PREFIX + hash.slice(0, 64 - NAME_PREFIX.length);
}

/** `yyyy-mm-ddThh:mm:ss` in UTC, rounded up to the whole second. */
export function atExpressionTime(fireAt: string): string {
  const ms = Math.ceil(Date.parse(fireAt) / 1000) * 1000;
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * How the orchestrator delivers timers. `sqs` (the default, and the local stack's: there is no Scheduler
 * emulator): delayed TIMER_FIRED messages, re-armed every 15 minutes. `eventbridge`: one EventBridge
 * Scheduler schedule per wait over 15 minutes, SQS delays for the rest.
 */
export type TimerSchedulerOptions =
  | { readonly kind: 'sqs' }
  | {
      readonly kind: 'eventbridge';
      /** Default: resourceNames(stage).timerScheduleGroup. */
      readonly groupName?: string | undefined;
      readonly roleArn: string;
      readonly commandQueueArn: string;
      /** SDK settings of the SchedulerClient (endpoint, region, credentials). */
      readonly client?: SchedulerClientConfig;
    };

/** The TimerScheduler `options` ask for, on top of the SQS one that short timers (or all of them) use. */
export function createTimerScheduler(
  options: TimerSchedulerOptions | undefined,
  sqsTimers: TimerScheduler,
  defaults: { readonly groupName: string; readonly clock: Clock },
): TimerScheduler {
  if (!options || options.kind === 'sqs') return sqsTimers;
  return new EventBridgeTimerScheduler({
    scheduler: new SchedulerClient(options.client ?? {}),
    groupName: options.groupName ?? defaults.groupName,
    roleArn: options.roleArn,
    commandQueueArn: options.commandQueueArn,
    shortTimers: sqsTimers,
    clock: defaults.clock,
  });
}
