import { isTerminal, type InstanceRecord } from '../runtime/instance-record';
import { awaitedBy } from './awaited-by';
import { UsageError } from './cli-io';

/** `--timeout SECONDS` of a command that follows an instance, in ms: a positive number. */
export function followTimeoutMs(option: string): number {
  const value = Number(option);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--timeout ${option} is not a positive number of seconds`);
  }
  return value * 1000;
}

export interface FollowOptions {
  /** When following stops (default: the instance is terminal). */
  readonly until?: (record: InstanceRecord) => boolean;
  /** Also stop when this holds of the first record seen (e.g. it is not the instance a START meant). */
  readonly reject?: (record: InstanceRecord) => string | undefined;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** Each step and wait as it appears, one line each. */
  readonly out?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type FollowResult =
  | { readonly kind: 'done'; readonly record: InstanceRecord }
  | { readonly kind: 'rejected'; readonly record: InstanceRecord; readonly reason: string }
  | { readonly kind: 'timed-out'; readonly record?: InstanceRecord };

/**
 * Follows an instance through its status record (the same on the embedded stack and on AWS, which
 * needs only DynamoDB read access): prints each history entry once, in order, and each wait when it
 * opens, until `until` holds or `timeoutMs` passes. Polling a record costs one strongly consistent read.
 */
export async function followInstance(
  load: (instanceId: string) => Promise<InstanceRecord | undefined>,
  instanceId: string,
  options: FollowOptions,
): Promise<FollowResult> {
  const until = options.until ?? ((r: InstanceRecord) => isTerminal(r.status));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const out = options.out ?? (() => undefined);
  const deadline = Date.now() + options.timeoutMs;
  let printed = 0;
  const waitsShown = new Set<string>();
  let first = true;
  let record: InstanceRecord | undefined;
  for (;;) {
    record = await load(instanceId);
    if (record) {
      if (first) {
        const reason = options.reject?.(record);
        if (reason !== undefined) return { kind: 'rejected', record, reason };
        first = false;
      }
      for (const entry of record.history.slice(printed)) out(historyLine(entry));
      printed = Math.max(printed, record.history.length);
      for (const wait of record.waits) {
        if (waitsShown.has(wait.request_id)) continue;
        waitsShown.add(wait.request_id);
        out(`  WAITING    ${wait.node}${awaitedBy(wait)}${wait.deadline ? ` until ${wait.deadline}` : ''}`);
      }
      if (until(record)) return { kind: 'done', record };
    }
    if (Date.now() >= deadline) return record ? { kind: 'timed-out', record } : { kind: 'timed-out' };
    await sleep(options.pollMs ?? 500);
  }
}

function historyLine(entry: InstanceRecord['history'][number]): string {
  if (entry.status === 'REDRIVEN') {
    const { by, reason } = entry.redrive;
    return `  REDRIVEN   ${entry.node} by ${by} at ${entry.started_at}${reason ? `: ${reason}` : ''}`;
  }
  const ms = Date.parse(entry.ended_at) - Date.parse(entry.started_at);
  return `  ${entry.status.padEnd(10)} ${entry.node} (${ms} ms)`;
}
