import type { AsyncCancelled, AsyncRequestMessage, CapabilityMessage, TimerFired } from '../messages';
import { CapabilityQueueMissingError } from '../errors';
import type {
  CapabilityDispatcher,
  DispatchReport,
  Logger,
  MetricName,
  Metrics,
  TimerScheduler,
  UndeliverableRequest,
} from '../ports';

/**
 * Keeps every dispatched request, in order, and every cancel notice apart; a test or the local simulation
 * decides what replies.
 */
export class RecordingDispatcher implements CapabilityDispatcher {
  readonly sent: AsyncRequestMessage[] = [];
  readonly notices: AsyncCancelled[] = [];
  private readonly listeners: ((request: AsyncRequestMessage) => void)[] = [];

  /** Domains that have no queue: their requests are reported undeliverable, as SQS would. */
  readonly missingDomains = new Set<string>();

  dispatch(messages: readonly CapabilityMessage[]): Promise<DispatchReport> {
    const undeliverable: UndeliverableRequest[] = [];
    for (const request of messages) {
      const domain = request.capability_id.split('#')[0] ?? '';
      if (this.missingDomains.has(domain)) {
        const queue = `capability-${domain}-request-queue`;
        undeliverable.push({
          request_id: request.request_id,
          error: new CapabilityQueueMissingError(domain, queue),
        });
        continue;
      }
      if (request.type === 'ASYNC_CANCELLED') {
        this.notices.push(structuredClone(request));
        continue;
      }
      this.sent.push(structuredClone(request));
      for (const listener of this.listeners) listener(request);
    }
    return Promise.resolve({ undeliverable });
  }

  onRequest(listener: (request: AsyncRequestMessage) => void): void {
    this.listeners.push(listener);
  }
}

export class RecordingTimerScheduler implements TimerScheduler {
  readonly scheduled: TimerFired[] = [];

  schedule(timer: TimerFired): Promise<void> {
    this.scheduled.push(structuredClone(timer));
    return Promise.resolve();
  }

  /** Removes and returns the timers due at `now`. */
  takeDue(now: Date): TimerFired[] {
    const due = this.scheduled.filter((t) => Date.parse(t.fire_at) <= now.getTime());
    for (const t of due) this.scheduled.splice(this.scheduled.indexOf(t), 1);
    return due;
  }
}

export class RecordingMetrics implements Metrics {
  readonly points: { name: MetricName; value: number; dimensions: Readonly<Record<string, string>> }[] = [];

  record(name: MetricName, value: number, dimensions: Readonly<Record<string, string>> = {}): void {
    this.points.push({ name, value, dimensions });
  }

  total(name: MetricName): number {
    return this.points.filter((p) => p.name === name).reduce((sum, p) => sum + p.value, 0);
  }
}

/** Timers that can be withdrawn, as EventBridge Scheduler's can: a cancelled timer never fires. */
export class WithdrawableTimerScheduler extends RecordingTimerScheduler {
  readonly cancelled: TimerFired[] = [];

  cancel(timer: TimerFired): Promise<void> {
    this.cancelled.push(structuredClone(timer));
    const index = this.scheduled.findIndex(
      (t) =>
        t.instance_id === timer.instance_id &&
        t.request_id === timer.request_id &&
        Date.parse(t.fire_at) === Date.parse(timer.fire_at),
    );
    if (index >= 0) this.scheduled.splice(index, 1);
    return Promise.resolve();
  }
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps structured lines (with inherited bindings), and may also print them. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
    private readonly sink?: (line: LogLine) => void,
  ) {}

  debug(fields: object, message: string): void {
    this.write('debug', fields, message);
  }
  info(fields: object, message: string): void {
    this.write('info', fields, message);
  }
  warn(fields: object, message: string): void {
    this.write('warn', fields, message);
  }
  error(fields: object, message: string): void {
    this.write('error', fields, message);
  }

  child(bindings: object): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings }, this.sink);
  }

  private write(level: LogLine['level'], fields: object, message: string): void {
    const line = { level, message, fields: { ...this.bindings, ...fields } };
    this.lines.push(line);
    this.sink?.(line);
  }
}
