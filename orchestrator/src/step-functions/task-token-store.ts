import type { Context } from '../graph/workflow-state';

/**
 * What the request Lambda records before it sends a request, so the reply Lambda can complete the
 * waiting task: the request id's task token, and what completing it needs (the context the task holds,
 * which the reply's outputs are merged into, and the keys the reply must carry).
 */
export interface TaskTokenRecord {
  readonly request_id: string;
  readonly instance_id: string;
  readonly node: string;
  /**
   * The request's workflow and capability: the capability's domain says who may answer (ReplySenders, as
   * the engine checks it). Absent on records written before issue 13; a reply to one of those is refused
   * when senders are checked, as the engine refuses a reply naming no async_request node.
   */
  readonly workflow_id?: string;
  readonly capability_id?: string;
  readonly task_token: string;
  readonly context: Context;
  /** Absent: every output of a SUCCESS is merged. */
  readonly expected_output_keys?: readonly string[];
  /**
   * WAITING until a reply completed the task (REPLIED) or found it gone (STALE: it timed out, or its
   * execution stopped). A reply to a record that is no longer WAITING is acknowledged and ignored.
   */
  readonly status: 'WAITING' | 'REPLIED' | 'STALE';
  readonly created_at: string;
  /** Epoch seconds after which the record may be removed (a table's TTL). */
  readonly expires_at: number;
}

export interface TaskTokenStore {
  /** Writes `record` unless one with its request id exists; returns whichever is stored. */
  putIfAbsent(record: TaskTokenRecord): Promise<TaskTokenRecord>;
  /** Strongly consistent: a reply never misses a record written before its request was sent. */
  get(requestId: string): Promise<TaskTokenRecord | undefined>;
  /** WAITING -> `status`; false when the record was no longer WAITING (another reply got there first). */
  close(requestId: string, status: 'REPLIED' | 'STALE'): Promise<boolean>;
}

/** A TaskTokenStore in memory, for tests and the local executor. */
export class MemoryTaskTokenStore implements TaskTokenStore {
  readonly records = new Map<string, TaskTokenRecord>();

  putIfAbsent(record: TaskTokenRecord): Promise<TaskTokenRecord> {
    const known = this.records.get(record.request_id);
    if (known) return Promise.resolve(known);
    this.records.set(record.request_id, structuredClone(record));
    return Promise.resolve(record);
  }

  get(requestId: string): Promise<TaskTokenRecord | undefined> {
    const record = this.records.get(requestId);
    return Promise.resolve(record && structuredClone(record));
  }

  close(requestId: string, status: 'REPLIED' | 'STALE'): Promise<boolean> {
    const record = this.records.get(requestId);
    if (record?.status !== 'WAITING') return Promise.resolve(false);
    this.records.set(requestId, { ...record, status });
    return Promise.resolve(true);
  }
}
