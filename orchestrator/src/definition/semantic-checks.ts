import jsonata from 'jsonata';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { edgesOf, rawNodes, type NodeEdge } from './node-edges';
import { isRecord } from './schema-diagnostics';
import type { SourceDocument } from './source-document';
import { DEFINITION_LIMITS } from './limits';
import { NODE_TYPES } from './workflow-schema';

const isKnownType = (type: unknown): boolean => (NODE_TYPES as readonly unknown[]).includes(type);

export interface SemanticCheckOptions {
  /** Ids of the synchronous capabilities registered in the orchestrator. */
  readonly syncCapabilityIds: ReadonlySet<string>;
}

/**
 * Checks that need the whole graph: references, reachability, parallel structure, expressions and
 * capabilities. Works on the raw value, so it reports alongside schema errors rather than after them.
 */
export function semanticChecks(source: SourceDocument, options: SemanticCheckOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (
    severity: Diagnostic['severity'],
    code: string,
    path: readonly PathSegment[],
    message: string,
    at = source.locate(path),
  ): void => {
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
  const nodes = rawNodes(root);
  if (nodes.size > DEFINITION_LIMITS.maxNodes) {
    report(
      'error',
      'too-many-nodes',
      ['nodes'],
      `${nodes.size} nodes; a workflow may have at most ${DEFINITION_LIMITS.maxNodes}`,
    );
    return out;
  }

  const edges = [...nodes].flatMap(([name, node]) => edgesOf(name, node));
  const known = [...nodes.keys()];
  const unknownTarget = (target: string): string => {
    const guess = closest(target, known);
    return `unknown node '${target}'${guess ? `; did you mean '${guess}'?` : ''}`;
  };
  for (const edge of edges) {
    if (!nodes.has(edge.to)) report('error', 'unknown-target', edge.path, unknownTarget(edge.to));
  }
  const entry = typeof root.entry_point === 'string' ? root.entry_point : undefined;
  if (entry !== undefined && !nodes.has(entry))
    report('error', 'unknown-target', ['entry_point'], unknownTarget(entry));

  const successors = adjacency(
    edges,
    nodes,
    (e) => e.from,
    (e) => e.to,
  );
  const predecessors = adjacency(
    edges,
    nodes,
    (e) => e.to,
    (e) => e.from,
  );
  const endNodes = known.filter((name) => nodes.get(name)?.type === 'end');

  if (entry !== undefined && nodes.has(entry)) {
    const reachable = walk([entry], successors);
    for (const name of known) {
      if (!reachable.has(name)) {
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
  if (nodes.size > 0 && endNodes.length === 0) {
    report('error', 'no-end', ['nodes'], "the workflow has no node of type 'end'");
  } else {
    // A node with a dangling reference is already reported; counting it as able to end avoids a cascade.
    const dangling = edges.filter((e) => !nodes.has(e.to)).map((e) => e.from);
    const canEnd = walk([...endNodes, ...dangling], predecessors);
    for (const name of known) {
      // A node of unknown type has no readable edges; its type error says what is wrong.
      if (!canEnd.has(name) && isKnownType(nodes.get(name)?.type)) {
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

  checkParallels(nodes, successors, predecessors, report);

  for (const [name, node] of nodes) {
    checkNode(name, node, options, source, report);
  }
  return out;
}

type Report = (
  severity: Diagnostic['severity'],
  code: string,
  path: readonly PathSegment[],
  message: string,
  at?: { line: number; column: number },
) => void;

function checkNode(
  name: string,
  node: Record<string, unknown>,
  options: SemanticCheckOptions,
  source: SourceDocument,
  report: Report,
): void {
  const base = ['nodes', name];
  if (node.type === 'async_request') {
    if (node.timeout === undefined) {
      report(
        'warning',
        'no-timeout',
        base,
        `async_request has no timeout: if the reply never comes the instance waits forever (add timeout and on_timeout)`,
        source.locateKey(['nodes'], name),
      );
      if (node.on_timeout !== undefined) {
        report(
          'error',
          'timeout-missing',
          [...base, 'on_timeout'],
          'on_timeout needs a timeout to say when it applies',
        );
      }
    }
  }
  if (node.type === 'sync_call' && typeof node.capability_id === 'string') {
    if (!options.syncCapabilityIds.has(node.capability_id)) {
      const registered = [...options.syncCapabilityIds].sort().join(', ');
      report(
        'error',
        'unknown-capability',
        [...base, 'capability_id'],
        `unknown synchronous capability '${node.capability_id}'; registered: ${registered}`,
      );
    }
  }
  if (node.type === 'choice' && Array.isArray(node.choices)) {
    node.choices.forEach((choice: unknown, i) => {
      if (!isRecord(choice) || typeof choice.when !== 'string') return;
      const path = [...base, 'choices', i, 'when'];
      try {
        jsonata(choice.when);
      } catch (error) {
        const e = error as { message?: string; position?: number };
        const at = source.locateInScalar(path, Math.max(0, (e.position ?? 1) - 1));
        report(
          'error',
          'bad-expression',
          path,
          `the JSONata expression does not compile: ${e.message ?? String(error)}`,
          at,
        );
      }
    });
  }
}

function checkParallels(
  nodes: Map<string, Record<string, unknown>>,
  successors: Map<string, string[]>,
  predecessors: Map<string, string[]>,
  report: Report,
): void {
  const joinOwner = new Map<string, string>();
  for (const [name, node] of nodes) {
    if (node.type !== 'parallel' || typeof node.join !== 'string' || !Array.isArray(node.branches)) continue;
    const join = node.join;
    const base = ['nodes', name];
    const other = joinOwner.get(join);
    if (other !== undefined) {
      report(
        'error',
        'shared-join',
        [...base, 'join'],
        `'${join}' is already the join of parallel '${other}'; each parallel needs its own join`,
      );
    }
    joinOwner.set(join, name);
    if (!nodes.has(join)) continue;

    const seenIn = new Map<string, string>();
    const branchMembers = new Set<string>();
    node.branches.forEach((branch: unknown, i) => {
      if (typeof branch !== 'string' || !nodes.has(branch)) return;
      const path = [...base, 'branches', i];
      if (branch === join) {
        report(
          'error',
          'branch-is-join',
          path,
          `branch '${branch}' is the join itself; a branch must do work before the join`,
        );
        return;
      }
      const members = walk([branch], successors, (n) => n === join);
      members.delete(join);
      const escapes = [...members].filter((m) => nodes.get(m)?.type === 'end');
      if (escapes.length > 0) {
        report(
          'error',
          'branch-escapes',
          path,
          `branch '${branch}' of parallel '${name}' can reach end node '${escapes[0]}' without passing its join '${join}'`,
        );
      } else if (![...members].some((m) => successors.get(m)?.includes(join))) {
        report(
          'error',
          'branch-never-joins',
          path,
          `branch '${branch}' of parallel '${name}' never reaches its join '${join}'`,
        );
      }
      for (const member of members) {
        const owner = seenIn.get(member);
        if (owner !== undefined && owner !== branch) {
          report(
            'error',
            'branches-overlap',
            path,
            `branches '${owner}' and '${branch}' of parallel '${name}' both run node '${member}'; each branch needs nodes of its own`,
          );
          break;
        }
        seenIn.set(member, branch);
        branchMembers.add(member);
      }
    });
    for (const from of predecessors.get(join) ?? []) {
      if (!branchMembers.has(from) && from !== name) {
        report(
          'error',
          'join-entered-outside',
          ['nodes', from],
          `node '${from}' leads to '${join}', the join of parallel '${name}', without being in one of its branches`,
        );
      }
    }
  }
}

function adjacency(
  edges: readonly NodeEdge[],
  nodes: Map<string, unknown>,
  key: (e: NodeEdge) => string,
  value: (e: NodeEdge) => string,
): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const edge of edges) {
    if (!nodes.has(edge.from) || !nodes.has(edge.to)) continue;
    const list = map.get(key(edge)) ?? [];
    list.push(value(edge));
    map.set(key(edge), list);
  }
  return map;
}

/** Breadth-first closure from `starts`; nodes for which `stop` holds are included but not expanded. */
function walk(
  starts: readonly string[],
  next: Map<string, string[]>,
  stop: (n: string) => boolean = () => false,
): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    const current = queue.shift() as string;
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

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
