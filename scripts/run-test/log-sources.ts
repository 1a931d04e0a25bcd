import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

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

/** Follows one instance in the orchestrator's CloudWatch log group (FilterLogEvents with a JSON filter). */
export class CloudWatchLogSource implements LogSource {
  private readonly seen = new Set<string>();
  private startTime = Date.now() - 60_000;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
  ) {}

  async poll(instanceId: string): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    let nextToken: string | undefined;
    let newest = this.startTime;
    do {
      const page = await this.logs.send(
        new FilterLogEventsCommand({
          logGroupName: this.logGroupName,
          filterPattern: instanceFilterPattern(instanceId),
          startTime: this.startTime,
          nextToken,
        }),
      );
      for (const event of page.events ?? []) {
        if (!event.eventId || this.seen.has(event.eventId)) continue;
        this.seen.add(event.eventId);
        newest = Math.max(newest, event.timestamp ?? 0);
        records.push(...parseLines([event.message ?? '']));
      }
      nextToken = page.nextToken;
    } while (nextToken);
    // Re-read a little behind the newest event: CloudWatch may index lines out of order.
    this.startTime = Math.max(this.startTime, newest - 5_000);
    return records;
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
