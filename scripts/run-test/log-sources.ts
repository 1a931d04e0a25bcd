import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import {
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { translateAwsError } from '../../orchestrator/src/aws/aws-errors';

export type LogRecord = Record<string, unknown> & { msg?: string; instance_id?: string; time?: string };

/** Where an instance's log lines come from: the local log stream or CloudWatch Logs. */
export interface LogSource {
  /** Lines of `instanceId` written since the last call. */
  poll(instanceId: string): Promise<LogRecord[]>;
}

/** Follows the embedded stack's JSON-lines log file from where it was when created. */
export class LocalFileLogSource implements LogSource {
  private offset: number;
  private partial = '';

  constructor(private readonly file: string) {
    this.offset = existsSync(file) ? statSync(file).size : 0;
  }

  poll(instanceId: string): Promise<LogRecord[]> {
    if (!existsSync(this.file)) return Promise.resolve([]);
    const size = statSync(this.file).size;
    if (size <= this.offset) return Promise.resolve([]);
    const fd = openSync(this.file, 'r');
    const buffer = Buffer.alloc(size - this.offset);
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.partial + buffer.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return Promise.resolve(parseLines(lines).filter((r) => r.instance_id === instanceId));
  }
}

/** JSON filter pattern selecting one instance's lines from a shared log group. */
export function instanceFilterPattern(instanceId: string): string {
  return `{ $.instance_id = ${JSON.stringify(instanceId)} }`;
}

export interface CloudWatchLogSourceOptions {
  /** How far back the first poll reads (lines logged just before following began). @default 60 s */
  readonly initialLookbackMs?: number;
  /**
   * Each poll re-reads from this long before the newest event seen. CloudWatch Logs makes an event
   * searchable some time after its timestamp, and the streams of a group (one per Lambda container) are
   * ingested independently, so an older event can appear after a newer one was returned. Re-reading is
   * free of repeats (events are told apart by eventId); an event that becomes searchable more than this
   * long after a newer one was seen would be missed. @default 2 minutes
   */
  readonly overlapMs?: number;
  /**
   * A poll sooner than this after the previous one returns nothing and calls nothing: FilterLogEvents
   * allows a few requests per second for the whole account and region, and run-test polls every 150 ms
   * (for the local file). @default 1000
   */
  readonly minIntervalMs?: number;
  /**
   * Attempts per request when CloudWatch throttles or fails transiently (ThrottlingException, a server
   * fault such as ServiceUnavailableException, a network error). @default 8
   */
  readonly maxAttempts?: number;
  /** First retry delay; doubled per attempt, up to 10 s, with full jitter. @default 250 */
  readonly retryBaseMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Follows one instance in the orchestrator's CloudWatch log group (FilterLogEvents with a JSON filter on
 * instance_id, over every stream of the group).
 *
 * Invariants:
 * - Every page of a poll is read (nextToken until there is none). A throttled or transiently failing page
 *   is retried with the same nextToken, with backoff; the SDK's own retries are only three attempts.
 * - An event is returned once: a poll records the eventIds it returned, and only when the whole poll
 *   succeeded, so a poll that fails part-way (retries exhausted, access denied) returns nothing and
 *   commits nothing: the next poll reads the same window again and loses nothing.
 * - Events at the same timestamp in different streams are different events (eventIds are unique in the
 *   group): each is returned. Within a poll, events come in timestamp order.
 * - Remembered eventIds are pruned to the re-read window, so a long follow keeps bounded memory.
 */
export class CloudWatchLogSource implements LogSource {
  /** eventId -> timestamp of events already returned, within the re-read window. */
  private readonly seen = new Map<string, number>();
  private startTime: number;
  private lastPoll = -Infinity;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly options: CloudWatchLogSourceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.startTime = this.now() - (options.initialLookbackMs ?? 60_000);
  }

  async poll(instanceId: string): Promise<LogRecord[]> {
    const now = this.now();
    if (now - this.lastPoll < (this.options.minIntervalMs ?? 1000)) return [];
    this.lastPoll = now;
    const fresh = new Map<string, FilteredLogEvent>();
    let nextToken: string | undefined;
    do {
      const page = await this.filter(instanceId, nextToken);
      for (const event of page.events ?? []) {
        if (!event.eventId || this.seen.has(event.eventId)) continue;
        fresh.set(event.eventId, event);
      }
      nextToken = page.nextToken;
    } while (nextToken);

    // The whole poll succeeded: only now are its events taken as returned.
    const events = [...fresh.values()].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
    let newest = this.startTime;
    for (const event of events) {
      this.seen.set(event.eventId as string, event.timestamp ?? 0);
      newest = Math.max(newest, event.timestamp ?? 0);
    }
    this.startTime = Math.max(this.startTime, newest - (this.options.overlapMs ?? 120_000));
    for (const [id, timestamp] of this.seen) if (timestamp < this.startTime) this.seen.delete(id);
    return parseLines(events.map((event) => event.message ?? ''));
  }

  /** One page, retried with backoff while CloudWatch throttles or fails transiently. */
  private async filter(instanceId: string, nextToken: string | undefined) {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.logs.send(
          new FilterLogEventsCommand({
            logGroupName: this.logGroupName,
            filterPattern: instanceFilterPattern(instanceId),
            startTime: this.startTime,
            ...(nextToken === undefined ? {} : { nextToken }),
          }),
        );
      } catch (error) {
        const translated = translateAwsError('LOGS', `FilterLogEvents ${this.logGroupName}`, error);
        const serverFault = (error as { $fault?: unknown }).$fault === 'server';
        if (!(translated.retryable || serverFault) || attempt >= maxAttempts) throw translated;
        const cap = Math.min(10_000, (this.options.retryBaseMs ?? 250) * 2 ** (attempt - 1));
        await this.sleep(Math.round(cap * (this.options.random ?? Math.random)()));
      }
    }
  }
}

function parseLines(lines: readonly string[]): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of lines) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      records.push(JSON.parse(line.slice(start)) as LogRecord);
    } catch {
      // Not one of ours (Lambda's own START/END/REPORT lines).
    }
  }
  return records;
}
