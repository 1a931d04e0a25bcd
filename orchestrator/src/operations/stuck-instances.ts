import { isTerminal, type InstanceRecord, type InstanceStatus } from '../runtime/instance-record';
import { duePartition, INDEX_SHARDS, statusChangedAt } from '../aws/instance-index-layout';
import {
  filterSignature,
  selectedStatuses,
  statusPartitions,
  withinTimes,
  type InstanceFilter,
} from './instance-filter';
import { formatAge } from './format-age';
import { rowOf, type InstanceRow, type StuckReason } from './instance-row';
import type { InstancePage } from './list-instances';
import { mergedIndexPage, type PartitionCursor } from './merged-index-pages';
import type { DeadLetteredMessage } from './dead-letters';
import type { DeadLetteredInstance, IndexPartition, InstanceQueryPort, LeaseState } from './operations-ports';
import { decodePageToken, encodePageToken } from './page-token';

/**
 * How long an instance may show no sign of life before it counts as stuck: the longest a step can take
 * (an orchestrator invocation: Lambda stops one at 15 minutes) plus its message's way back. Also how far
 * past its deadline a wait may still be open: the timer fires at the deadline and is handled in seconds.
 */
export const DEFAULT_STUCK_AFTER_MS = 15 * 60_000;

/** How many candidates one call examines at most before it returns what it found and a `next` token. */
export const MAX_EXAMINED_PER_CALL = 10_000;

export interface StuckOptions {
  readonly now: Date;
  readonly stuckAfterMs?: number;
  /** Messages for instances found in the dead-letter queues (the DLQ reader supplies them). */
  readonly deadLettered?: readonly DeadLetteredInstance[];
  readonly limit?: number;
  readonly next?: string | undefined;
}

const LIVE: readonly InstanceStatus[] = ['RUNNING', 'WAITING'];

/**
 * Why a live instance cannot move on its own, if it cannot (pure):
 * - WAIT_OVERDUE: a wait whose deadline passed more than `stuckAfterMs` ago is still open (its timer was
 *   lost or keeps failing).
 * - NO_PROGRESS: RUNNING, and neither the record nor the lease has shown activity for `stuckAfterMs` (the
 *   message that would carry it on is gone). A lease still held means a worker is on it: not stuck.
 *
 * A Step Functions mode instance (its record has `step_functions`) is judged alike: its waits are its open
 * waitForTaskToken tasks, whose deadline is the task's TimeoutSeconds, so one that is open that long past
 * it is a task Step Functions should have timed out; its `updated_at` is its newest history event and it
 * has no lease, so NO_PROGRESS is RUNNING with no open task and no event for `stuckAfterMs`.
 */
export function stuckReasons(
  record: InstanceRecord,
  lease: LeaseState | undefined,
  now: Date,
  stuckAfterMs = DEFAULT_STUCK_AFTER_MS,
): StuckReason[] {
  const at = now.getTime();
  const reasons: StuckReason[] = [];
  if (isTerminal(record.status)) return reasons;
  for (const wait of record.waits) {
    if (wait.deadline === null) continue;
    const late = at - Date.parse(wait.deadline);
    if (late > stuckAfterMs) {
      reasons.push({
        reason: 'WAIT_OVERDUE',
        detail: `${wait.node} still waits on ${wait.capability_id}, ${formatAge(late)} past its deadline ${wait.deadline}${record.step_functions ? ' (Step Functions should have timed the task out)' : ''}`,
        node: wait.node,
        deadline: wait.deadline,
      });
    }
  }
  if (record.status === 'RUNNING' && !(lease && lease.expires_at > at)) {
    const last = Math.max(Date.parse(record.updated_at), lease?.expires_at ?? 0);
    if (at - last > stuckAfterMs) {
      reasons.push({
        reason: 'NO_PROGRESS',
        detail: record.step_functions
          ? `RUNNING with no open task and no history event for ${formatAge(at - last)} (Step Functions execution)`
          : `RUNNING with no activity for ${formatAge(at - last)} (no lease held)`,
        last_activity: new Date(last).toISOString(),
      });
    }
  }
  return reasons;
}

/**
 * The index partitions that hold every live instance `stuckReasons` could judge stuck at `cutoff` (now less
 * `stuckAfterMs`), read up to `cutoff` only, so a check costs in proportion to the candidates, not to the
 * live instances:
 * - `by-deadline`, every shard: live instances whose earliest open deadline is at or before `cutoff` (a
 *   WAIT_OVERDUE needs a deadline before it, and the earliest deadline is at or before that one);
 * - `by-change`, RUNNING, every shard: RUNNING instances that went live at or before `cutoff` (a
 *   NO_PROGRESS needs no record update since `cutoff`, and a record is updated after it goes live).
 * A RUNNING instance in both is judged from its `by-change` entry only, so it is listed once.
 *
 * Then the port's other partitions of live instances (`modePartitions`: Step Functions mode's RUNNING
 * executions, one partition per state machine), read up to `cutoff` too: an execution that started after
 * it can neither have a deadline nor its last event before it.
 */
function candidatePartitions(
  live: readonly InstanceStatus[],
  filter: InstanceFilter,
  mode: readonly IndexPartition[],
) {
  const partitions: IndexPartition[] = [];
  if (live.length > 0) {
    for (let shard = 0; shard < INDEX_SHARDS; shard++) {
      partitions.push({ index: 'by-deadline', key: duePartition(shard) });
    }
  }
  const runningFrom = partitions.length;
  if (live.includes('RUNNING')) {
    partitions.push(...statusPartitions('RUNNING', filter, 'by-change'));
  }
  const modeFrom = partitions.length;
  partitions.push(...mode);
  return { partitions, runningFrom, modeFrom };
}

/**
 * The stuck instances among those `filter` selects: live (RUNNING or WAITING) instances with a reason from
 * `stuckReasons`, read page by page from the `by-deadline` and `by-change` indexes up to now less
 * `stuckAfterMs` (see `candidatePartitions`: only candidates are read, never every live instance), and
 * from Step Functions mode's RUNNING executions that started before then (their records read back from
 * the executions), and
 * instances with a message in a DLQ (DEAD_LETTERED), which come first, on the first page only. An instance
 * with no record and a START in a DLQ never started: its row has `status: null` (a listing by status
 * leaves it out).
 *
 * `next` resumes after the last candidate examined; one call examines at most MAX_EXAMINED_PER_CALL, so a
 * page may hold fewer than `limit` rows while `next` is not null.
 */
export async function findStuckInstances(
  port: InstanceQueryPort,
  filter: InstanceFilter,
  options: StuckOptions,
): Promise<InstancePage> {
  const limit = options.limit ?? 50;
  const stuckAfterMs = options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const cutoff = new Date(options.now.getTime() - stuckAfterMs).toISOString();
  const live = selectedStatuses(filter).filter((s) => LIVE.includes(s));
  const mode = live.length > 0 ? ((await port.modePartitions?.({ ...filter, statuses: live })) ?? []) : [];
  const { partitions, runningFrom, modeFrom } = candidatePartitions(live, filter, mode);
  const signature = filterSignature(filter, `stuck:${stuckAfterMs}`);
  let cursors: PartitionCursor[] = options.next
    ? decodePageToken(options.next, signature, partitions.length)
    : partitions.map(() => 'start' as const);

  const dead = groupByInstance(options.deadLettered ?? []);
  const rows: InstanceRow[] = options.next
    ? []
    : await deadLetteredRows(port, filter, dead, options.now, stuckAfterMs);
  let examined = 0;
  let exhausted = partitions.length === 0;
  while (!exhausted && rows.length < limit && examined < MAX_EXAMINED_PER_CALL) {
    const page = await mergedIndexPage(port, partitions, cursors, { to: cutoff }, limit - rows.length);
    cursors = [...page.cursors];
    exhausted = page.exhausted;
    examined += page.entries.length;
    // Dead-lettered instances were judged on the first page, with their DLQ reason.
    const ids = page.entries.map((e) => e.instance_id).filter((id) => !dead.has(id));
    const [records, leases] = await Promise.all([port.records(ids), port.leases(ids)]);
    const judged = new Set<string>();
    page.entries.forEach((entry, i) => {
      const id = entry.instance_id;
      const record = records.get(id);
      if (!record || dead.has(id) || judged.has(id) || !live.includes(record.status)) return;
      if (filter.workflow_id !== undefined && record.workflow_id !== filter.workflow_id) return;
      if (!withinTimes(record, filter)) return;
      const source = page.sources[i] ?? 0;
      // An id the engine's table holds is the engine's, judged from its own indexes' entries.
      if (source >= modeFrom && !record.step_functions) return;
      const fromDeadline = source < runningFrom;
      // Its `by-change` entry (read now or on another page) judges it, with every reason.
      if (fromDeadline && record.status === 'RUNNING' && runningFrom < modeFrom) {
        if (statusChangedAt(record) <= cutoff) return;
      }
      judged.add(id);
      const reasons = stuckReasons(record, leases.get(id), options.now, stuckAfterMs);
      if (reasons.length > 0) rows.push(rowOf(record, reasons));
    });
  }
  return { instances: rows, next: exhausted ? null : encodePageToken(signature, cursors) };
}

/** The dead-lettered messages (`wf dlq list`) that name an instance, as `findStuckInstances` takes them. */
export function deadLetteredInstances(messages: readonly DeadLetteredMessage[]): DeadLetteredInstance[] {
  return messages.flatMap((m) =>
    m.instanceId === undefined
      ? []
      : [
          {
            instance_id: m.instanceId,
            queue: m.queue,
            type: m.type,
            reason: m.reason ?? undefined,
            workflow_id: m.workflowId,
          },
        ],
  );
}

function groupByInstance(messages: readonly DeadLetteredInstance[]): Map<string, DeadLetteredInstance[]> {
  const byInstance = new Map<string, DeadLetteredInstance[]>();
  for (const message of messages) {
    byInstance.set(message.instance_id, [...(byInstance.get(message.instance_id) ?? []), message]);
  }
  return byInstance;
}

async function deadLetteredRows(
  port: InstanceQueryPort,
  filter: InstanceFilter,
  dead: Map<string, DeadLetteredInstance[]>,
  now: Date,
  stuckAfterMs: number,
): Promise<InstanceRow[]> {
  if (dead.size === 0) return [];
  const ids = [...dead.keys()].sort();
  const [records, leases] = await Promise.all([port.records(ids), port.leases(ids)]);
  const statuses = new Set(selectedStatuses(filter));
  const rows: InstanceRow[] = [];
  for (const id of ids) {
    const messages = dead.get(id) ?? [];
    const reasons: StuckReason[] = messages.map((m) => ({
      reason: 'DEAD_LETTERED',
      detail: `${m.type ?? 'a message'} in the ${m.queue} DLQ${m.reason ? `: ${m.reason}` : ''}`,
      queue: m.queue,
      message_type: m.type ?? null,
      dead_letter_reason: m.reason ?? null,
    }));
    const record = records.get(id);
    if (record) {
      if (!statuses.has(record.status)) continue;
      if (filter.workflow_id !== undefined && record.workflow_id !== filter.workflow_id) continue;
      if (!withinTimes(record, filter)) continue;
      if (isTerminal(record.status)) {
        // A message dead-lettered for a finished instance changes nothing (nothing waits for it), except
        // a REDRIVE of a FAILED one: someone meant it to run again, and it failed while being applied (a
        // refused redrive is acknowledged, not dead-lettered).
        const redrives = reasons.filter((r) => r.message_type === 'REDRIVE_WORKFLOW');
        if (record.status === 'FAILED' && redrives.length > 0) rows.push(rowOf(record, redrives));
        continue;
      }
      rows.push(rowOf(record, [...reasons, ...stuckReasons(record, leases.get(id), now, stuckAfterMs)]));
      continue;
    }
    // No record: a START that never became an instance (only a listing by no status can show it).
    if (filter.statuses && filter.statuses.length > 0) continue;
    const workflowId = messages.find((m) => m.workflow_id)?.workflow_id ?? null;
    if (filter.workflow_id !== undefined && workflowId !== filter.workflow_id) continue;
    rows.push({
      instance_id: id,
      workflow_id: workflowId,
      status: null,
      engine: null,
      started_at: null,
      updated_at: null,
      changed_at: null,
      waits: [],
      error: null,
      last_step: null,
      stuck: reasons,
    });
  }
  return rows;
}
