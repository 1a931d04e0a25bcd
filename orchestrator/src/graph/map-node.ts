import { Command, END, interrupt } from '@langchain/langgraph';
import { MAP_MAX_ITEMS, type MapNode } from '../definition/workflow-schema';
import { stopAt } from './branch-stops';
import { evaluateValue, ExpressionError } from './expression';
import {
  failWith,
  instanceIdOf,
  overVisitLimit,
  stepFailure,
  type NodeBuildContext,
  type NodeFn,
} from './node-kinds';
import { childInstanceId } from './child-ids';
import { toleratedItemFailures } from './child-outcome';
import { pick } from './request-input';
import { waitNodeName } from './routing';
import type {
  Context,
  HistoryEntry,
  MapProgress,
  OpenWait,
  WaitBundle,
  WaitResumeValue,
  WorkflowError,
  WorkflowStateUpdate,
} from './workflow-state';

/**
 * A map runs a child instance of one definition per item of a list, at most `max_concurrency` at once,
 * and collects their outputs in item order. Its cost per item is flat in the number of items: the state
 * holds the running window only (`MapProgress`), the items are read again from the context (which does
 * not change while the map runs: nothing merges into it until the map ends), each item's end is a history
 * entry (append-only items in the store), and the outputs are read from the children's records once, when
 * the last item ends.
 *
 * Compiled as two nodes, like an async_request: `name` evaluates the list and starts the first window;
 * `__wait__<name>` interrupts with every running item's wait (a `WaitBundle`), takes one item's end per
 * resume, starts the next item, and goes back to itself until every item has ended.
 */

const DEFAULT_MAX_CONCURRENCY = 10;

export function mapStart(name: string, node: MapNode, ctx: NodeBuildContext): NodeFn {
  return async (state, config) => {
    const at = ctx.deps.clock.now().toISOString();
    const visit = (state.visits[name] ?? 0) + 1;
    const visits = { [name]: visit };
    const failed = stepFailure(ctx, name, at, visits, state);
    const over = overVisitLimit(name, visit, ctx);
    if (over) return failed(over, undefined);
    let items: readonly unknown[];
    try {
      items = await itemsOf(name, node, state.context, ctx);
    } catch (error) {
      const code =
        error instanceof MapItemsError || error instanceof ExpressionError ? error.code : 'EXPRESSION_FAILED';
      return failed({ code, message: `items: ${(error as Error).message}`, node: name }, node.on_failure);
    }
    if (items.length === 0) {
      return new Command({
        update: {
          visits,
          context: { [node.output_key]: [] },
          history: [{ node: name, status: 'SUCCEEDED', started_at: at, ended_at: at }],
        },
        goto: ctx.routing.target(name, node.next),
      });
    }
    const progress: MapProgress = {
      visit,
      total: items.length,
      started: 0,
      running: {},
      succeeded: 0,
      failed: 0,
      since: at,
    };
    const more = startMore(name, node, ctx, instanceIdOf(config), progress, items, state.context, at);
    return new Command({
      update: { visits, maps: { [name]: more.progress }, waits: more.waits },
      goto: waitNodeName(name),
    });
  };
}

export function mapWait(name: string, node: MapNode, ctx: NodeBuildContext): NodeFn {
  return async (state, config) => {
    const progress = state.maps[name];
    if (!progress) throw new Error(`map ${name} has no progress: its first half did not run`);
    const parallels = ctx.branches.enclosing(name).map((m) => m.parallel);
    const running = Object.keys(progress.running).flatMap((rid) => {
      const wait = state.waits[rid];
      return wait ? [{ ...wait, parallels }] : [];
    });
    const resume = interrupt<WaitBundle, WaitResumeValue>({ bundle: running });
    const closeAll = Object.fromEntries(Object.keys(progress.running).map((rid) => [rid, null]));
    if (resume.kind === 'cancelled') {
      // A sibling branch failed: every item stops (the runtime cancels the children of closed waits).
      return new Command({
        update: {
          waits: closeAll,
          maps: { [name]: null },
          resolved: Object.fromEntries(
            Object.keys(progress.running).map((rid) => [rid, 'CANCELLED' as const]),
          ),
          history: [{ node: name, status: 'CANCELLED', started_at: progress.since, ended_at: resume.at }],
          cancelled_parallels: { [resume.parallel]: true as const },
          ...stopAt(ctx.branches, name, state.context),
        },
        goto: END,
      });
    }
    const rid = resume.request_id;
    const index = rid === undefined ? undefined : progress.running[rid];
    const wait = rid === undefined ? undefined : state.waits[rid];
    if (rid === undefined || index === undefined || !wait) {
      throw new Error(`map ${name} was resumed for ${rid ?? 'no request'}, which none of its items awaits`);
    }
    const ok = resume.kind === 'reply' && resume.status === 'SUCCESS';
    const reason =
      resume.kind === 'reply' && resume.status === 'FAILURE'
        ? `${resume.error.code}: ${resume.error.message}`
        : resume.kind === 'undeliverable'
          ? `${resume.error.code}: ${resume.error.message}`
          : resume.kind;
    const entry: HistoryEntry = {
      node: name,
      status: ok ? 'SUCCEEDED' : 'FAILED',
      started_at: wait.since,
      ended_at: resume.at,
      ...(wait.child ? { child_instance_id: wait.child.instance_id } : {}),
    };
    const { [rid]: _ended, ...stillRunning } = progress.running;
    const next: MapProgress = {
      ...progress,
      running: stillRunning,
      succeeded: progress.succeeded + (ok ? 1 : 0),
      failed: progress.failed + (ok ? 0 : 1),
    };
    const update: WorkflowStateUpdate = {
      waits: { [rid]: null },
      resolved: { [rid]: ok ? 'REPLIED' : 'FAILED' },
      history: [entry],
    };
    if (next.failed > toleratedItemFailures(node, next.total)) {
      const rest = Object.keys(stillRunning);
      const error: WorkflowError = {
        code: 'MAP_ITEM_FAILED',
        message:
          `${next.failed} of ${next.total} items failed, more than the map tolerates; item ${index} (${wait.child?.instance_id ?? rid}): ${reason}`.slice(
            0,
            2000,
          ),
        node: name,
      };
      return failWith(
        ctx,
        name,
        node.on_failure,
        error,
        {
          ...update,
          waits: { ...closeAll },
          resolved: {
            ...Object.fromEntries(rest.map((r) => [r, 'CANCELLED' as const])),
            [rid]: ok ? 'REPLIED' : 'FAILED',
          },
          maps: { [name]: null },
        },
        state,
      );
    }
    if (next.started < next.total) {
      const items = await itemsOf(name, node, state.context, ctx);
      const at = ctx.deps.clock.now().toISOString();
      const more = startMore(name, node, ctx, instanceIdOf(config), next, items, state.context, at);
      return new Command({
        update: { ...update, waits: { [rid]: null, ...more.waits }, maps: { [name]: more.progress } },
        goto: waitNodeName(name),
      });
    }
    if (Object.keys(stillRunning).length > 0) {
      return new Command({ update: { ...update, maps: { [name]: next } }, goto: waitNodeName(name) });
    }
    return new Command({
      update: {
        ...update,
        maps: { [name]: null },
        context: { [node.output_key]: await collect(name, ctx, instanceIdOf(config), next) },
      },
      goto: ctx.routing.target(name, node.next),
    });
  };
}

/** Every item's output, in item order; null for an item that did not succeed (a tolerated failure). */
async function collect(
  name: string,
  ctx: NodeBuildContext,
  instanceId: string,
  progress: MapProgress,
): Promise<unknown[]> {
  const children = ctx.deps.children;
  if (!children) throw new Error('a map needs the runtime (its children port) to collect its outputs');
  const ids = Array.from({ length: progress.total }, (_, i) =>
    childInstanceId(instanceId, name, progress.visit, i),
  );
  const outcomes = await children.outcomes(ids);
  return outcomes.map((o) => (o?.status === 'SUCCEEDED' ? (o.output ?? {}) : null));
}

/** Starts items until the window is full or every item has started: their waits and the new progress. */
function startMore(
  name: string,
  node: MapNode,
  ctx: NodeBuildContext,
  instanceId: string,
  progress: MapProgress,
  items: readonly unknown[],
  context: Context,
  at: string,
): { progress: MapProgress; waits: Record<string, OpenWait> } {
  const window = node.max_concurrency ?? DEFAULT_MAX_CONCURRENCY;
  const waits: Record<string, OpenWait> = {};
  const running: Record<string, number> = { ...progress.running };
  let started = progress.started;
  const shared = pick(context, node.input_keys ?? []);
  while (Object.keys(running).length < window && started < progress.total) {
    const index = started++;
    // Request ids carry a number beside the node: the visit and the item, so each item's id is its own.
    const number = (progress.visit - 1) * MAP_MAX_ITEMS + index + 1;
    const requestId =
      ctx.deps.requestIds?.issue(instanceId, name, number) ?? `${instanceId}:${name}:${number}`;
    waits[requestId] = {
      kind: 'child',
      request_id: requestId,
      node: name,
      capability_id: '',
      since: at,
      deadline: null,
      input: { ...shared, [node.item_key ?? 'item']: items[index], [node.index_key ?? 'index']: index },
      expected_output_keys: [],
      child: {
        instance_id: childInstanceId(instanceId, name, progress.visit, index),
        workflow_id: node.workflow_id,
        ...(node.definition_key === undefined ? {} : { definition_key: node.definition_key }),
      },
    };
    running[requestId] = index;
  }
  return { progress: { ...progress, started, running }, waits };
}

class MapItemsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The list `items` gives: a list as it is; nothing, an empty list; any other single value, a list of one
 * (JSONata gives a one-item result as the item itself).
 */
async function itemsOf(
  name: string,
  node: MapNode,
  context: Context,
  ctx: NodeBuildContext,
): Promise<readonly unknown[]> {
  const value = await evaluateValue(node.items, context, ctx.deps.expressionLimits, ctx.deps.clock);
  const items: readonly unknown[] =
    value === undefined ? [] : Array.isArray(value) ? (value as unknown[]) : [value];
  if (items.length > MAP_MAX_ITEMS) {
    throw new MapItemsError(
      'MAP_TOO_MANY_ITEMS',
      `${items.length} items, more than the ${MAP_MAX_ITEMS} a map runs (map ${name})`,
    );
  }
  return items;
}
