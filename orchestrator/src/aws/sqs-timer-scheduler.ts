import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../graph/engine-dependencies';
import type { TimerFired } from '../runtime/messages';
import type { TimerScheduler } from '../runtime/ports';
import { awsCall } from './aws-errors';

/** SQS delays a message by at most 15 minutes; the runtime re-arms a timer that arrives early. */
export const MAX_SQS_DELAY_SECONDS = 900;

/** Timers as delayed TIMER_FIRED messages on the command queue. */
export class SqsTimerScheduler implements TimerScheduler {
  constructor(
    private readonly sqs: SQSClient,
    private readonly commandQueueUrl: () => Promise<string>,
    private readonly clock: Clock,
  ) {}

  async schedule(timer: TimerFired): Promise<void> {
    const seconds = Math.ceil((Date.parse(timer.fire_at) - this.clock.now().getTime()) / 1000);
    const delay = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, seconds));
    const queueUrl = await this.commandQueueUrl();
    await awsCall('SQS', 'SendMessage', () =>
      this.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(timer),
          DelaySeconds: delay,
        }),
      ),
    );
  }
}
