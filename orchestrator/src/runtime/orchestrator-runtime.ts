import { createHash, randomUUID } from 'node:crypto';
import { childEndError, missingStartContext } from '../graph/child-outcome';
import { setMaxListeners } from 'node:events';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { Command } from '@langchain/langgraph';
import { formatDiagnostic } from '../definition/diagnostic';
import type { CompiledWorkflow } from '../graph/compile-workflow';
import { BRANCH_NODE_PREFIX } from '../graph/routing';
import type { ChildOutcome, Clock } from '../graph/engine-dependencies';
import { requestNodeOf, type RequestIds } from '../graph/request-ids';
import {
  isTimerOnly,
  isTimerOnlyRequestId,
  type HistoryEntry,
  type Resolution,
  type WaitInterrupt,
  type WaitResumeValue,
  type WorkflowStateValue,
} from '../graph/workflow-state';
import type { SyncCapability } from '../sync-capabilities/registry';
import { CompiledDefinitions } from './compiled-definitions';
import { contextHash } from './context-hash';
import { readGraphView, siblingToCancel, targeted, type GraphView, type PendingWait } from './graph-view';
import { startConflicts } from './start-conflicts';
import { childEndRefusal, senderRefusal, type ReplySenders } from './reply-senders';
import { loggedError, summarize } from './log-fields';
import { DEFAULT_VALUE_LIMITS, valueLimitsViolation } from './value-limits';
import { planRedrive, writeRedriveFork } from './redrive-plan';
import { EngineError } from '../errors/engine-error';
import { RepliesStopParallelError } from './errors';
import { FailureTrackingCheckpointer } from './failure-tracking-checkpointer';
import { FencedCheckpointer, NO_CHECKPOINTS } from './fenced-checkpointer';
import { ack, defer, reject, retry, type HandleOutcome } from './handle-outcome';
import {
  isChildOf,
  isTerminal,
  type InstanceRecord,
  type InstanceStatus,
  type RecordHistoryEntry,
  type RedriveRecord,
  type WaitView,
} from './instance-record';
import {
  MAX_SUB_WORKFLOW_DEPTH,
  type AsyncCancelled,
  type AsyncRequestMessage,
  type AsyncResponse,
  type CancelWorkflow,
  type InboundMessage,
  type ParentLink,
  type RedriveWorkflow,
  type StartWorkflow,
  type TimerFired,
} from './messages';
import type {
  CapabilityDispatcher,
  CommitFlush,
  DefinitionStore,
  Delivery,
  InstanceStore,
  Lease,
  Logger,
  Metrics,
  ParkedReply,
  TimerScheduler,
  WorkflowMessenger,
} from './ports';

export interface RuntimeOptions {
  readonly definitions: DefinitionStore;
  readonly instances: InstanceStore;
  readonly checkpointer: BaseCheckpointSaver;
  readonly dispatcher: CapabilityDispatcher;
  readonly timers: TimerScheduler;
  /**
   * The orchestrator's own queues, for sub_workflows (a child's START and CANCEL, its end to the parent).
   * Without it a sub_workflow step fails at once: its child cannot be started.
   */
  readonly messenger?: WorkflowMessenger;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly syncCapabilities: Readonly<Record<string, SyncCapability>>;
  /** Where capabilities send their replies (the reply queue URL). */
  readonly replyTo: string;
  /**
   * Tags request ids with the deployment's reply key and verifies every reply's id before anything else:
   * a reply whose id this deployment did not issue is refused at once (dead-lettered with the reason,
   * counted as RepliesRefused). Without it ids are untagged and replies unchecked (graph tests only).
   */
  readonly requestIds?: RequestIds;
  /** Who may answer each capability domain (checked against the delivery's sender); unchecked without it. */
  readonly replySenders?: ReplySenders;
  /**
   * Longer than the longest invocation, so a live holder never loses its lease, and short, since a holder
   * that died blocks its instance until then. Default 2 minutes; the Lambda sets timeout + 30 s.
   */
  readonly leaseTtlMs?: number;
  /** How soon a message for a busy instance comes back. */
  readonly busyRetrySeconds?: number;
  /** How soon a message the instance is not ready for (unknown yet, or not awaited yet) comes back. */
  readonly notReadyRetrySeconds?: number;
  readonly newInstanceId?: () => string;
  /** How long a finished instance is kept before it is removed whole (default 30 days). */
  readonly retentionSeconds?: number;
  /** LangGraph durability; `DURABILITY` unless measuring the alternative. */
  readonly durability?: 'exit' | 'sync';
}

/**
 * LangGraph durability mode: one checkpoint per invocation. Safe here because nothing outside the graph
 * observes intermediate steps: requests leave through the outbox only after `invoke` returns, that is,
 * after the exit checkpoint is durable; a crash mid-invocation loses only work the redelivered message
 * redoes (sync capabilities are expected to be idempotent). See README "Durability" for the measurements.
 */
export const DURABILITY = 'exit' as const;

const LEASE_WAITS_MS = [100, 250, 500];
/** A lease held this long is past any normal invocation: its holder is presumed dead. */
const STALE_LEASE_AFTER_MS = 30_000;
/** How many child records a map's collection reads at once. */
const CHILD_READS_AT_ONCE = 16;
/**
 * How long after a dead holder's lease could have run out a parked reply still answers its wait's timer:
 * time for the deferred timer to come back and take the lease, with room for clocks that disagree.
 */
const PARKED_REPLY_GRACE_MS = 15 * 60_000;
/** The longest an SQS message can be kept invisible by one ChangeMessageVisibility (12 hours). */
const MAX_VISIBILITY_DELAY_SECONDS = 43_200;

/**
 * When the timer of a wait sent at `sentAt` fires. A request (or a child's START) sent late, because the
 * worker that committed its wait died before sending it and the next one sent it only once that lease ran
 * out, gets its whole timeout from when it was sent, as a Step Functions task's timeout counts from when
 * the task starts: otherwise the capability would have what was left (often nothing) and the crash would
 * decide the outcome. The recorded deadline stays; the timer comes later than it, and until it fires a
 * reply is still applied. A timer-only wait (a retry's delay, a wait node's time) keeps its deadline.
 */
function timerFor(wait: WaitInterrupt, sentAt: string): string {
  const deadline = wait.deadline as string;
  if (isTimerOnly(wait)) return deadline;
  const lateMs = Date.parse(sentAt) - Date.parse(wait.since);
  if (!(lateMs > LATE_SEND_MS)) return deadline;
  return new Date(Date.parse(deadline) + lateMs).toISOString();
}

/** A send this long after its wait was recorded was held up (by a dead worker's lease), not just slow. */
const LATE_SEND_MS = 5000;

/** Who holds a busy instance's lease, as far as its age tells. */
interface BusyHolder {
  /** How long the message should stay away. */
  readonly delaySeconds: number;
  /** The lease was taken long ago, beyond any live invocation: its worker died holding it. */
  readonly holderLooksDead: boolean;
}

/** What the steps of one message reported: kept outside the checkpoint (see WorkflowState). */
interface StepReports {
  readonly history: RecordHistoryEntry[];
  resolved: Record<string, Resolution | 'RESOLVED'>;
  /** The record as this invocation last committed it (or loaded it), with what it has sent since. */
  inHand: InstanceRecord | undefined;
}

/**
 * The orchestrator: applies START_WORKFLOW, ASYNC_RESP, CANCEL_WORKFLOW and TIMER_FIRED to instances.
 * Every message is processed under the instance's lease (one writer per instance) and begins by
 * reconciling the status record with the checkpoint, so a crash at any point is repaired by redelivery.
 */
export class OrchestratorRuntime {
  private readonly definitions: CompiledDefinitions;
  private readonly leaseTtlMs: number;
  private readonly busyRetrySeconds: number;
  private readonly notReadyRetrySeconds: number;
  private readonly newInstanceId: () => string;
  private readonly failures: FailureTrackingCheckpointer;
  private readonly checkpointer: FencedCheckpointer;
  /** What the steps of the message in hand reported (per instance), until a commit takes it. */
  private readonly reported = new Map<string, StepReports>();

  constructor(private readonly options: RuntimeOptions) {
    this.failures = new FailureTrackingCheckpointer(options.checkpointer);
    this.checkpointer = new FencedCheckpointer(this.failures);
    this.definitions = new CompiledDefinitions(
      options.definitions,
      {
        clock: options.clock,
        syncCapabilities: options.syncCapabilities,
        children: { outcomes: (ids) => this.childOutcomes(ids) },
        ...(options.requestIds ? { requestIds: options.requestIds } : {}),
      },
      this.checkpointer,
    );
    this.leaseTtlMs = options.leaseTtlMs ?? 2 * 60 * 1000;
    this.busyRetrySeconds = options.busyRetrySeconds ?? 2;
    this.notReadyRetrySeconds = options.notReadyRetrySeconds ?? 10;
    this.newInstanceId = options.newInstanceId ?? randomUUID;
  }

  /**
   * @param messageId the queue's id for this message, the same on every redelivery: a START without an
   *   instance_id gets an id derived from it, so a redelivered START cannot start a second instance.
   * @param delivery what the transport says about the message (who sent it).
   */
  async handle(message: InboundMessage, messageId?: string, delivery: Delivery = {}): Promise<HandleOutcome> {
    const instanceId =
      message.type === 'START_WORKFLOW'
        ? (message.instance_id ?? (messageId === undefined ? this.newInstanceId() : uuidFrom(messageId)))
        : message.instance_id;
    // A REDRIVE names itself (its id makes a redelivery a no-op); without one, by its queue message id.
    const redriveId =
      message.type === 'REDRIVE_WORKFLOW'
        ? (message.redrive_id ??
          (messageId === undefined ? this.newInstanceId() : uuidFrom(`redrive:${messageId}`)))
        : undefined;
    const log = this.options.logger.child({
      instance_id: instanceId,
      ...('workflow_id' in message ? { workflow_id: message.workflow_id } : {}),
      ...('request_id' in message ? { request_id: message.request_id } : {}),
    });
    if (message.type === 'ASYNC_RESP' && this.options.requestIds) {
      // Before the lease and any read: a forged reply costs nothing and never waits for its instance.
      const check = this.options.requestIds.verify(message.instance_id, message.request_id);
      if (!check.ok) return this.refuseReply(check.code, check.reason, log, delivery);
    }
    if (message.type === 'TIMER_FIRED') {
      // Most timers find their wait closed (the reply came first): one read, no lease, nothing re-armed.
      // A timer too early for its deadline is re-armed without the lease too: it changes nothing.
      const early = await this.timerWithoutLease(message);
      if (early) return early;
    }
    return this.underLease(
      instanceId,
      async ({ delaySeconds: delay, holderLooksDead }) => {
        if (message.type === 'ASYNC_RESP' && holderLooksDead) await this.park(message, delivery, log);
        log.info(
          { message_type: message.type, retry_in_seconds: delay },
          'instance busy; message deferred (not counted towards the DLQ)',
        );
        // A START without instance_id takes its id from the queue message id, which a deferred copy would
        // not keep: it comes back as itself instead (counted, but only a dead holder's lease can delay it).
        if (message.type === 'START_WORKFLOW' && message.instance_id === undefined) {
          return retry('instance busy', delay);
        }
        // Likewise a REDRIVE without redrive_id: a copy would be another redrive.
        if (message.type === 'REDRIVE_WORKFLOW' && message.redrive_id === undefined) {
          return retry('instance busy', delay);
        }
        return defer('instance busy', delay);
      },
      (stored, lease) => {
        const keyed: InboundMessage =
          message.type === 'REDRIVE_WORKFLOW' && redriveId !== undefined
            ? { ...message, redrive_id: redriveId }
            : message;
        return this.dispatchMessage(keyed, instanceId, stored, lease, log, delivery);
      },
    );
  }

  /**
   * Applies several replies for one instance (a batch's replies to the branches of a fan-out) under one
   * lease, in one graph run and one commit where they answer distinct open waits: as if they had arrived
   * together. Each gets the outcome it would have had alone; whatever cannot join the run (a duplicate, a
   * stale or early reply, a second reply to a map's shared wait) is applied after it, one at a time, as
   * `handle` would. Throws when the run fails: nothing is committed then, and the caller may apply the
   * replies one by one, so one reply that cannot be applied holds none of the others back.
   */
  async handleReplies(replies: readonly InboundReply[]): Promise<HandleOutcome[]> {
    const first = replies[0];
    if (replies.length <= 1 || !first) {
      return first ? [await this.handle(first.message, first.messageId, first.delivery)] : [];
    }
    const instanceId = first.message.instance_id;
    if (replies.some((r) => r.message.instance_id !== instanceId)) {
      throw new Error('handleReplies takes replies for one instance');
    }
    const outcomes: (HandleOutcome | undefined)[] = replies.map(() => undefined);
    const log = this.options.logger.child({ instance_id: instanceId });
    const replyLog = (message: AsyncResponse) => log.child({ request_id: message.request_id });
    const verified = replies.flatMap((reply, index) => {
      const check = this.options.requestIds?.verify(instanceId, reply.message.request_id);
      if (!check || check.ok) return [{ ...reply, index }];
      const delivery = reply.delivery ?? {};
      outcomes[index] = this.refuseReply(check.code, check.reason, replyLog(reply.message), delivery);
      return [];
    });
    if (verified.length === 0) return outcomes.map((outcome) => outcome ?? ack());
    const settled = await this.underLease(
      instanceId,
      async ({ delaySeconds: delay, holderLooksDead }) => {
        if (holderLooksDead) {
          for (const { message, delivery } of verified) {
            await this.park(message, delivery ?? {}, replyLog(message));
          }
        }
        log.info(
          { message_type: 'ASYNC_RESP', replies: verified.length, retry_in_seconds: delay },
          'instance busy; replies deferred (not counted towards the DLQ)',
        );
        return verified.map(() => defer('instance busy', delay));
      },
      async (stored, lease) => {
        if (!stored) {
          return verified.map(() =>
            retry(`ASYNC_RESP for unknown instance ${instanceId}`, this.notReadyRetrySeconds),
          );
        }
        const instanceLog = log.child({ workflow_id: stored.workflow_id });
        return this.applyReplies(verified, withVersion(stored), instanceLog, lease);
      },
    );
    verified.forEach((reply, i) => (outcomes[reply.index] = settled[i]));
    return outcomes.map((outcome) => outcome ?? ack());
  }

  /**
   * Runs `body` under the instance's lease with its record loaded (`onBusy` when another holder keeps the
   * lease), then gives the lease up, marking what the record in hand says was sent.
   */
  private async underLease<T>(
    instanceId: string,
    onBusy: (holder: BusyHolder) => T | Promise<T>,
    body: (stored: InstanceRecord | undefined, lease: Lease) => Promise<T>,
  ): Promise<T> {
    const lease = await this.acquireLease(instanceId);
    if (!lease) {
      this.options.metrics.record('LeaseConflicts', 1);
      return onBusy(await this.busyHolder(instanceId));
    }
    // What the record in hand says was sent is what the release marks, even when the invocation fails:
    // a record committed with waits not yet sent marks nothing, so the retry sends them (again, maybe).
    const reports: StepReports = { history: [], resolved: {}, inHand: undefined };
    try {
      const loaded = await this.options.instances.load(instanceId);
      const stored = loaded && withDispatchMark(loaded, lease);
      reports.inHand = stored;
      this.checkpointer.begin(instanceId, stored?.checkpoints ?? NO_CHECKPOINTS);
      this.reported.set(instanceId, reports);
      try {
        return await body(stored, lease);
      } finally {
        this.checkpointer.end(instanceId);
        this.reported.delete(instanceId);
      }
    } finally {
      await this.options.instances.releaseLease(lease, dispatchMark(reports.inHand));
    }
  }

  private async dispatchMessage(
    message: InboundMessage,
    instanceId: string,
    stored: InstanceRecord | undefined,
    lease: Lease,
    log: Logger,
    delivery: Delivery,
  ): Promise<HandleOutcome> {
    if (message.type === 'START_WORKFLOW') {
      return this.start({ ...message, instance_id: instanceId }, stored, lease, log);
    }
    if (!stored && message.type === 'CANCEL_WORKFLOW' && message.parent) {
      // The parent sends this only after the commit that closed its wait, and a child's START is applied
      // only while that wait is open (`unawaitedChild`): this child will never start.
      log.info(
        { parent_instance_id: message.parent.instance_id },
        "CANCEL_WORKFLOW from a parent for a child that never started (its START, if it comes, won't start it): acknowledged",
      );
      return ack('child never started');
    }
    if (!stored) {
      return retry(`${message.type} for unknown instance ${instanceId}`, this.notReadyRetrySeconds);
    }
    const record = withVersion(stored);
    const instanceLog = log.child({ workflow_id: record.workflow_id });
    switch (message.type) {
      case 'ASYNC_RESP':
        return this.reply(message, record, lease, instanceLog, delivery);
      case 'TIMER_FIRED':
        return this.timerFired(message, record, lease, instanceLog);
      case 'CANCEL_WORKFLOW':
        return this.cancel(message, record, lease, instanceLog);
      case 'REDRIVE_WORKFLOW':
        return this.redrive(message, record, lease, instanceLog);
    }
  }

  private async timerWithoutLease(message: TimerFired): Promise<HandleOutcome | undefined> {
    const record = await this.options.instances.load(message.instance_id);
    if (!record) return undefined;
    const wait = record.waits.find((w) => w.request_id === message.request_id);
    if (isTerminal(record.status) || !wait) {
      // Usually a reply came first (debug: one per request with a timeout). A request id that is no id
      // this deployment issued (a forged or mistyped timer) reads the same, and is worth a line.
      const issued = this.options.requestIds?.verify(message.instance_id, message.request_id).ok ?? true;
      const timerOnly = isTimerOnlyRequestId(message.request_id);
      const timerLog = this.options.logger.child({
        instance_id: message.instance_id,
        workflow_id: record.workflow_id,
        request_id: message.request_id,
      });
      const fields = { fire_at: message.fire_at, status: record.status };
      if (issued || timerOnly) timerLog.debug(fields, 'timer for a wait that is over: acknowledged');
      else timerLog.warn(fields, 'timer for a request id never issued: ignored');
      return ack('timer for a wait that is over');
    }
    const refused = this.timerRefusal(message, wait, record.workflow_id);
    if (refused) return refused;
    if (this.options.clock.now().getTime() < Date.parse(message.fire_at)) {
      await this.options.timers.schedule(message);
      return ack('timer re-armed');
    }
    return undefined;
  }

  /**
   * Takes the instance's lease, waiting briefly when another message holds it: most conflicts are two
   * replies of one fan-out arriving together, and each return to the queue costs a receive towards the
   * DLQ's maxReceiveCount.
   */
  private async acquireLease(instanceId: string): Promise<Lease | undefined> {
    for (const waitMs of [...LEASE_WAITS_MS, undefined]) {
      const lease = await this.options.instances.acquireLease(instanceId, this.leaseTtlMs);
      if (lease || waitMs === undefined) return lease;
      await this.options.clock.sleep(waitMs);
    }
    return undefined;
  }

  /**
   * How long a message for a busy instance should stay away. A live holder finishes within one
   * invocation, so it comes back in seconds; a lease held far longer than that belongs to a worker that
   * died, so it comes back once the lease expires, rather than burning its receives towards the DLQ.
   */
  private async busyHolder(instanceId: string): Promise<BusyHolder> {
    const live = { delaySeconds: this.busyRetrySeconds, holderLooksDead: false };
    const expires = await this.options.instances.leaseExpiry(instanceId);
    if (expires === undefined) return live;
    const now = this.options.clock.now().getTime();
    const heldForMs = this.leaseTtlMs - (expires - now);
    if (heldForMs < STALE_LEASE_AFTER_MS) return live;
    const delaySeconds = Math.min(
      MAX_VISIBILITY_DELAY_SECONDS,
      Math.max(this.busyRetrySeconds, Math.ceil((expires - now) / 1000) + 1),
    );
    return { delaySeconds, holderLooksDead: true };
  }

  /**
   * Keeps a reply that a dead holder's lease holds back. Its wait's timer may come due meanwhile and, once
   * the lease runs out, take it before the reply comes back: `timerFired` then applies this reply instead
   * of timing the wait out, since it came first. Only behind a dead holder: a live one gives the lease up
   * within seconds, and parking every reply of a busy fan-out would add a write to each. A reply that
   * cannot be parked is still deferred, as it was before parking existed: nothing is lost, only this
   * protection.
   */
  private async park(message: AsyncResponse, delivery: Delivery, log: Logger): Promise<void> {
    try {
      const parked = await this.options.instances.parkReply(message.instance_id, {
        message,
        delivery,
        parked_at: this.now(),
      });
      if (parked) log.info({}, 'reply parked behind a dead lease');
      else log.warn({}, 'reply too large to park; deferred only (its timer could time the wait out first)');
    } catch (error) {
      log.warn({ err: error }, 'reply could not be parked; deferred only');
    }
  }

  private async start(
    message: StartWorkflow & { instance_id: string },
    stored: InstanceRecord | undefined,
    lease: Lease,
    log: Logger,
  ): Promise<HandleOutcome> {
    const overLimits = valueLimitsViolation(message.context, DEFAULT_VALUE_LIMITS, 'the start context');
    // Nothing of such a context is kept, hashed or logged (it may not even serialize): the instance FAILS.
    if (overLimits) message = { ...message, context: {} };
    if (stored) {
      const existing = withVersion(
        stored.start_context_omitted ? { ...stored, start_context: message.context } : stored,
      );
      await this.reconcile(existing, lease, log);
      const conflicts = startConflicts(existing, message);
      if (conflicts.length > 0) {
        // Not silently ignored: the caller meant another instance than the one that holds this id.
        this.options.metrics.record('StartConflicts', 1, { workflow_id: existing.workflow_id });
        log.warn(
          {
            status: existing.status,
            conflicts,
            existing: { workflow_id: existing.workflow_id, definition_key: existing.definition.key },
            requested: { workflow_id: message.workflow_id, definition_key: message.definition_key ?? null },
          },
          `START_WORKFLOW conflicts with the existing instance (different ${conflicts.join(', ')}): acknowledged, not applied`,
        );
        if (message.parent && conflicts.includes('parent')) {
          await this.refuseChildStart(message.parent, existing, log);
        }
        return ack('start conflicts with the existing instance');
      }
      log.info(
        { status: existing.status },
        'START_WORKFLOW for an existing instance: acknowledged and ignored',
      );
      return ack('instance exists');
    }
    if (message.parent) {
      const refused = await this.unawaitedChild(message.parent, message.instance_id, log);
      if (refused) return refused;
    }
    const key = message.definition_key ?? `${message.workflow_id}.yaml`;
    const definitionText = await this.options.definitions.load(key);
    const unknown = `unknown workflow: no definition '${key}' for workflow_id '${message.workflow_id}'`;
    // A caller's START for nothing is refused to its DLQ; a sub_workflow's child FAILS instead, so its
    // parent learns why rather than wait for a child that never starts.
    if (!definitionText && !message.parent) return reject(unknown);
    const now = this.options.clock.now().toISOString();
    const base: InstanceRecord = {
      instance_id: message.instance_id,
      workflow_id: message.workflow_id,
      status: 'RUNNING',
      context: message.context,
      waits: [],
      history: [],
      definition: { key, sha256: definitionText?.sha256 ?? '' },
      error: null,
      start_context: message.context,
      start_context_sha256: contextHash(message.context),
      dispatched: [],
      cancelled_requests: [],
      resolved: {},
      created_at: now,
      updated_at: now,
      version: 0,
      checkpoints: NO_CHECKPOINTS,
      ...(message.parent ? { parent: message.parent } : {}),
    };
    const { definition, diagnostics } = definitionText
      ? this.definitions.validated(key, definitionText)
      : { definition: undefined, diagnostics: [] };
    const failure = !definitionText
      ? { code: 'UNKNOWN_WORKFLOW', message: unknown }
      : message.parent && message.parent.depth > MAX_SUB_WORKFLOW_DEPTH
        ? {
            code: 'SUB_WORKFLOW_TOO_DEEP',
            message: `sub_workflows nest ${message.parent.depth} deep, more than ${MAX_SUB_WORKFLOW_DEPTH} (a definition that starts itself?)`,
          }
        : !definition
          ? {
              code: 'INVALID_DEFINITION',
              message: diagnostics
                .filter((d) => d.severity === 'error')
                .map(formatDiagnostic)
                .join('\n'),
            }
          : definition.workflow_id !== message.workflow_id
            ? {
                code: 'WORKFLOW_ID_MISMATCH',
                message: `definition '${key}' declares workflow_id '${definition.workflow_id}', not '${message.workflow_id}'`,
              }
            : missingStartContext(definition.initial_context, message.context);
    const refusal = overLimits ? { code: 'CONTEXT_LIMITS_EXCEEDED', message: overLimits } : failure;
    if (refusal || !definitionText) {
      const refused = refusal ?? { code: 'UNKNOWN_WORKFLOW', message: unknown };
      const failed = await this.commit(
        { ...base, status: 'FAILED', error: refused, expires_at: this.expiresAt() },
        lease,
        base,
      );
      this.report(base.instance_id).inHand = await this.notifyParent(failed, lease, log);
      this.options.metrics.record('WorkflowsFailed', 1, { workflow_id: message.workflow_id });
      log.warn(
        { error: loggedError(refused) },
        'START_WORKFLOW refused: instance FAILED before its first step',
      );
      return ack('start refused');
    }
    await this.options.definitions.pin(definitionText);
    try {
      await this.definitions.graphFor(base, definition);
    } catch (error) {
      // Validation should make this impossible; if LangGraph still refuses the graph, fail the instance
      // with the reason rather than retry a START that can never succeed.
      const compileError = {
        code: 'COMPILE_FAILED',
        message: error instanceof Error ? error.message : String(error),
      };
      const failed = await this.commit(
        { ...base, status: 'FAILED', error: compileError, expires_at: this.expiresAt() },
        lease,
        base,
      );
      this.report(base.instance_id).inHand = await this.notifyParent(failed, lease, log);
      this.options.metrics.record('WorkflowsFailed', 1, { workflow_id: message.workflow_id });
      log.error(
        { error: loggedError(compileError) },
        'START_WORKFLOW refused: instance FAILED before its first step',
      );
      return ack('start refused');
    }
    // The first commit creates the record together with the first checkpoint: a START that dies before it
    // left nothing anyone can see, and its redelivery starts afresh.
    log.info(
      { definition: base.definition, context: summarize(message.context, definition?.loggable_keys) },
      'workflow starting',
    );
    await this.reconcile(base, lease, log);
    this.options.metrics.record('WorkflowsStarted', 1, { workflow_id: message.workflow_id });
    return ack();
  }

  private async reply(
    message: AsyncResponse,
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
    delivery: Delivery,
  ): Promise<HandleOutcome> {
    const refused = await this.senderRefusal(message, record, delivery);
    if (refused) return this.refuseReply('REPLY_WRONG_SENDER', refused, log, delivery, record.workflow_id);
    const { record: current, view } = await this.reconcile(record, lease, log);
    const rid = message.request_id;
    const pending = view?.pending.get(rid);
    if (view && pending && !isTerminal(current.status)) {
      await this.applyReply(message, current, view, pending, lease, log);
      return ack();
    }
    return this.replyNotAwaited(message, current, log);
  }

  /** Resumes the open wait `pending` with `message`, a reply whose sender was checked. */
  private async applyReply(
    message: AsyncResponse,
    current: InstanceRecord,
    view: GraphView,
    pending: PendingWait,
    lease: Lease,
    log: Logger,
  ) {
    const value = this.resumeValueOf(message, view.values.context);
    await this.logReply(message, value, pending.wait.node, current, log);
    await this.resume(current, view, [{ requestId: message.request_id, ...pending, value }], lease, log);
  }

  /**
   * `handleReplies` under the lease: the replies that answer distinct open waits are resumed together, the
   * rest are applied after them one at a time. Outcomes in the order of `replies`.
   */
  private async applyReplies(
    replies: readonly InboundReply[],
    record: InstanceRecord,
    log: Logger,
    lease: Lease,
  ): Promise<HandleOutcome[]> {
    const outcomes: (HandleOutcome | undefined)[] = replies.map(() => undefined);
    const logOf = (message: AsyncResponse) => log.child({ request_id: message.request_id });
    const allowed: number[] = [];
    for (const [index, { message, delivery }] of replies.entries()) {
      const refused = await this.senderRefusal(message, record, delivery ?? {});
      if (!refused) allowed.push(index);
      else {
        const log = logOf(message);
        outcomes[index] = this.refuseReply(
          'REPLY_WRONG_SENDER',
          refused,
          log,
          delivery ?? {},
          record.workflow_id,
        );
      }
    }
    const { record: current, view } = await this.reconcile(record, lease, log);
    let latest = current;
    const together: ResumedWait[] = [];
    if (view && !isTerminal(current.status)) {
      const chosen = new Set<string>();
      const interrupts = new Set<string>();
      let context = view.values.context;
      for (const index of allowed) {
        const message = (replies[index] as InboundReply).message;
        const pending = view.pending.get(message.request_id);
        if (!pending || chosen.has(message.request_id) || interrupts.has(pending.interruptId)) continue;
        const value = this.resumeValueOf(message, context);
        // A reply whose outputs take the context over its limits only together with the others is applied
        // on its own, after them, where the limits judge it as they would have had it come alone.
        const overTogether =
          value.kind === 'reply' &&
          value.status === 'FAILURE' &&
          value.error.code === 'REPLY_LIMITS_EXCEEDED';
        if (overTogether && context !== view.values.context) continue;
        await this.logReply(message, value, pending.wait.node, current, logOf(message));
        if (value.kind === 'reply' && value.status === 'SUCCESS') context = { ...context, ...value.outputs };
        chosen.add(message.request_id);
        interrupts.add(pending.interruptId);
        together.push({ requestId: message.request_id, ...pending, value });
        outcomes[index] = ack();
      }
      if (together.length > 1) {
        log.info(
          { replies: together.length, request_ids: together.map((w) => w.requestId) },
          'replies applied together',
        );
      }
      if (together.length > 0) latest = (await this.resume(current, view, together, lease, log)).record;
    }
    for (const index of allowed) {
      if (outcomes[index]) continue;
      const { message, delivery } = replies[index] as InboundReply;
      outcomes[index] = await this.reply(message, latest, lease, logOf(message), delivery ?? {});
      latest = this.report(record.instance_id).inHand ?? latest;
    }
    return outcomes.map((outcome) => outcome ?? ack());
  }

  /** Why the deployment's reply senders refuse this reply's sender, if they do. */
  private async senderRefusal(
    message: AsyncResponse,
    record: InstanceRecord,
    delivery: Delivery,
  ): Promise<string | undefined> {
    const senders = this.options.replySenders;
    if (!senders) return undefined;
    // The node its (verified) id names says which domain's team may answer, open request or not.
    const node = requestNodeOf(record.instance_id, message.request_id);
    const capability = node && (await this.definitions.capabilityOf(record, node));
    return capability
      ? senderRefusal(senders, capability, delivery.senderId)
      : node && (await this.definitions.awaitsChild(record, node))
        ? childEndRefusal(senders, delivery.senderId)
        : `request_id names no async_request or sub_workflow node of workflow ${record.workflow_id}`;
  }

  /**
   * The value a reply resumes its wait with: outputs over the limits (alone, or merged into `context`) are
   * the capability's failure, so the step fails with why, as a FAILURE would.
   */
  private resumeValueOf(message: AsyncResponse, context: WorkflowStateValue['context']): WaitResumeValue {
    const overLimits =
      message.status === 'SUCCESS'
        ? (valueLimitsViolation(message.outputs, DEFAULT_VALUE_LIMITS, "the reply's outputs") ??
          valueLimitsViolation(
            { ...context, ...message.outputs },
            DEFAULT_VALUE_LIMITS,
            "the context with the reply's outputs",
          ))
        : undefined;
    const value: WaitResumeValue = overLimits
      ? {
          kind: 'reply',
          status: 'FAILURE',
          error: { code: 'REPLY_LIMITS_EXCEEDED', message: overLimits },
          at: this.now(),
        }
      : message.status === 'SUCCESS'
        ? { kind: 'reply', status: 'SUCCESS', outputs: message.outputs, at: this.now() }
        : { kind: 'reply', status: 'FAILURE', error: message.error, at: this.now() };
    return value;
  }

  private async logReply(
    message: AsyncResponse,
    value: WaitResumeValue,
    node: string,
    record: InstanceRecord,
    log: Logger,
  ): Promise<void> {
    const applied = value.kind === 'reply' && value.status === 'SUCCESS';
    log.info(
      {
        node,
        status: message.status,
        ...(message.status === 'SUCCESS' && applied
          ? { outputs: summarize(message.outputs, await this.definitions.loggableKeys(record)) }
          : {
              error: loggedError(value.kind === 'reply' && value.status === 'FAILURE' ? value.error : null),
            }),
      },
      'reply received',
    );
  }

  /** A reply its instance is not awaiting: a duplicate or stale one is acknowledged, an early one deferred. */
  private async replyNotAwaited(
    message: AsyncResponse,
    current: InstanceRecord,
    log: Logger,
  ): Promise<HandleOutcome> {
    const rid = message.request_id;
    const resolution =
      current.resolved[rid] ?? (await this.options.instances.resolution(current.instance_id, rid));
    if (resolution === 'REPLIED' || resolution === 'FAILED' || resolution === 'RESOLVED') {
      this.options.metrics.record('DuplicateReplies', 1, { workflow_id: current.workflow_id });
      log.info({ resolution }, 'duplicate reply acknowledged and ignored');
      return ack('duplicate');
    }
    if (resolution !== undefined || current.cancelled_requests.includes(rid) || isTerminal(current.status)) {
      this.options.metrics.record('StaleReplies', 1, { workflow_id: current.workflow_id });
      log.warn({ resolution: resolution ?? current.status }, 'stale reply: the request is no longer awaited');
      return ack('stale');
    }
    return defer(
      `reply for request ${rid} that instance ${current.instance_id} is not awaiting yet`,
      this.notReadyRetrySeconds,
    );
  }

  /** A reply that is never applied, whatever the instance's state: dead-lettered at once with the reason. */
  private refuseReply(
    code: string,
    reason: string,
    log: Logger,
    delivery: Delivery,
    workflowId?: string,
  ): HandleOutcome {
    this.options.metrics.record(
      'RepliesRefused',
      1,
      workflowId === undefined ? {} : { workflow_id: workflowId },
    );
    log.warn({ refusal: code, reason, sender_id: delivery.senderId ?? null }, 'reply refused');
    return reject(`reply refused (${code}): ${reason}`);
  }

  /**
   * A timer the engine did not set for this wait: every timer it sets fires at its wait's deadline, so one
   * set to fire earlier (or for a wait without a deadline) would end the wait early. Refused to the DLQ
   * with why; the wait's own timer still comes.
   */
  private timerRefusal(message: TimerFired, wait: WaitView, workflowId: string): HandleOutcome | undefined {
    const reason =
      wait.deadline === null
        ? `the wait of ${message.request_id} at node ${wait.node} has no deadline, so no timer of its own`
        : Date.parse(message.fire_at) < Date.parse(wait.deadline)
          ? `fire_at ${message.fire_at} is before the deadline ${wait.deadline} of the wait of ${message.request_id} at node ${wait.node}`
          : undefined;
    if (reason === undefined) return undefined;
    this.options.metrics.record('TimersRefused', 1, { workflow_id: workflowId });
    this.options.logger
      .child({ instance_id: message.instance_id, workflow_id: workflowId, request_id: message.request_id })
      .warn({ refusal: 'TIMER_NOT_DUE', fire_at: message.fire_at, deadline: wait.deadline }, 'timer refused');
    return reject(
      `timer refused (TIMER_NOT_DUE): ${reason}; the engine sets every timer at its wait's deadline`,
    );
  }

  private async timerFired(
    message: TimerFired,
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
  ): Promise<HandleOutcome> {
    const known = record.waits.find((w) => w.request_id === message.request_id);
    if (isTerminal(record.status) || !known) return ack('timer for a wait that is over');
    const refused = this.timerRefusal(message, known, record.workflow_id);
    if (refused) return refused;
    if (this.options.clock.now().getTime() < Date.parse(message.fire_at)) {
      await this.options.timers.schedule(message);
      return ack('timer re-armed');
    }
    const { record: current, view } = await this.reconcile(record, lease, log);
    const pending = view?.pending.get(message.request_id);
    if (!view || !pending || isTerminal(current.status)) return ack('timer for a wait that is over');
    const wait = pending.wait;
    if (!isTimerOnly(wait)) {
      const parked = await this.parkedReplyFor(current.instance_id, message.request_id);
      const refused = parked && (await this.senderRefusal(parked.message, current, parked.delivery));
      if (parked && !refused) {
        const parkedLog = log.child({ parked_at: parked.parked_at });
        parkedLog.info(
          { node: wait.node, deadline: wait.deadline },
          'timer applies the reply parked behind a dead lease, not the timeout',
        );
        await this.applyReply(parked.message, current, view, pending, lease, parkedLog);
        return ack('timer found a parked reply');
      }
    }
    if (wait.kind === 'retry') log.info({ node: wait.node }, 'retrying the step');
    else if (wait.kind === 'timer') log.info({ node: wait.node }, 'wait over');
    else log.warn({ node: wait.node, deadline: wait.deadline }, 'wait timed out');
    const value: WaitResumeValue = { kind: 'timeout', at: this.now() };
    await this.resume(current, view, [{ requestId: message.request_id, ...pending, value }], lease, log);
    return ack();
  }

  /**
   * The reply parked for `requestId` while a dead holder's lease ran out, if that was recently enough to be
   * the race `park` guards against. One parked long before (its own delivery must have failed since, or it
   * would have closed the wait) is ignored: applying it could fail the same way, and hold the timeout up.
   */
  private async parkedReplyFor(instanceId: string, requestId: string): Promise<ParkedReply | undefined> {
    const parked = await this.options.instances.parkedReply(instanceId, requestId);
    if (!parked) return undefined;
    const age = this.options.clock.now().getTime() - Date.parse(parked.parked_at);
    return age <= this.leaseTtlMs + PARKED_REPLY_GRACE_MS ? parked : undefined;
  }

  private async cancel(
    message: CancelWorkflow,
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
  ): Promise<HandleOutcome> {
    if (message.parent && !isChildOf(record, message.parent)) {
      // A parent cancelling the child its wait would have started, whose id an instance started otherwise
      // holds (the child's START was refused as a conflict, or is still on its way): not that instance's
      // business. The parent's wait is closed already; it started nothing to cancel.
      log.warn(
        { parent_instance_id: message.parent.instance_id, parent_request_id: message.parent.request_id },
        "CANCEL_WORKFLOW ignored: this instance is not that parent's child",
      );
      return ack("not that parent's child");
    }
    // Reconciling a finished instance also sends what its last commits left unsent (notices, its end to a
    // parent): a cancel that committed and died before they left is repaired by this redelivery.
    const { record: current } = await this.reconcile(record, lease, log);
    if (isTerminal(current.status)) {
      // Not an error (a cancel racing the end is normal), but whoever sent it finds why nothing changed.
      log.info(
        { status: current.status, ...(message.reason === undefined ? {} : { reason: message.reason }) },
        `CANCEL_WORKFLOW ignored: the instance already ended ${current.status}`,
      );
      return ack(`instance already ${current.status}`);
    }
    const at = this.now();
    // Timer-only waits have nobody to tell; a capability is told, a child instance cancelled.
    const told = current.waits.filter((w) => w.capability_id !== '' || w.child_instance_id !== undefined);
    // Each step the instance was waiting in ends CANCELLED in its history, as a branch stopped by a
    // sibling's failure does; a sub_workflow's keeps its child, so `wf describe` still links it.
    const stopped: HistoryEntry[] = current.waits.map((w) => ({
      node: w.node,
      status: 'CANCELLED',
      started_at: w.since,
      ended_at: at,
      ...(w.child_instance_id === undefined ? {} : { child_instance_id: w.child_instance_id }),
    }));
    const cancelled: InstanceRecord = {
      ...current,
      status: 'CANCELLED',
      waits: [],
      history: [...current.history, ...stopped],
      cancelled_requests: [...current.cancelled_requests, ...current.waits.map((w) => w.request_id)],
      error: { code: 'CANCELLED', message: message.reason ?? 'cancelled' },
      updated_at: at,
      expires_at: this.expiresAt(),
      ...(told.length > 0
        ? {
            cancel_notices: {
              at,
              ...(message.reason === undefined ? {} : { reason: message.reason }),
              waits: told,
            },
          }
        : {}),
    };
    const committed = await this.commit(cancelled, lease, current);
    await this.withdrawTimers(current, cancelled, log);
    this.options.metrics.record('WorkflowsCancelled', 1, { workflow_id: current.workflow_id });
    log.info({ reason: message.reason }, 'workflow cancelled');
    const noticed = committed.cancel_notices
      ? await this.sendCancelNotices(committed, lease, log)
      : committed;
    this.report(current.instance_id).inHand = await this.notifyParent(noticed, lease, log);
    return ack();
  }

  /**
   * The outbox of a cancel: tells each capability whose request the instance was awaiting (ASYNC_CANCELLED
   * on its request queue), after the commit that cancelled, then commits that they left. A crash in
   * between sends them again on redelivery (at least once, with the same request ids).
   */
  private async sendCancelNotices(
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
  ): Promise<InstanceRecord> {
    const pending = record.cancel_notices;
    if (!pending) return record;
    const children = pending.waits.filter((w) => w.child_instance_id !== undefined);
    if (children.length > 0) await this.cancelChildren(record, children, pending.reason, log);
    const notices: AsyncCancelled[] = pending.waits
      .filter((w) => w.child_instance_id === undefined)
      .map((w) => ({
        type: 'ASYNC_CANCELLED',
        instance_id: record.instance_id,
        workflow_id: record.workflow_id,
        node: w.node,
        request_id: w.request_id,
        capability_id: w.capability_id,
        ...(pending.reason === undefined ? {} : { reason: pending.reason }),
        cancelled_at: pending.at,
      }));
    const report =
      notices.length > 0 ? await this.options.dispatcher.dispatch(notices) : { undeliverable: [] };
    const undeliverable = new Set(report.undeliverable.map((u) => u.request_id));
    for (const u of report.undeliverable) {
      // Nothing awaits a notice: a capability that cannot be told loses only wasted work.
      log.warn(
        { request_id: u.request_id, error: { code: u.error.code, message: u.error.message } },
        'cancel notice undeliverable: the capability is not told',
      );
    }
    for (const notice of notices.filter((n) => !undeliverable.has(n.request_id))) {
      log.info(
        { node: notice.node, request_id: notice.request_id, capability_id: notice.capability_id },
        'cancel notice sent',
      );
    }
    const sent = notices.length - undeliverable.size;
    if (sent > 0) this.options.metrics.record('CancelNoticesSent', sent, { workflow_id: record.workflow_id });
    const { cancel_notices: _sent, ...rest } = record;
    return this.commit(rest, lease, record);
  }

  /** Sends CANCEL_WORKFLOW to the children of sub_workflow waits the instance no longer awaits. */
  private async cancelChildren(
    record: InstanceRecord,
    waits: readonly WaitView[],
    reason: string | undefined,
    log: Logger,
  ): Promise<void> {
    const messenger = this.options.messenger;
    if (!messenger) return;
    const cancels: CancelWorkflow[] = waits.flatMap((w) =>
      w.child_instance_id === undefined
        ? []
        : [
            {
              type: 'CANCEL_WORKFLOW' as const,
              instance_id: w.child_instance_id,
              parent: { instance_id: record.instance_id, request_id: w.request_id },
              reason:
                `parent ${record.instance_id} stopped waiting at ${w.node}${reason ? `: ${reason}` : ''}`.slice(
                  0,
                  1000,
                ),
            },
          ],
    );
    await messenger.send(cancels);
    for (const cancel of cancels) log.info({ child_instance_id: cancel.instance_id }, 'child cancelled');
  }

  /**
   * A START that names a parent is a child's only if that parent's open wait started this very instance:
   * its end will answer that wait, so anyone who may send a START (a caller on the command queue) could
   * otherwise answer another instance's sub_workflow or map item with a workflow of their choosing, and
   * orphan the real child. The parent committed the wait before its START left (the outbox), so a wait
   * that is not open is one the parent closed since (a timeout, a cancel: that child is not started) or
   * one it never had (refused to the DLQ). A parent that ended is no exception: every wait it closed left
   * a resolution or a cancelled request id behind, so a request id without either was never its own.
   */
  private async unawaitedChild(
    parent: ParentLink,
    instanceId: string,
    log: Logger,
  ): Promise<HandleOutcome | undefined> {
    const record = await this.options.instances.load(parent.instance_id);
    const wait = record?.waits.find((w) => w.request_id === parent.request_id);
    if (wait?.child_instance_id === instanceId) return undefined;
    const closed =
      record !== undefined &&
      wait === undefined &&
      (record.cancelled_requests.includes(parent.request_id) ||
        parent.request_id in record.resolved ||
        (await this.options.instances.resolution(parent.instance_id, parent.request_id)) !== undefined);
    if (closed) {
      log.warn(
        { parent_instance_id: parent.instance_id, parent_request_id: parent.request_id },
        'START_WORKFLOW of a child whose parent stopped awaiting it before it started: acknowledged, not started',
      );
      return ack('parent no longer awaits the child');
    }
    return reject(
      record === undefined
        ? `START_WORKFLOW names parent instance ${parent.instance_id}, which does not exist; only a parent starts its children`
        : `START_WORKFLOW names request ${parent.request_id} of ${parent.instance_id}, which ${
            wait ? `awaits child ${String(wait.child_instance_id)}, not ${instanceId}` : 'it never awaited'
          }; only a parent starts its children`,
    );
  }

  /**
   * A child's START whose instance id already names an instance its parent did not start (a user's, or
   * another parent's): that instance never answers this parent's wait, so the parent is told the child
   * could not start, and its step fails (its `on_failure` route) instead of waiting forever. Sent again if
   * the START is redelivered; the parent acknowledges the copy as a duplicate.
   */
  private async refuseChildStart(parent: ParentLink, existing: InstanceRecord, log: Logger): Promise<void> {
    const messenger = this.options.messenger;
    if (!messenger) {
      log.error(
        { parent_instance_id: parent.instance_id },
        'child refused, but no messenger can tell its parent',
      );
      return;
    }
    const started = existing.parent ? `by ${existing.parent.instance_id}` : 'not by a sub_workflow';
    await messenger.send([
      {
        type: 'ASYNC_RESP',
        instance_id: parent.instance_id,
        request_id: parent.request_id,
        status: 'FAILURE',
        error: {
          code: 'CHILD_FAILED',
          message: `child ${existing.instance_id} could not start: that id names an instance already (${existing.workflow_id}, ${existing.status}), started ${started}`,
        },
      },
    ]);
    log.warn(
      { parent_instance_id: parent.instance_id, parent_node: parent.node },
      'child start refused: its id names another instance; the parent is told',
    );
  }

  /**
   * The outbox of a child instance's end: once the instance is finished, its parent's sub_workflow wait
   * gets the outcome as a reply (SUCCESS with the output, else FAILURE), then the record says it was sent.
   * A crash in between sends it again on redelivery; the parent acknowledges a second copy as a duplicate.
   */
  private async notifyParent(record: InstanceRecord, lease: Lease, log: Logger): Promise<InstanceRecord> {
    const parent = record.parent;
    const messenger = this.options.messenger;
    if (!parent || record.parent_notified || !isTerminal(record.status)) return record;
    if (!messenger) {
      log.error(
        { parent_instance_id: parent.instance_id },
        'child ended, but no messenger can tell its parent',
      );
      return record;
    }
    await messenger.send([childEnd(record, parent)]);
    log.info(
      { parent_instance_id: parent.instance_id, parent_node: parent.node, status: record.status },
      'child end sent to its parent',
    );
    return this.commit({ ...record, parent_notified: true }, lease, record);
  }

  /**
   * REDRIVE_WORKFLOW: re-runs a FAILED instance from the step its failure names, as Step Functions'
   * redrive does: the same instance id, its history kept (the redrive is an entry of it, with who, when
   * and why), completed steps not run again.
   *
   * The FAILED top-level checkpoint holds everything the completed steps produced, and a failed step
   * merges nothing into the context (a sync capability's outputs only on success, a FAILURE reply none),
   * so the redrive forks it: a new checkpoint, child of the FAILED one, with the outcome and last error
   * cleared and the failed node next. With durability "exit" no checkpoint holds the state just before
   * a step that failed in the middle of an invocation (a sync_call after a reply), so the FAILED one is
   * the only start that works for every kind of step. An async_request runs its first half again: the
   * next visit, so a fresh request id, and a late reply to the failed request stays a duplicate.
   *
   * Nothing is real until the commit: the fork and the run after it are written under this session and
   * adopted by the record write conditioned on the version read (FAILED, without this redrive). A crash
   * before it leaves the instance FAILED, and the redelivered message forks again; after it, the redrive
   * id in the record makes the redelivery a no-op apart from sending what the commit left unsent.
   */
  private async redrive(
    message: RedriveWorkflow,
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
  ): Promise<HandleOutcome> {
    const redriveId = message.redrive_id ?? this.newInstanceId();
    const redriveLog = log.child({ redrive_id: redriveId });
    const { record: current } = await this.reconcile(record, lease, redriveLog);
    if ((current.redrives ?? []).some((r) => r.id === redriveId)) {
      redriveLog.info(
        { status: current.status },
        'REDRIVE_WORKFLOW already applied: acknowledged and ignored',
      );
      return ack('redrive already applied');
    }
    const from = await planRedrive(current, {
      definition: () => this.definitions.loadPinned(current.definition.sha256, current.definition.key),
      history: async () => (await this.options.instances.get(current.instance_id))?.history ?? [],
      graph: () => this.definitions.graphFor(current),
    });
    if ('refused' in from) {
      this.options.metrics.record('RedrivesRefused', 1, { workflow_id: current.workflow_id });
      redriveLog.warn(
        { status: current.status, error: loggedError(current.error), reason: from.refused },
        `REDRIVE_WORKFLOW refused: ${from.refused}`,
      );
      return ack('redrive refused');
    }
    const { node, head } = from;
    const at = this.now();
    const by = message.by ?? 'unknown';
    const reason = message.reason ?? null;
    await writeRedriveFork(await this.definitions.graphFor(current), current.instance_id, from);
    const redrive: RedriveRecord = { id: redriveId, at, by, reason, node, from_checkpoint: head };
    this.report(current.instance_id).history.push({
      node,
      status: 'REDRIVEN',
      started_at: at,
      ended_at: at,
      redrive: { id: redriveId, by, reason },
    });
    const { output: _output, expires_at: _expires, ...live } = current;
    const revived: InstanceRecord = {
      ...live,
      status: 'RUNNING',
      error: null,
      redrives: [...(current.redrives ?? []), redrive],
    };
    redriveLog.info({ node, by, reason, from_checkpoint: head }, `workflow redriven from step ${node}`);
    await this.reconcile(revived, lease, redriveLog);
    this.options.metrics.record('WorkflowsRedriven', 1, { workflow_id: current.workflow_id });
    return ack();
  }

  /**
   * Resumes the open waits `waits` answer (distinct interrupts) in one run of the graph, then reconciles.
   * If the branch holding a wait lost its own checkpoint (a crash), it re-runs and interrupts anew under
   * another id: that resume did not take, so it is given to the new interrupt.
   */
  private async resume(
    record: InstanceRecord,
    before: GraphView,
    waits: readonly ResumedWait[],
    lease: Lease,
    log: Logger,
  ) {
    const graph = await this.definitions.graphFor(record);
    const config = this.config(record.instance_id);
    let view = before;
    let open = waits.map((w) => ({ ...w, id: w.interruptId }));
    for (let attempt = 0; open.length > 0; attempt++) {
      const answers = Object.fromEntries(open.map((w) => [w.id, { ...w.value, request_id: w.requestId }]));
      await this.invoke(
        graph,
        new Command({ resume: answers }),
        targeted(
          config,
          open.map((w) => w.wait),
          view,
        ),
      );
      view = await readGraphView(graph, config, this.checkpointer.touched(config.configurable.thread_id));
      const after = view.pending;
      const still = open.filter((w) => after.has(w.requestId));
      const stuck = still.find((w) => attempt >= 2 || after.get(w.requestId)?.interruptId === w.id);
      if (stuck) {
        throw new Error(`the reply to ${stuck.requestId} could not be applied: its wait is still pending`);
      }
      open = still.map((w) => ({ ...w, id: after.get(w.requestId)?.interruptId ?? w.id }));
    }
    // One at a time, a reply that stops a parallel makes its siblings' replies stale: together, every
    // reply of the run would count, an outcome no order gives. Such a run is not committed.
    const stopped = [...Object.keys(view.failures), ...Object.keys(view.terminations ?? {})];
    if (waits.length > 1 && stopped.length > 0) {
      throw new RepliesStopParallelError(record.instance_id, [...new Set(stopped)]);
    }
    const resolved = this.report(record.instance_id).resolved;
    for (const { requestId, value } of waits) resolved[requestId] = resolutionOf(value);
    return this.reconcile(record, lease, log, 0, view);
  }

  /**
   * Brings the status record up to date with the checkpoint, and finishes whatever a crash interrupted:
   * starts the graph if it never ran, re-runs a task whose interrupt was not recorded, stops the siblings
   * of a failed branch, commits, then sends (at least once) every open wait not yet handed to the
   * dispatcher. Idempotent.
   *
   * Order, the heart of the fencing: graph steps write checkpoints that nobody sees until `commit` adopts
   * them under a condition on the record version this worker read; requests leave only after that commit. A
   * writer that lost the instance fails its commit and sends nothing.
   */
  private async reconcile(
    record: InstanceRecord,
    lease: Lease,
    log: Logger,
    depth = 0,
    justRan?: GraphView,
  ): Promise<{ record: InstanceRecord; view?: GraphView }> {
    const config = this.config(record.instance_id);
    if (isTerminal(record.status)) {
      // Nothing to advance, but what the last commits left unsent goes now (a crash came between).
      const sent = await this.sendLeftovers(record, lease, log);
      // The checkpoint (if the graph ever ran) still tells duplicates from stale replies.
      if (!sent.checkpoints?.heads['']) return { record: sent };
      return {
        record: sent,
        view: await readGraphView(
          await this.definitions.graphFor(record),
          config,
          this.checkpointer.touched(config.configurable.thread_id),
        ),
      };
    }
    const graph = await this.definitions.graphFor(record);
    // The graph ran in this invocation and `justRan` is its state after: every task of the run settled
    // (an invoke returns only then), so there is nothing to start or to re-run.
    const snapshot = justRan ? undefined : await this.snapshotOf(graph, config);
    let ran = true;
    if (snapshot && !snapshot.config.configurable?.checkpoint_id) {
      if (record.start_context_omitted)
        throw new Error('the graph has not started and only its START can start it');
      await this.invoke(graph, { context: record.start_context }, config);
    } else if (snapshot?.tasks.some((t) => t.interrupts.length === 0 && t.result === undefined && !t.error)) {
      // A task of the current superstep has neither finished nor interrupted: continuing re-runs it.
      await this.invoke(graph, null, config);
    } else if (snapshot) {
      ran = false;
    }
    let view =
      justRan ??
      (await readGraphView(
        graph,
        config,
        this.checkpointer.touched(config.configurable.thread_id),
        ran ? undefined : snapshot,
      ));
    const reported = this.report(record.instance_id);
    // A branch failed (or reached a shared end) while siblings still wait: stop them, so the parallel's
    // failure route (or that end) runs now.
    for (let cancel = siblingToCancel(view); cancel; cancel = siblingToCancel(view)) {
      log.warn(
        { node: cancel.wait.node, parallel: cancel.parallel, ...(cancel.end ? { end: cancel.end } : {}) },
        cancel.end
          ? `branch stopped: a sibling branch reached end node ${cancel.end}`
          : 'branch stopped: a sibling branch failed',
      );
      const value: WaitResumeValue = { kind: 'cancelled', parallel: cancel.parallel, at: this.now() };
      await this.invoke(
        graph,
        new Command({ resume: { [cancel.interruptId]: value } }),
        targeted(config, [cancel.wait], view),
      );
      reported.resolved[cancel.wait.request_id] = 'CANCELLED';
      view = await readGraphView(graph, config, this.checkpointer.touched(config.configurable.thread_id));
    }
    const values = view.values;
    const outcome = values.outcome;
    const open = outcome ? [] : [...view.pending.values()].map((p) => p.wait);
    const status: InstanceStatus = outcome ? outcome.status : open.length > 0 ? 'WAITING' : 'RUNNING';
    // Every path that closes a wait reports how (a reply, a timer, a cancel, a sibling stopped), and no
    // crash the guarantee suites and the chaos bench model hides it: a committed checkpoint is adopted
    // with the record, in one commit. A wait the record lists that the graph no longer holds, unreported,
    // is an engine defect (a map's waits dropped in a nested parallel was one) and would stop the instance
    // silently: it is closed as RESOLVED, so a late reply is ignored, and logged as an error and
    // counted (WaitsVanished, alarmed), so an operator sees it.
    // Judged against the waits the record keeps open (none once the instance ends), so every wait it stops
    // listing is resolved or cancelled in the record: a child START that names none of them is refused.
    const openIds = new Set(open.map((w) => w.request_id));
    for (const wait of record.waits) {
      if (openIds.has(wait.request_id) || wait.request_id in reported.resolved) continue;
      reported.resolved[wait.request_id] = 'RESOLVED';
      log.error(
        { request_id: wait.request_id, node: wait.node, ...(wait.kind ? { wait_kind: wait.kind } : {}) },
        `wait vanished: the graph no longer holds the wait of ${wait.node}, and nothing answered it`,
      );
      this.options.metrics.record('WaitsVanished', 1, { workflow_id: record.workflow_id });
    }
    const newSteps = reported.history.splice(0);
    // Children the instance stopped awaiting (a timeout, a sibling's failure) are cancelled; a child whose
    // own end answered (REPLIED, FAILED) has ended already.
    const abandoned = record.waits.filter(
      (w) =>
        w.child_instance_id !== undefined &&
        !openIds.has(w.request_id) &&
        reported.resolved[w.request_id] !== 'REPLIED' &&
        reported.resolved[w.request_id] !== 'FAILED',
    );
    const resolved = { ...record.resolved, ...reported.resolved };
    reported.resolved = {};
    const updated: InstanceRecord = {
      ...record,
      status,
      ...recordContext(values.context ?? record.context),
      // The graph has started from it: the checkpoint holds it now, and the record need not.
      start_context: {},
      waits: open.map((w) => ({
        // A request's kind is left out, as in records written before waits had kinds.
        ...(w.kind === undefined || w.kind === 'request' ? {} : { kind: w.kind }),
        request_id: w.request_id,
        node: w.node,
        capability_id: w.capability_id,
        since: w.since,
        deadline: w.deadline,
        ...(w.child ? { child_instance_id: w.child.instance_id } : {}),
      })),
      ...(abandoned.length > 0
        ? {
            cancel_notices: {
              at: record.cancel_notices?.at ?? this.now(),
              waits: [...(record.cancel_notices?.waits ?? []), ...abandoned],
            },
          }
        : {}),
      history: [...record.history, ...newSteps],
      error: outcome?.error ?? null,
      ...(outcome?.output ? { output: outcome.output } : {}),
      // Only ids still awaited need remembering: the rest can never be sent again.
      dispatched: record.dispatched.filter((id) => openIds.has(id)),
      resolved,
      ...(outcome ? { expires_at: this.expiresAt() } : {}),
    };
    let current = record;
    if (ran || record.version === 0 || changed(record, updated)) {
      current = await this.commit(updated, lease, record);
      await this.withdrawTimers(record, current, log);
      for (const step of newSteps) {
        const ms = Date.parse(step.ended_at) - Date.parse(step.started_at);
        this.options.metrics.record('StepDuration', ms, { workflow_id: record.workflow_id, node: step.node });
        // A map logs a step per item: the item's child tells them apart (and from the map's own end).
        const child = 'child_instance_id' in step ? step.child_instance_id : undefined;
        log.info(
          {
            node: step.node,
            status: step.status,
            duration_ms: ms,
            ...(child === undefined ? {} : { child_instance_id: child }),
          },
          `step ${step.node} ${step.status}`,
        );
      }
      if (outcome && !isTerminal(record.status)) {
        const metric = outcome.status === 'SUCCEEDED' ? 'WorkflowsSucceeded' : 'WorkflowsFailed';
        this.options.metrics.record(metric, 1, { workflow_id: record.workflow_id });
        log.info(
          {
            status: outcome.status,
            error: loggedError(outcome.error),
            ...(outcome.output
              ? { output: summarize(outcome.output, await this.definitions.loggableKeys(record)) }
              : {}),
          },
          `workflow ${outcome.status}`,
        );
      }
    }

    current = await this.sendLeftovers(current, lease, log);
    reported.inHand = current;
    const fresh = open.filter((w) => !current.dispatched.includes(w.request_id));
    if (fresh.length === 0) return { record: current, view };
    const undeliverable = await this.dispatch(current, fresh, log);
    // Sent, not committed: the lease release carries the mark (see `dispatchMark`), and the next commit
    // writes the list.
    current = {
      ...current,
      dispatched: [
        ...current.dispatched,
        ...fresh.map((w) => w.request_id).filter((id) => !undeliverable.has(id)),
      ],
    };
    reported.inHand = current;
    if (undeliverable.size === 0 || depth > 8) return { record: current, view };
    // Requests no retry can deliver fail their steps now, rather than wait for a reply that cannot come.
    for (const [requestId, error] of undeliverable) {
      const pending = view.pending.get(requestId);
      if (!pending) continue;
      if (error.code === 'CAPABILITY_QUEUE_MISSING') {
        this.options.metrics.record('CapabilityQueueMissing', 1, { workflow_id: record.workflow_id });
      }
      log.error(
        { node: pending.wait.node, error: { code: error.code, message: error.message } },
        'request undeliverable: the step fails',
      );
      await this.invoke(
        graph,
        new Command({
          resume: {
            [pending.interruptId]: {
              kind: 'undeliverable',
              error: { code: error.code, message: error.message },
              at: this.now(),
              request_id: requestId,
            } satisfies WaitResumeValue,
          },
        }),
        targeted(config, [pending.wait], view),
      );
      reported.resolved[requestId] = 'FAILED';
    }
    return this.reconcile(current, lease, log, depth + 1);
  }

  /** Sends what committed records say is still to send: cancel notices, then a child's end to its parent. */
  private async sendLeftovers(record: InstanceRecord, lease: Lease, log: Logger): Promise<InstanceRecord> {
    const noticed = record.cancel_notices ? await this.sendCancelNotices(record, lease, log) : record;
    return this.notifyParent(noticed, lease, log);
  }

  /**
   * Makes `record` (and the checkpoints this invocation wrote) the instance's state: written only if nobody
   * committed since `record.version` was read (StaleCommitError otherwise).
   */
  private async commit(
    record: InstanceRecord,
    lease: Lease,
    previous: InstanceRecord,
  ): Promise<InstanceRecord> {
    // What the previous commit reported moves to append-only items once newer reports replace it, so the
    // record carries only the last commit's steps and resolutions: its size does not grow with history.
    const newHistory = record.history.length > previous.history.length;
    const previousResolved = Object.keys(previous.resolved);
    const newResolved = Object.keys(record.resolved).length > previousResolved.length;
    const flush: CommitFlush = {
      history: newHistory ? { at: previous.history_base ?? 0, entries: previous.history } : undefined,
      resolved: newResolved ? previous.resolved : undefined,
    };
    const next: InstanceRecord = {
      ...record,
      ...(newHistory
        ? {
            history: record.history.slice(previous.history.length),
            history_base: (previous.history_base ?? 0) + previous.history.length,
          }
        : {}),
      ...(newResolved
        ? {
            resolved: Object.fromEntries(
              Object.entries(record.resolved).filter(([id]) => !previousResolved.includes(id)),
            ),
          }
        : {}),
      checkpoints: this.checkpointer.pendingCommit(record.instance_id),
      version: (record.version ?? 0) + 1,
      updated_at: this.now(),
    };
    await this.options.instances.save(next, lease, flush);
    this.checkpointer.committed(record.instance_id, next.checkpoints ?? NO_CHECKPOINTS);
    return next;
  }

  /**
   * Withdraws the timers of waits that `committed` closed (after the commit: a commit that failed closed
   * nothing). Best effort: a timer that still fires finds its wait over and is dropped after one read.
   */
  private async withdrawTimers(before: InstanceRecord, committed: InstanceRecord, log: Logger) {
    const cancel = this.options.timers.cancel?.bind(this.options.timers);
    if (!cancel) return;
    const open = new Set(committed.waits.map((w) => w.request_id));
    const now = this.options.clock.now().getTime();
    for (const wait of before.waits) {
      // A deadline already reached has fired (it is what closed a timed-out wait or ended a retry's delay).
      if (open.has(wait.request_id) || !wait.deadline || Date.parse(wait.deadline) <= now) continue;
      try {
        await cancel({
          type: 'TIMER_FIRED',
          instance_id: before.instance_id,
          request_id: wait.request_id,
          fire_at: wait.deadline,
        });
      } catch (error) {
        log.warn({ request_id: wait.request_id, error }, 'timer not withdrawn: it will fire and be dropped');
      }
    }
  }

  private report(instanceId: string): StepReports {
    const reports = this.reported.get(instanceId);
    if (!reports) throw new Error(`no message in hand for instance ${instanceId}`);
    return reports;
  }

  /**
   * Hands new waits to the dispatcher and arms their timers: the outbox, flushed after the commit.
   * Returns the requests that can never be delivered, by request id.
   */
  private async dispatch(
    record: InstanceRecord,
    waits: readonly WaitInterrupt[],
    log: Logger,
  ): Promise<Map<string, EngineError>> {
    const sentAt = this.now();
    const requests: AsyncRequestMessage[] = waits
      .filter((w) => !isTimerOnly(w) && w.kind !== 'child')
      .map((w) => ({
        type: 'ASYNC_REQ',
        instance_id: record.instance_id,
        workflow_id: record.workflow_id,
        node: w.node,
        request_id: w.request_id,
        capability_id: w.capability_id,
        input: w.input,
        expected_output_keys: [...w.expected_output_keys],
        reply_to: this.options.replyTo,
        sent_at: sentAt,
      }));
    const report = requests.length > 0 ? await this.options.dispatcher.dispatch(requests) : undefined;
    const undeliverable = new Map((report?.undeliverable ?? []).map((u) => [u.request_id, u.error]));
    for (const [requestId, error] of await this.startChildren(record, waits))
      undeliverable.set(requestId, error);
    for (const w of waits) {
      if (undeliverable.has(w.request_id)) continue;
      if (w.deadline) {
        const fireAt = timerFor(w, sentAt);
        if (fireAt !== w.deadline) {
          log.warn(
            { node: w.node, request_id: w.request_id, deadline: w.deadline, timer_at: fireAt },
            'request sent late: its timeout counts from the send',
          );
        }
        await this.options.timers.schedule(
          {
            type: 'TIMER_FIRED',
            instance_id: record.instance_id,
            request_id: w.request_id,
            fire_at: fireAt,
          },
          // A reply's deadline is usually moot before it comes; a retry's delay or a wait node's time
          // always runs out.
          { cancellable: !isTimerOnly(w) },
        );
      }
      if (w.kind === 'retry') {
        log.info({ node: w.node, request_id: w.request_id, retry_at: w.deadline }, 'retry scheduled');
      } else if (w.kind === 'timer') {
        log.info({ node: w.node, request_id: w.request_id, until: w.deadline }, 'waiting');
      } else if (w.child) {
        log.info(
          { node: w.node, request_id: w.request_id, child_instance_id: w.child.instance_id },
          'child started',
        );
      } else {
        log.info(
          {
            node: w.node,
            request_id: w.request_id,
            capability_id: w.capability_id,
            input: summarize(w.input, await this.definitions.loggableKeys(record)),
          },
          'request sent',
        );
      }
    }
    const sent = requests.length - undeliverable.size;
    if (sent > 0)
      this.options.metrics.record('RequestsDispatched', sent, { workflow_id: record.workflow_id });
    return undeliverable;
  }

  /**
   * Sends the START of each sub_workflow's child (its id fixed by the wait, so a START sent again finds
   * the child it started). Returns the children that cannot be started, by request id.
   */
  private async startChildren(
    record: InstanceRecord,
    waits: readonly WaitInterrupt[],
  ): Promise<Map<string, EngineError>> {
    const children = waits.filter((w) => w.kind === 'child' && w.child !== undefined);
    if (children.length === 0) return new Map();
    const messenger = this.options.messenger;
    if (!messenger) {
      const error = new EngineError(
        'SUB_WORKFLOW_UNAVAILABLE',
        'this orchestrator has no messenger to start child instances with',
        false,
      );
      return new Map(children.map((w) => [w.request_id, error]));
    }
    const depth = (record.parent?.depth ?? 0) + 1;
    await messenger.send(
      children.map((w) => ({
        type: 'START_WORKFLOW' as const,
        workflow_id: w.child?.workflow_id ?? '',
        ...(w.child?.definition_key === undefined ? {} : { definition_key: w.child.definition_key }),
        instance_id: w.child?.instance_id ?? '',
        context: w.input,
        parent: { instance_id: record.instance_id, request_id: w.request_id, node: w.node, depth },
      })),
    );
    return new Map();
  }

  /** How child instances ended, for a map collecting its items' outputs: a few reads at a time. */
  private async childOutcomes(ids: readonly string[]): Promise<(ChildOutcome | undefined)[]> {
    const outcomes: (ChildOutcome | undefined)[] = new Array<ChildOutcome | undefined>(ids.length);
    let next = 0;
    const reader = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const record = await this.options.instances.load(ids[i] ?? '');
        outcomes[i] = record && {
          status: record.status,
          ...(record.output ? { output: record.output } : {}),
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(CHILD_READS_AT_ONCE, ids.length) }, reader));
    return outcomes;
  }

  private snapshotOf(graph: CompiledWorkflow, config: ReturnType<OrchestratorRuntime['config']>) {
    return graph.getState(config);
  }

  /** Runs the graph; a checkpoint write that failed anywhere in it fails the message (see the tracker). */
  private async invoke(
    graph: CompiledWorkflow,
    input: Parameters<CompiledWorkflow['invoke']>[0],
    config: ReturnType<OrchestratorRuntime['config']>,
  ) {
    const threadId = config.configurable.thread_id;
    this.failures.takeFailure(threadId);
    const reported = this.report(threadId);
    // Each branch subgraph of a running parallel listens on the run's abort signal: as many listeners as
    // branches, which is no leak, so Node's warning past 10 is off for this signal.
    const signal = new AbortController().signal;
    setMaxListeners(0, signal);
    const stream = await graph.stream(input, {
      ...config,
      signal,
      streamMode: 'updates',
      subgraphs: true,
      recursionLimit: graph.recursionLimit,
    });
    for await (const chunk of stream as AsyncIterable<[string[], Record<string, unknown>]>) {
      const [, updates] = chunk;
      for (const [node, update] of Object.entries(updates)) {
        // A branch runner repeats what its branch's own nodes reported (its state delta): counted once.
        if (node.startsWith(BRANCH_NODE_PREFIX) || typeof update !== 'object' || update === null) continue;
        const step = update as { history?: HistoryEntry[]; resolved?: Record<string, Resolution> };
        reported.history.push(...(step.history ?? []));
        Object.assign(reported.resolved, step.resolved ?? {});
      }
    }
    const failure = this.failures.takeFailure(threadId);
    if (failure !== undefined) {
      throw new Error(
        `a checkpoint write failed during the step: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`,
        {
          cause: failure,
        },
      );
    }
  }

  private config(instanceId: string) {
    return { configurable: { thread_id: instanceId }, durability: this.options.durability ?? DURABILITY };
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }

  private expiresAt(): number {
    const retention = this.options.retentionSeconds ?? 30 * 24 * 3600;
    return Math.floor(this.options.clock.now().getTime() / 1000) + retention;
  }
}

/**
 * The context as the record carries it: itself when small; else nothing, and `InstanceStore.get` reads it
 * from the checkpoint. A big context in the record would make every commit cost its size, whatever
 * changed (a DynamoDB write costs the size of the whole item).
 */
function recordContext(
  context: Record<string, unknown>,
): Pick<InstanceRecord, 'context' | 'context_in_checkpoint'> {
  return JSON.stringify(context).length <= MAX_RECORD_CONTEXT_CHARS
    ? { context }
    : { context: {}, context_in_checkpoint: true };
}

/** Contexts up to this size (JSON characters) ride in the record; larger ones stay in the checkpoint. */
const MAX_RECORD_CONTEXT_CHARS = 8 * 1024;

/** Whether a commit would change anything but its own bookkeeping. */
function changed(before: InstanceRecord, after: InstanceRecord): boolean {
  const strip = (r: InstanceRecord) => ({ ...r, updated_at: '', version: 0, checkpoints: undefined });
  return JSON.stringify(strip(before)) !== JSON.stringify(strip(after));
}

/**
 * The record with the previous holder's dispatched mark applied: when the mark names this version, every
 * open wait was sent, whatever the record's own list (written before the sends) says.
 */
function withDispatchMark(record: InstanceRecord, lease: Lease): InstanceRecord {
  if (lease.dispatched_version === undefined || lease.dispatched_version !== (record.version ?? 0)) {
    return record;
  }
  const sent = new Set([...record.dispatched, ...record.waits.map((w) => w.request_id)]);
  return { ...record, dispatched: [...sent] };
}

/**
 * The mark a lease release leaves: the version in hand when all its open waits were sent. None for a
 * finished instance (nothing is sent any more, and the lease item then goes) or one with a wait unsent.
 */
function dispatchMark(record: InstanceRecord | undefined): number | undefined {
  if (!record || isTerminal(record.status) || record.version === undefined || record.version === 0) {
    return undefined;
  }
  return record.waits.every((w) => record.dispatched.includes(w.request_id)) ? record.version : undefined;
}

/** A child instance's end as its parent's wait takes it: a reply under the wait's request id. */
function childEnd(record: InstanceRecord, parent: ParentLink): AsyncResponse {
  if (record.status === 'SUCCEEDED') {
    return {
      type: 'ASYNC_RESP',
      instance_id: parent.instance_id,
      request_id: parent.request_id,
      status: 'SUCCESS',
      outputs: record.output ?? {},
    };
  }
  return {
    type: 'ASYNC_RESP',
    instance_id: parent.instance_id,
    request_id: parent.request_id,
    status: 'FAILURE',
    error: childEndError(record),
  };
}

/** Records written before versions existed read as version 0. */
/** What a resume value makes of the request it answers. */
function resolutionOf(value: WaitResumeValue): Resolution {
  if (value.kind === 'timeout') return 'TIMED_OUT';
  if (value.kind === 'cancelled') return 'CANCELLED';
  return value.kind === 'undeliverable' || value.status === 'FAILURE' ? 'FAILED' : 'REPLIED';
}

/** An open wait a resume answers: its request, the interrupt it resumes and with what. */
interface ResumedWait {
  readonly requestId: string;
  readonly interruptId: string;
  readonly wait: WaitInterrupt;
  readonly value: WaitResumeValue;
}

/** One reply handed to `handleReplies`, as `handle` takes it. */
export interface InboundReply {
  readonly message: AsyncResponse;
  readonly messageId?: string;
  readonly delivery?: Delivery;
}

function withVersion(record: InstanceRecord): InstanceRecord {
  return record.version === undefined ? { ...record, version: 0 } : record;
}

/** A UUID (RFC 9562 layout, version 8) determined by `seed`. */
export function uuidFrom(seed: string): string {
  const hex = createHash('sha256')
    .update(`cch-instance:${seed}`, 'utf8')
    .digest('hex')
    .slice(0, 32)
    .split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
