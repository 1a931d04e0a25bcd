import type { LogRecord } from './log-sources';

export type Terminal = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** Turns one instance's log records into readable lines, and spots the line that ends it. */
export function describeRecord(record: LogRecord, startedAt: number): { text?: string; terminal?: Terminal } {
  const msg = record.msg ?? '';
  const at = record.time ? Date.parse(record.time) : Date.now();
  const clock = `+${((at - startedAt) / 1000).toFixed(1).padStart(5)}s`;
  const node = typeof record.node === 'string' ? record.node : '';
  if (msg === 'workflow started')
    return { text: `${clock}  ▶ started (definition sha256 ${shortSha(record)})` };
  if (msg === 'request sent')
    return { text: `${clock}  → ${node}: request sent to ${String(record.capability_id)}` };
  if (msg === 'reply received') return { text: `${clock}  ← ${node}: reply ${String(record.status)}` };
  if (msg === 'wait timed out') return { text: `${clock}  ⏱ ${node}: timed out` };
  // Waits that send no request: without these lines a long wait looks like a hang.
  if (msg === 'waiting') return { text: `${clock}  ⏸ ${node}: waiting until ${String(record.until)}` };
  if (msg === 'wait over') return { text: `${clock}  ⏵ ${node}: wait over` };
  if (msg === 'retry scheduled') return { text: `${clock}  ↻ ${node}: retry at ${String(record.retry_at)}` };
  if (msg === 'retrying the step') return { text: `${clock}  ↻ ${node}: retrying` };
  if (msg === 'child started') {
    return { text: `${clock}  → ${node}: child ${String(record.child_instance_id)} started` };
  }
  if (msg.startsWith('step ')) {
    const mark = record.status === 'SUCCEEDED' ? '✓' : '✗';
    const child = typeof record.child_instance_id === 'string' ? ` (child ${record.child_instance_id})` : '';
    return {
      text: `${clock}  ${mark} ${node} ${String(record.status)} in ${String(record.duration_ms)} ms${child}`,
    };
  }
  if (msg.startsWith('duplicate reply')) return { text: `${clock}  · duplicate reply ignored` };
  if (msg.startsWith('stale reply')) return { text: `${clock}  · stale reply ignored` };
  if (msg === 'START_WORKFLOW refused: instance FAILED before its first step') {
    return { text: `${clock}  ✗ refused${errorText(record.error)}`, terminal: 'FAILED' };
  }
  const done = /^workflow (SUCCEEDED|FAILED)$/.exec(msg);
  if (done) {
    const status = done[1] as Terminal;
    return { text: `${clock}  ■ ${status}${errorText(record.error)}`, terminal: status };
  }
  if (msg === 'workflow cancelled') return { text: `${clock}  ■ CANCELLED`, terminal: 'CANCELLED' };
  return {};
}

/**
 * A logged workflow error as a reader wants it: `: CODE at Node: message`. The log carries the message
 * only when the workflow's loggable keys allow it (else `message_chars`, its length); other fields stay
 * in the log.
 */
function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { code, node, message } = error as Record<string, unknown>;
  const parts = [
    typeof code === 'string' ? code : 'error',
    typeof node === 'string' ? ` at ${node}` : '',
    typeof message === 'string' && message !== '' ? `: ${message}` : '',
  ];
  return `: ${parts.join('')}`;
}

function shortSha(record: LogRecord): string {
  const definition = record.definition as { sha256?: string } | undefined;
  return definition?.sha256?.slice(0, 12) ?? '?';
}
