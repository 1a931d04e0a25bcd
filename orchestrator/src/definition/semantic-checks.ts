import jsonata from 'jsonata';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { edgesOf, hasUnreadableEdges, rawNodes, type NodeEdge } from './node-edges';
import { isRecord } from './schema-diagnostics';
import type { SourceDocument, SourcePosition } from './source-document';
import type { uncertainKeyUses } from './context-key-flow';
import { closest } from './did-you-mean';
import { badCallsIn, type BadCall } from './expression-calls';
import { operatorHint } from './expression-hints';
import { DEFINITION_LIMITS, MAX_SUB_WORKFLOW_DEPTH } from './limits';
import { capabilityParameterDiagnostics, type SyncCapabilityCatalog } from './capability-parameters';
import { choiceLoops, type ChoiceLoop } from './choice-loops';
import { branchNodeName } from './reserved-node-names';
import {
  asyncRequestNodeSchema,
  DEFAULT_MAX_VISITS,
  EXPRESSION_MAX_LENGTH,
  MAX_VISITS_LIMIT,
  NODE_NAME_PATTERN,
  NODE_TYPES,
  retrySchema,
  SYNC_CAPABILITY_PATTERN,
} from './workflow-schema';

const isKnownType = (type: unknown): boolean => (NODE_TYPES as readonly unknown[]).includes(type);

/** At most this many errors are shown per file, so only that many unknown targets need a suggestion. */
const SUGGESTIONS = 200;

export interface SemanticCheckOptions {
  /** The synchronous capabilities registered in the orchestrator: their ids and `with` schemas. */
  readonly syncCapabilities: SyncCapabilityCatalog;
  /**
   * A pinned definition (an instance runs it): the rules of `checkChildren` warn instead of refusing, since
   * they were added after instances may have started on such definitions, which ran (and ran into the
   * trouble the rule names) before.
   */
  readonly pinned?: boolean;
  /** The `uncertain-key` analysis (warnings only); without it, none is done. */
  readonly keyFlow?: KeyFlow;
}

export type KeyFlow = typeof uncertainKeyUses;

type Report = (
  severity: Diagnostic['severity'],
  code: string,
  path: readonly PathSegment[],
  message: string,
  at?: SourcePosition,
) => void;

/** The number of nodes a raw definition declares (whatever their values), or 0 when it has no nodes map. */
export function nodeCount(value: unknown): number {
  return rawNodes(value).size;
}

/**
 * The one diagnostic for a definition with more nodes than the limit: checking the rest would only bury it
 * (and take long).
 */
export function tooManyNodes(source: SourceDocument): Diagnostic | undefined {
  const count = nodeCount(source.value);
  if (count <= DEFINITION_LIMITS.maxNodes) return undefined;
  const at = source.locateKey([], 'nodes');
  return {
    severity: 'error',
    code: 'too-many-nodes',
    message: `${count} nodes; a workflow may have at most ${DEFINITION_LIMITS.maxNodes}`,
    file: source.file,
    line: at.line,
    column: at.column,
    path: 'nodes',
  };
}

/**
 * Checks that need the whole graph: references, reachability, parallel structure, expressions and
 * capabilities. Works on the raw value, so it reports alongside schema errors rather than after them. A check
 * whose answer would be wrong because of another error (a node whose edges cannot be read) is skipped.
 */
export function semanticChecks(source: SourceDocument, options: SemanticCheckOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (severity, code, path, message, at = source.locate(path)) => {
    out.push({
      severity,
      code,
      message,
      file: source.file,
      line: at.line,
      column: at.column,
      path: formatPath(path),
    });
  };
  const atNodeKey = (name: string) => source.locateKey(['nodes'], name);

  const root = source.value;
  if (!isRecord(root)) return out;
  const hasNodesMap = Object.hasOwn(root, 'nodes') && isRecord(root.nodes);
  // Every node by name, whatever its value: a node exists by its key, even when its value is malformed.
  const all = rawNodes(root);
  const nodes = new Map<string, Record<string, unknown>>();
  for (const [name, node] of all) if (isRecord(node)) nodes.set(name, node);
  // A node whose type is missing or unknown has no readable edges, so reachability would be guesswork.
  const edgesReadable = [...all.values()].every((node) => isRecord(node) && isKnownType(node.type));

  const edges = [...nodes].flatMap(([name, node]) => edgesOf(name, node));
  const known = [...all.keys()];
  const entry = typeof root.entry_point === 'string' ? root.entry_point : undefined;

  // Unknown targets, in source order; only the first few can be shown, so only they get a suggestion.
  const dangling: { path: readonly PathSegment[]; to: string; at: SourcePosition }[] = edges
    .filter((e) => !all.has(e.to))
    .map((e) => ({ path: e.path, to: e.to, at: source.locate(e.path) }));
  if (hasNodesMap && entry !== undefined && !all.has(entry)) {
    dangling.push({ path: ['entry_point'], to: entry, at: source.locate(['entry_point']) });
  }
  dangling.sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
  // A typo'd target counts as the node it was likely meant for when reachability is checked, so one typo
  // is one error (not also "node 'X' can never run" for the node it meant).
  const meant = new Map<string, string>();
  dangling.forEach((d, i) => {
    const guess = i < SUGGESTIONS ? closest(d.to, known) : undefined;
    if (guess !== undefined) meant.set(d.to, guess);
    const name = d.to.length > 100 ? `${d.to.slice(0, 100)}…` : d.to;
    const message = `unknown node '${name}'${guess ? `; did you mean '${guess}'?` : ''}`;
    report('error', 'unknown-target', d.path, message, d.at);
  });

  const successors = adjacency(
    edges,
    all,
    (e) => e.from,
    (e) => e.to,
  );
  const predecessors = adjacency(
    edges,
    all,
    (e) => e.to,
    (e) => e.from,
  );
  const endNodes = known.filter((name) => nodes.get(name)?.type === 'end');

  // A node missing an edge field (a misspelt `nxt`, reported by the schema) hides where it leads: nothing
  // after it can be called unreachable without a follow-on error for the node it meant.
  const edgesComplete = edgesReadable && [...all.values()].every((node) => !hasUnreadableEdges(node));
  if (edgesComplete && entry !== undefined && all.has(entry)) {
    const meantEdges = edges.map((e) => ({ ...e, to: meant.get(e.to) ?? e.to }));
    const reachable = walk(
      [entry],
      adjacency(
        meantEdges,
        all,
        (e) => e.from,
        (e) => e.to,
      ),
    );
    for (const name of known) {
      // A key that is no node name (`null:`, `''`) is reported as such; calling it unreachable too would
      // only repeat that error about a node nothing can name.
      if (!reachable.has(name) && NODE_NAME_PATTERN.test(name)) {
        report(
          'error',
          'unreachable',
          ['nodes', name],
          `node '${name}' can never run: no path leads to it from entry_point '${entry}'`,
          atNodeKey(name),
        );
      }
    }
  }
  // A node whose type is given but unknown (a misspelt `type: ends`) is reported by the schema with its
  // did-you-mean; it may be the end node the workflow lacks, so "no end" would only be a follow-on error.
  const typeMisspelt = [...nodes.values()].some((node) => node.type !== undefined && !isKnownType(node.type));
  if (all.size > 0 && endNodes.length === 0 && !typeMisspelt) {
    report(
      'error',
      'no-end',
      ['nodes'],
      "the workflow has no node of type 'end'",
      source.locateKey([], 'nodes'),
    );
  } else if (edgesReadable) {
    // A node with a dangling reference or a missing edge is already reported; counting it as able to end
    // avoids a cascade.
    const danglingFrom = edges.filter((e) => !all.has(e.to)).map((e) => e.from);
    const incomplete = [...nodes].filter(([, node]) => hasUnreadableEdges(node)).map(([name]) => name);
    const canEnd = walk([...endNodes, ...danglingFrom, ...incomplete], predecessors);
    for (const name of known) {
      if (!canEnd.has(name)) {
        report(
          'error',
          'no-path-to-end',
          ['nodes', name],
          `node '${name}' has no path to an end node, so the workflow could never finish from it`,
          atNodeKey(name),
        );
      }
    }
  }

  checkParallels(nodes, edges, successors, report);
  // Where the workflow always goes: from the entry, not past a choice nor along a failure or timeout route.
  const unconditional =
    entry === undefined
      ? new Set<string>()
      : walk(
          [entry],
          adjacency(
            edges.filter((e) => e.kind !== 'failure' && e.kind !== 'timeout'),
            nodes,
            (e) => e.from,
            (e) => e.to,
          ),
          (n) => nodes.get(n)?.type === 'choice',
        );
  checkChildren(root.workflow_id, nodes, unconditional, options.pinned ? 'warning' : 'error', report);
  for (const loop of choiceLoops(nodes, edges)) reportChoiceLoop(loop, report, atNodeKey);

  const compiler = new ExpressionCompiler();
  const workflowMaxVisits = validMaxVisits(root.max_visits) ?? DEFAULT_MAX_VISITS;
  for (const [name, node] of nodes) {
    checkNode(name, node, options, source, report, compiler);
    checkRetryVisits(name, node, workflowMaxVisits, report);
  }
  if (options.keyFlow && edgesReadable && entry !== undefined && all.has(entry)) {
    for (const use of options.keyFlow(root, nodes, edges, entry, options.syncCapabilities)) {
      const at =
        use.text === undefined || use.offset === undefined
          ? source.locate(use.path)
          : source.locateInScalar(use.path, use.text, use.offset);
      report('warning', 'uncertain-key', use.path, use.message, at);
    }
  }
  return out;
}

interface CompileError {
  readonly message: string;
  readonly position: number | undefined;
}

interface Compiled {
  /** Why the expression does not compile. */
  readonly error?: CompileError;
  /** Calls in it that can never reach a function (none when it does not compile). */
  readonly calls: readonly BadCall[];
}

/**
 * Compiles the JSONata expressions of one definition: each distinct text once (compiling is not cheap), and
 * none after more failures than a report shows: nodes come in source order, so later failures would be cut.
 */
class ExpressionCompiler {
  private readonly cache = new Map<string, Compiled>();
  private failures = 0;

  /** Why `expression` does not compile, or what it calls that is no function (nothing once no longer checked). */
  compile(expression: string): Compiled {
    const cached = this.cache.get(expression);
    if (cached !== undefined) return cached;
    if (this.failures > DEFINITION_LIMITS.maxErrors) return { calls: [] };
    let result: Compiled;
    try {
      result = { calls: badCallsIn(expression, jsonata(expression).ast()) };
    } catch (error) {
      const e = error as { message?: unknown; position?: unknown };
      result = {
        error: {
          message: typeof e.message === 'string' ? e.message : String(error),
          position: typeof e.position === 'number' ? e.position : undefined,
        },
        calls: [],
      };
    }
    if (result.error !== undefined || result.calls.length > 0) this.failures++;
    this.cache.set(expression, result);
    return result;
  }
}

function checkNode(
  name: string,
  node: Record<string, unknown>,
  options: SemanticCheckOptions,
  source: SourceDocument,
  report: Report,
  compiler: ExpressionCompiler,
): void {
  const base = ['nodes', name];
  // A misspelt `timout` is reported as an unknown field with its did-you-mean; no warning on top of it.
  const timeoutMisspelt = Object.keys(node).some(
    (k) => !Object.hasOwn(asyncRequestNodeSchema.shape, k) && closest(k, ['timeout']) !== undefined,
  );
  if (node.type === 'async_request' && node.timeout === undefined && !timeoutMisspelt) {
    if (node.on_timeout === undefined) {
      report(
        'warning',
        'no-timeout',
        base,
        `async_request has no timeout: if the reply never comes the instance waits forever (add timeout and on_timeout)`,
        source.locateKey(['nodes'], name),
      );
    } else {
      report(
        'error',
        'timeout-missing',
        [...base, 'on_timeout'],
        'on_timeout needs a timeout to say when it applies',
      );
    }
  }
  if (node.type === 'sub_workflow' && node.timeout === undefined && node.on_timeout !== undefined) {
    report(
      'error',
      'timeout-missing',
      [...base, 'on_timeout'],
      'on_timeout needs a timeout to say when it applies',
    );
  }
  // A capability id of the wrong form is already reported by the schema.
  if (
    node.type === 'sync_call' &&
    typeof node.capability_id === 'string' &&
    SYNC_CAPABILITY_PATTERN.test(node.capability_id) &&
    !Object.hasOwn(options.syncCapabilities, node.capability_id)
  ) {
    const registered = Object.keys(options.syncCapabilities).sort().join(', ');
    report(
      'error',
      'unknown-capability',
      [...base, 'capability_id'],
      `unknown synchronous capability '${node.capability_id}'; registered: ${registered}`,
    );
  }
  for (const d of capabilityParameterDiagnostics(source, name, node, options.syncCapabilities)) {
    report(d.severity, d.code, d.path.split('.'), d.message, d);
  }
  const checkExpression = (expression: unknown, path: readonly PathSegment[]) => {
    if (typeof expression !== 'string') return;
    // An empty or over-long expression is already reported by the schema.
    if (expression === '' || expression.length > EXPRESSION_MAX_LENGTH) return;
    const { error, calls } = compiler.compile(expression);
    for (const call of calls) {
      report(
        'error',
        'not-a-function',
        path,
        `the JSONata expression ${call.message}`,
        source.locateInScalar(path, expression, call.index),
      );
    }
    if (error === undefined) return;
    // JSONata's position is just past the character it stopped at.
    const index = Math.max(0, (error.position ?? 1) - 1);
    report(
      'error',
      'bad-expression',
      path,
      `the JSONata expression does not compile: ${error.message}${hintOf(expression)}`,
      source.locateInScalar(path, expression, index),
    );
  };
  if (node.type === 'choice' && Array.isArray(node.choices)) {
    node.choices.forEach((choice: unknown, i) => {
      if (isRecord(choice)) checkExpression(choice.when, [...base, 'choices', i, 'when']);
    });
  }
  if (node.type === 'async_request' || node.type === 'sync_call' || node.type === 'sub_workflow') {
    if (node.type === 'async_request' || node.type === 'sub_workflow') {
      if (Object.hasOwn(node, 'input') && Object.hasOwn(node, 'input_keys')) {
        report(
          'error',
          'input-twice',
          [...base, 'input'],
          'give input_keys (context keys sent as they are) or input (an expression that builds the input), not both',
          source.locateKey(base, 'input'),
        );
      }
      checkExpression(node.input, [...base, 'input']);
    }
    if (isRecord(node.result)) {
      for (const [key, expression] of Object.entries(node.result)) {
        checkExpression(expression, [...base, 'result', key]);
      }
    }
  }
  if (node.type === 'wait') {
    const given = ['duration', 'until'].filter((field) => Object.hasOwn(node, field));
    if (given.length !== 1) {
      report(
        'error',
        'wait-needs-one',
        base,
        given.length === 0
          ? 'a wait node needs duration (how long) or until (a time from the context)'
          : 'a wait node takes duration or until, not both',
        source.locateKey(['nodes'], name),
      );
    }
    checkExpression(node.until, [...base, 'until']);
  }
  if (node.type === 'map') checkExpression(node.items, [...base, 'items']);
  if (node.type === 'set' && isRecord(node.values)) {
    for (const [key, expression] of Object.entries(node.values)) {
      checkExpression(expression, [...base, 'values', key]);
    }
  }
}

/**
 * What a sub_workflow or map sets up wrong for its children: a map whose item and index keys are one key
 * (the index overwrites every item), and a sub_workflow every run reaches (`unconditional`) that starts
 * a child of this same workflow: each child starts another until the nesting limit fails them all.
 * Recursion behind a choice may end, and so may a map's (over a tree, its leaves have no items), so
 * neither is flagged.
 */
function checkChildren(
  workflowId: unknown,
  nodes: ReadonlyMap<string, Record<string, unknown>>,
  unconditional: ReadonlySet<string>,
  severity: Diagnostic['severity'],
  report: Report,
): void {
  for (const [name, node] of nodes) {
    if (node.type !== 'sub_workflow' && node.type !== 'map') continue;
    const base = ['nodes', name];
    const key = node.definition_key;
    // A key is a path below the definitions' root (the bucket, or the folder `wf run` reads): `..` or a
    // leading `/` names a file outside it locally and a key no upload writes on AWS.
    if (typeof key === 'string' && (key.startsWith('/') || key.split(/[\\/]/).includes('..'))) {
      report(
        severity,
        'key-outside',
        [...base, 'definition_key'],
        `'${key}' is outside the definitions bucket: no '..' and no leading '/' (a key such as children/review.yaml)`,
      );
    }
    if (node.type === 'map') {
      const itemKey = typeof node.item_key === 'string' ? node.item_key : 'item';
      const indexKey = typeof node.index_key === 'string' ? node.index_key : 'index';
      if (itemKey === indexKey) {
        report(
          severity,
          'map-keys-clash',
          [...base, node.item_key === undefined ? 'index_key' : 'item_key'],
          `item_key and index_key are both '${itemKey}': the index would overwrite each item; give them different keys`,
        );
      }
    }
    if (
      node.type === 'sub_workflow' &&
      // Another key may hold another definition of the same workflow_id (a pinned leaf version).
      node.definition_key === undefined &&
      typeof workflowId === 'string' &&
      node.workflow_id === workflowId &&
      unconditional.has(name)
    ) {
      report(
        severity,
        'starts-itself',
        [...base, 'workflow_id'],
        `starts its own workflow on every run: children nest until ${MAX_SUB_WORKFLOW_DEPTH} levels fail them; end the recursion with a choice`,
      );
    }
  }
}

/** A `max_visits` the schema accepts, else undefined (an invalid one is reported by the schema). */
function validMaxVisits(value: unknown): number | undefined {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_VISITS_LIMIT
    ? (value as number)
    : undefined;
}

/**
 * An async_request's every attempt is a visit, so a max_visits below its retry.max_attempts cuts its
 * retries short: the attempt past the limit fails with MAX_VISITS_EXCEEDED, past on_failure. A warning (the
 * definition runs), on the node's max_visits, or on max_attempts when the limit is the workflow's. A
 * sync_call's retries count as one visit, and other steps have no retry.
 */
function checkRetryVisits(
  name: string,
  node: Record<string, unknown>,
  workflowMaxVisits: number,
  report: Report,
): void {
  if (node.type !== 'async_request' || !isRecord(node.retry)) return;
  // An invalid max_attempts is the schema's to report.
  const parsed = retrySchema.shape.max_attempts.safeParse(node.retry.max_attempts);
  if (!parsed.success) return;
  const attempts = parsed.data;
  // An invalid max_visits of the node's own is reported by the schema: nothing to compare it with.
  if (Object.hasOwn(node, 'max_visits') && validMaxVisits(node.max_visits) === undefined) return;
  const own = validMaxVisits(node.max_visits);
  const limit = own ?? workflowMaxVisits;
  if (limit >= attempts) return;
  const cut = `each attempt of an async_request is a visit, so the retries it allows can never all run (attempt ${limit + 1} fails with MAX_VISITS_EXCEEDED, skipping on_failure)`;
  if (own !== undefined) {
    report(
      'warning',
      'retries-over-visits',
      ['nodes', name, 'max_visits'],
      `max_visits ${limit} is less than retry.max_attempts ${String(attempts)}: ${cut}; use a max_visits of at least ${String(attempts)}`,
    );
  } else {
    report(
      'warning',
      'retries-over-visits',
      ['nodes', name, 'retry', 'max_attempts'],
      `retry.max_attempts ${String(attempts)} is more than the workflow's max_visits ${limit}: ${cut}; give the node a max_visits of at least ${String(attempts)}`,
    );
  }
}

/** Nodes (and edges) a choice-loop warning names at most; a longer loop says how many more it has. */
const LOOP_ITEMS_SHOWN = 8;

/**
 * A loop of choice nodes, once an instance goes round it, goes round until max_visits (choice-loops.ts says
 * why). A warning, since the definition runs and its conditions may never send an instance round; at the
 * loop's first node in source order, naming its nodes and the edges that close it.
 */
function reportChoiceLoop(
  loop: ChoiceLoop,
  report: Report,
  atNodeKey: (name: string) => SourcePosition,
): void {
  const first = loop.nodes[0];
  if (first === undefined) return;
  const shown = <T>(items: readonly T[], show: (item: T) => string): string => {
    const listed = items.slice(0, LOOP_ITEMS_SHOWN).map(show).join(', ');
    const more = items.length - LOOP_ITEMS_SHOWN;
    return more > 0 ? `${listed} and ${more} more` : listed;
  };
  const label = (e: NodeEdge): string => formatPath(e.path.slice(1));
  const route = shown(loop.edges, (e) => `${label(e)} -> ${e.to}`);
  const [only] = loop.edges;
  const who =
    loop.nodes.length === 1
      ? `choice node '${first}' leads back to itself`
      : `choice nodes ${shown(loop.nodes, (n) => `'${n}'`)} lead round to one another`;
  const way =
    loop.edges.length === 1 && only !== undefined ? `point ${label(only)}` : 'point one of those edges';
  report(
    'warning',
    'choice-loop',
    ['nodes', first],
    `${who} (${route}), and nothing in the loop changes the context or waits: ${loop.nodes.length === 1 ? 'its' : 'their'} conditions answer the same every time round, so once an instance goes round it keeps going round until max_visits and fails MAX_VISITS_EXCEEDED; put a step that changes the context or waits (a set, sync_call, async_request or wait) in the loop, or ${way} elsewhere`,
    atNodeKey(first),
  );
}

function checkParallels(
  nodes: Map<string, Record<string, unknown>>,
  edges: readonly NodeEdge[],
  successors: Map<string, string[]>,
  report: Report,
): void {
  const parallels = [...nodes].filter(
    ([, node]) => node.type === 'parallel' && typeof node.join === 'string' && Array.isArray(node.branches),
  ) as [string, Record<string, unknown> & { join: string; branches: unknown[] }][];
  // A join used by several parallels is reported once; which edges "enter it from outside" is then moot.
  const owners = new Map<string, string[]>();
  for (const [name, node] of parallels) append(owners, node.join, name);
  const predecessors = new Map<string, string[]>();
  for (const [from, list] of successors) for (const to of list) append(predecessors, to, from);
  const edgesTo = new Map<string, NodeEdge[]>();
  for (const edge of edges) if (owners.has(edge.to)) append(edgesTo, edge.to, edge);

  const runners = new Map<string, { parallel: string; branch: string }>();
  for (const [name, node] of parallels) {
    node.branches.forEach((branch: unknown, i) => {
      if (typeof branch !== 'string') return;
      const runner = branchNodeName(name, branch);
      const other = runners.get(runner);
      if (other === undefined) runners.set(runner, { parallel: name, branch });
      else if (other.parallel !== name) {
        report(
          'error',
          'branch-name-clash',
          ['nodes', name, 'branches', i],
          `branch '${branch}' of parallel '${name}' and branch '${other.branch}' of parallel '${other.parallel}' would both run as the engine's node '${runner}' (the names joined by '__'); rename one of these nodes`,
        );
      }
    });
  }

  for (const [name, node] of parallels) {
    const join = node.join;
    const base = ['nodes', name];
    const sharers = owners.get(join) ?? [];
    const first = sharers[0];
    if (first !== undefined && first !== name) {
      report(
        'error',
        'shared-join',
        [...base, 'join'],
        `'${join}' is already the join of parallel '${first}'; each parallel needs its own join`,
      );
    }
    if (!nodes.has(join)) continue;
    // The failure route leaves the parallel once its branches have stopped: back into one of them it
    // would run that branch's first node outside the branch (LangGraph refuses to compile it).
    if (typeof node.on_failure === 'string' && node.branches.includes(node.on_failure)) {
      report(
        'error',
        'failure-into-branch',
        [...base, 'on_failure'],
        `on_failure of parallel '${name}' leads to '${node.on_failure}', the first node of one of its own branches; route a failed parallel to a node after it (or an end node)`,
      );
    }

    // Each node belongs to the first branch that reaches it; a branch reaching a node of another is an overlap,
    // and its walk stops there, so each parallel costs one pass over the graph however its branches overlap.
    const owner = new Map<string, string>();
    // The nodes of each branch whose walk found no overlap, checked for nodes shared with the outside below.
    const walked: { branch: string; path: PathSegment[]; members: string[] }[] = [];
    node.branches.forEach((branch: unknown, i) => {
      if (typeof branch !== 'string' || !nodes.has(branch)) return;
      const path = [...base, 'branches', i];
      // The same branch listed twice would run its nodes in two branches at once (and LangGraph refuses
      // the second runner): reported at the repeat, and its nodes are walked only once.
      const earlier = node.branches.indexOf(branch);
      if (earlier !== i) {
        report(
          'error',
          'duplicate-branch',
          path,
          `branch '${branch}' is listed twice in parallel '${name}' (also at branches[${earlier}]); no two branches may share a node, so list each branch once`,
        );
        return;
      }
      if (branch === join) {
        report(
          'error',
          'branch-is-join',
          path,
          `branch '${branch}' is the join itself; a branch must do work before the join`,
        );
        return;
      }
      const overlap = (other: string, member: string): void =>
        report(
          'error',
          'branches-overlap',
          path,
          `branches '${other}' and '${branch}' of parallel '${name}' both run node '${member}'; each branch needs nodes of its own (only end nodes may be shared)`,
        );
      const first = owner.get(branch);
      if (first !== undefined) return overlap(first, branch);

      owner.set(branch, branch);
      const members = [branch];
      let shared: [string, string] | undefined;
      let joins = false;
      for (let head = 0; head < members.length; head++) {
        for (const next of successors.get(members[head] as string) ?? []) {
          const taken = owner.get(next);
          if (next === join) joins = true;
          // An end node is shared: a branch reaching one ends the instance there, after its siblings stop.
          else if (nodes.get(next)?.type === 'end') continue;
          else if (taken === undefined) {
            owner.set(next, branch);
            members.push(next);
          } else if (taken !== branch) shared ??= [taken, next];
        }
      }
      if (shared) {
        overlap(...shared);
      } else if (!joins) {
        report(
          'error',
          'branch-never-joins',
          path,
          `branch '${branch}' of parallel '${name}' never reaches its join '${join}'`,
        );
      } else {
        walked.push({ branch, path, members });
      }
    });
    for (const { branch, path, members } of walked) {
      const escape = sharedStep(name, branch, members, owner, predecessors);
      if (escape === undefined) continue;
      const shared =
        escape.from === undefined
          ? `leads back to its own parallel '${name}'`
          : `runs node '${escape.node}', which '${escape.from}' outside the branch also leads to`;
      report(
        'error',
        'branch-escapes',
        path,
        `branch '${branch}' of parallel '${name}' ${shared}; a branch may share only end nodes with the rest of the workflow`,
      );
    }
    if (sharers.length > 1) continue;
    for (const edge of edgesTo.get(join) ?? []) {
      if (edge.from !== name && !owner.has(edge.from)) {
        report(
          'error',
          'join-entered-outside',
          edge.path,
          `node '${edge.from}' leads to '${join}', the join of parallel '${name}', without being in one of its branches`,
        );
      }
    }
  }
}

/**
 * The first node of a branch that something outside the branch also leads to (the branch escaped to a
 * node of the rest of the workflow, or the rest of the workflow enters the branch), with that outside
 * node (none when it is the parallel itself, reached again from inside); undefined when the branch's
 * nodes are its own. The branch's first node is entered by its parallel; a node of a sibling branch
 * leading in is an overlap, reported on its own.
 */
function sharedStep(
  parallel: string,
  branch: string,
  members: readonly string[],
  owner: ReadonlyMap<string, string>,
  predecessors: ReadonlyMap<string, readonly string[]>,
): { node: string; from?: string } | undefined {
  const own = new Set(members);
  for (const node of members) {
    if (node === parallel) return { node };
    for (const from of predecessors.get(node) ?? []) {
      if (own.has(from) || (node === branch && from === parallel)) continue;
      const sibling = owner.get(from);
      if (sibling !== undefined && sibling !== branch) continue;
      return { node, from };
    }
  }
  return undefined;
}

function append<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

/** Node names to the distinct names they lead to (or come from), over edges between existing nodes. */
function adjacency(
  edges: readonly NodeEdge[],
  nodes: ReadonlyMap<string, unknown>,
  key: (e: NodeEdge) => string,
  value: (e: NodeEdge) => string,
): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (!nodes.has(edge.from) || !nodes.has(edge.to)) continue;
    const set = sets.get(key(edge)) ?? new Set<string>();
    set.add(value(edge));
    sets.set(key(edge), set);
  }
  return new Map([...sets].map(([k, set]) => [k, [...set]]));
}

/** Breadth-first closure from `starts`; nodes for which `stop` holds are included but not expanded. */
function walk(
  starts: readonly string[],
  next: Map<string, string[]>,
  stop: (n: string) => boolean = () => false,
): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...seen];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as string;
    if (stop(current)) continue;
    for (const n of next.get(current) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

function hintOf(expression: string): string {
  const hint = operatorHint(expression);
  return hint === undefined ? '' : `; ${hint}`;
}
