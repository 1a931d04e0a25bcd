import { randomBytes } from 'node:crypto';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  copyCheckpoint,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import { isUpsert, mergeTaskWrites, sortPendingWrites, writeIndex } from '../checkpoint/pending-writes';
import { DelegatingCheckpointer } from './delegating-checkpointer';

/**
 * What an instance's status record adopts at each commit: the checkpoint each namespace stands at, and the
 * writers whose pending writes count. Nothing else in the checkpoint table is part of the instance.
 */
export interface CommittedCheckpoints {
  /** Checkpoint id per namespace (`''` is the top-level graph; branch subgraphs have their own). */
  readonly heads: Readonly<Record<string, string>>;
  /**
   * Write ids of the commits since the top-level head was last adopted, oldest first. Pending writes are
   * kept per writer; only these writers' count, applied in this order.
   */
  readonly writers: readonly string[];
}

export const NO_CHECKPOINTS: CommittedCheckpoints = { heads: {}, writers: [] };

/**
 * A checkpoint as read, and this invocation's own pending writes on it with their task paths (the store
 * orders a checkpoint's writes by task path, which a tuple does not carry). `own` is undefined when the
 * read already held writes of this invocation, whose paths are unknown: the copy is then dropped on the
 * next write instead of being brought up to date.
 */
interface CachedTuple {
  readonly tuple: CheckpointTuple;
  readonly own: readonly OwnWrite[] | undefined;
}

interface OwnWrite {
  readonly taskPath: string;
  /** The task id as stored: tagged with this invocation's write id. */
  readonly taskId: string;
  readonly idx: number;
  readonly channel: string;
  readonly value: unknown;
}

/** Separates a task id from the id of the invocation that wrote its pending writes. */
const WRITER_SEPARATOR = '~';

interface Session {
  readonly committed: CommittedCheckpoints;
  /** Tags this invocation's writes; a fresh one after each commit, so a commit never adopts later writes. */
  writeId: string;
  /** Heads this invocation wrote, not yet committed. */
  readonly written: Map<string, string>;
  wroteWrites: boolean;
  /** Namespaces this invocation wrote anything in since its last commit. */
  readonly touched: Set<string>;
  /**
   * Checkpoints as read (pending writes of every writer), by `ns|checkpoint id`, kept up to date with this
   * invocation's own writes. Exact: a checkpoint item never changes once written, a committed writer's
   * pending writes neither, writers not yet committed other than this one never count, and this
   * invocation's writes are applied to the copy as the store applies them.
   */
  readonly tuples: Map<string, CachedTuple>;
  /**
   * The pending writes that count, per checkpoint read (`ns|checkpoint id`), as last read, and the tasks
   * this invocation wrote for since (whose writes that read no longer tells).
   */
  readonly readWrites: Map<
    string,
    { readonly writes: readonly CheckpointPendingWrite[]; readonly rewritten: Set<string> }
  >;
}

/**
 * Makes the status record the commit point of an instance, so correctness never depends on the lease or
 * on clocks. LangGraph writes checkpoints and pending writes as it runs, and reads "the latest"; two
 * workers on one instance (a lease stolen by a skewed clock, a worker slower than its lease) would both
 * write, and the loser's writes would become the winner's "latest". Here:
 * - every pending write is stored under its task id tagged with the writing invocation's write id, so two
 *   invocations never merge into one item;
 * - "the latest checkpoint" of a namespace is the head the record adopted (or one this invocation wrote),
 *   never whatever sorts last; pending writes count only when their writer was committed;
 * - `pendingCommit` says what a commit adopts; the record write, conditioned on the record version the
 *   writer read, makes it so. A writer that lost the instance adopts nothing: its items stay
 *   unreferenced and invisible.
 * Outside a session (no `begin` for the thread) calls pass straight through.
 */
export class FencedCheckpointer extends DelegatingCheckpointer {
  /** By thread: one process runs one message per instance at a time (the batch processor's grouping). */
  private readonly sessions = new Map<string, Session>();

  /** Starts an invocation on `threadId` at what its record adopted. */
  begin(threadId: string, committed: CommittedCheckpoints): void {
    if (this.sessions.has(threadId)) {
      throw new Error(`instance ${threadId} is already being processed in this process`);
    }
    this.sessions.set(threadId, newSession(committed));
  }

  end(threadId: string): void {
    this.sessions.delete(threadId);
  }

  /** What the record must adopt to make this invocation's writes so far part of the instance. */
  pendingCommit(threadId: string): CommittedCheckpoints {
    const session = this.session(threadId);
    const { committed, written, writeId } = session;
    if (written.size === 0 && !session.wroteWrites) return committed;
    const newTop = written.has('');
    // A new top-level checkpoint starts new tasks, so branch namespaces and writers of the old one are done.
    const heads = newTop
      ? Object.fromEntries(written)
      : { ...committed.heads, ...Object.fromEntries(written) };
    const writers = newTop ? [writeId] : [...committed.writers, writeId];
    return { heads, writers };
  }

  /** The record now adopts `committed`; later writes belong to the next commit. */
  committed(threadId: string, committed: CommittedCheckpoints): void {
    this.session(threadId);
    this.sessions.set(threadId, newSession(committed));
  }

  /**
   * The namespaces this invocation wrote in since its last commit: only their states can have changed.
   * Empty outside a session.
   */
  touched(threadId: string): ReadonlySet<string> {
    return this.sessions.get(threadId)?.touched ?? new Set();
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string | undefined;
    const session = threadId === undefined ? undefined : this.sessions.get(threadId);
    if (!session) return this.inner.getTuple(config);
    let target = config;
    if (!config.configurable?.checkpoint_id) {
      const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
      const head = session.written.get(ns) ?? session.committed.heads[ns];
      if (head === undefined) return undefined;
      target = {
        ...config,
        configurable: { ...config.configurable, checkpoint_ns: ns, checkpoint_id: head },
      };
    }
    const key = checkpointKey(target.configurable?.checkpoint_id ? target : config);
    let tuple = session.tuples.get(key)?.tuple;
    if (!tuple) {
      tuple = await this.inner.getTuple(target);
      if (!tuple) return undefined;
      const mine = `${WRITER_SEPARATOR}${session.writeId}`;
      const holdsOwn = (tuple.pendingWrites ?? []).some(([task]) => task.endsWith(mine));
      session.tuples.set(checkpointKey(tuple.config), { tuple, own: holdsOwn ? undefined : [] });
    }
    const writers = [...session.committed.writers, session.writeId];
    const pendingWrites = committedWrites(tuple.pendingWrites ?? [], writers);
    session.readWrites.set(checkpointKey(tuple.config), { writes: pendingWrites, rewritten: new Set() });
    return { ...tuple, checkpoint: copyCheckpoint(tuple.checkpoint), pendingWrites };
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const stored = await this.inner.put(config, checkpoint, metadata, newVersions);
    const session = this.sessions.get(String(config.configurable?.thread_id));
    if (session) {
      const ns = (stored.configurable?.checkpoint_ns as string | undefined) ?? '';
      session.written.set(ns, String(stored.configurable?.checkpoint_id));
      session.touched.add(ns);
    }
    return stored;
  }

  override async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    const session = this.sessions.get(String(config.configurable?.thread_id));
    if (!session) return this.inner.putWrites(config, writes, taskId, taskPath);
    // A task that raises again exactly what it raised before (a parked branch runner, a wait re-entered on
    // a resume meant for another) writes nothing new: what counts already says so.
    const counted = session.readWrites.get(checkpointKey(config));
    if (counted && !counted.rewritten.has(taskId) && sameWrites(counted.writes, taskId, writes)) return;
    counted?.rewritten.add(taskId);
    const key = checkpointKey(config);
    const cached = session.tuples.get(key);
    if (!cached?.own) session.tuples.delete(key);
    session.wroteWrites = true;
    session.touched.add((config.configurable?.checkpoint_ns as string | undefined) ?? '');
    const tagged = `${taskId}${WRITER_SEPARATOR}${session.writeId}`;
    const incoming = cached?.own ? await this.asRead(writes, tagged, taskPath ?? '') : undefined;
    await this.inner.putWrites(config, writes, tagged, taskPath);
    // Brought up to date rather than dropped, so reading the state after a step costs no second read of
    // a checkpoint whose pending writes grow with the number of tasks (a wide fan-out's branches). No
    // await between reading the copy and replacing it: concurrent tasks' writes all land.
    const current = session.tuples.get(key);
    if (incoming && current?.own) session.tuples.set(key, withOwnWrites(current, incoming, writes));
  }

  /** `writes` as a read of the store would return them: values through the serializer. */
  private asRead(writes: readonly PendingWrite[], taggedTask: string, taskPath: string): Promise<OwnWrite[]> {
    return Promise.all(
      writes.map(async ([channel, value], position): Promise<OwnWrite> => {
        const [type, bytes] = await this.serde.dumpsTyped(value);
        return {
          taskPath,
          taskId: taggedTask,
          idx: writeIndex(channel, position),
          channel,
          value: await this.serde.loadsTyped(type, bytes),
        };
      }),
    );
  }

  protected override aroundWrite<T>(_config: RunnableConfig, write: () => Promise<T>): Promise<T> {
    return write();
  }

  private session(threadId: string): Session {
    const session = this.sessions.get(threadId);
    if (!session) throw new Error(`no invocation in progress on instance ${threadId}`);
    return session;
  }
}

/**
 * The pending writes of committed writers, in commit order, with LangGraph's merge rule applied across
 * writers: a special channel (interrupt, resume, error, ...) keeps its latest write per task; a task's
 * regular writes come from the first writer that completed it (a task that finished is never re-run).
 * Untagged writes predate fencing and count as the oldest writer's.
 */
export function committedWrites(
  writes: readonly CheckpointPendingWrite[],
  writers: readonly string[],
): CheckpointPendingWrite[] {
  const order = new Map(writers.map((w, i) => [w, i + 1]));
  const tagged: { task: string; rank: number; write: CheckpointPendingWrite; at: number }[] = [];
  writes.forEach((write, at) => {
    const [taggedTask, channel, value] = write;
    const cut = taggedTask.lastIndexOf(WRITER_SEPARATOR);
    const task = cut < 0 ? taggedTask : taggedTask.slice(0, cut);
    const rank = cut < 0 ? 0 : order.get(taggedTask.slice(cut + 1));
    if (rank === undefined) return;
    tagged.push({ task, rank, write: [task, channel, value], at });
  });
  tagged.sort((a, b) => a.rank - b.rank || a.at - b.at);

  const special = new Map<string, number>();
  const regularWriter = new Map<string, number>();
  const kept: (CheckpointPendingWrite | undefined)[] = [];
  for (const { task, rank, write } of tagged) {
    const channel = write[1];
    if (channel in WRITES_IDX_MAP) {
      const key = `${task}\u0000${channel}`;
      const previous = special.get(key);
      if (previous !== undefined) kept[previous] = undefined;
      special.set(key, kept.length);
      kept.push(write);
      continue;
    }
    const owner = regularWriter.get(task);
    if (owner === undefined) regularWriter.set(task, rank);
    else if (owner !== rank) continue;
    kept.push(write);
  }
  return kept.filter((w): w is CheckpointPendingWrite => w !== undefined);
}

/**
 * `cached` after the store applied one `putWrites` call of `incoming` (one task's writes), by the store's
 * rules (see `pending-writes.ts`): special channels replace, other writes only add what is absent; this
 * invocation's writes sort after every committed writer's, by task path, task id and idx.
 */
function withOwnWrites(
  cached: CachedTuple,
  incoming: readonly OwnWrite[],
  writes: readonly PendingWrite[],
): CachedTuple {
  const own = cached.own ?? [];
  const task = incoming[0]?.taskId;
  const stored = own.filter((w) => w.taskId === task);
  const merged = mergeTaskWrites(stored, incoming, isUpsert(writes.map(([channel]) => channel)));
  const next = sortPendingWrites([...own.filter((w) => w.taskId !== task), ...merged.writes]);
  const mine = new Set(own.map((w) => w.taskId));
  const others = (cached.tuple.pendingWrites ?? []).filter(([taskId]) => !mine.has(taskId));
  const pendingWrites: CheckpointPendingWrite[] = [
    ...others,
    ...next.map((w): CheckpointPendingWrite => [w.taskId, w.channel, w.value]),
  ];
  return { tuple: { ...cached.tuple, pendingWrites }, own: next };
}

function newSession(committed: CommittedCheckpoints): Session {
  return {
    committed,
    writeId: newWriteId(),
    written: new Map(),
    wroteWrites: false,
    touched: new Set(),
    tuples: new Map(),
    readWrites: new Map(),
  };
}

function checkpointKey(config: RunnableConfig): string {
  const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
  return `${ns}|${String(config.configurable?.checkpoint_id)}`;
}

/** Whether `writes` of `taskId` are exactly the writes of that task that already count, in order. */
function sameWrites(
  counted: readonly CheckpointPendingWrite[],
  taskId: string,
  writes: readonly PendingWrite[],
): boolean {
  const existing = counted.filter(([task]) => task === taskId).map(([, channel, value]) => [channel, value]);
  return (
    existing.length === writes.length &&
    existing.length > 0 &&
    JSON.stringify(existing) === JSON.stringify(writes.map(([channel, value]) => [channel, value]))
  );
}

function newWriteId(): string {
  return randomBytes(6).toString('base64url');
}
