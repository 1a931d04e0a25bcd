import jsonata from 'jsonata';
import type { SyncCapabilityCatalog } from './capability-parameters';
import type { PathSegment } from './diagnostic';
import { didYouMean } from './did-you-mean';
import type { NodeEdge } from './node-edges';
import { nodeExpressions } from './node-expressions';
import { isRecord } from './schema-diagnostics';

/**
 * Which context keys are certainly there when each node runs, and the uses of keys that may not be: a
 * `when` that reads `ammount`, an `input_keys` or end `output_keys` entry nothing produces, a sync_call's
 * `with` expression (those its capability declares, `expressionFields`: http's url, query, headers, body). Such a
 * definition is valid (a key can be absent on purpose) but usually wrong, and silently so: a choice on
 * a missing key takes its default route. So each is a warning naming the key, with a did-you-mean.
 *
 * Keys come from `initial_context` and from what a step declares it produces on its success route
 * (`request_output_keys`, `output_keys`, a set node's `values`). A step that declares nothing may produce
 * anything, and so may a START when `initial_context` is not given: past such a step nothing is reported
 * (no guessing).
 */

/** What is known at a point of the graph: keys present on every path to it, or `open` if anything may be. */
interface Known {
  readonly keys: ReadonlySet<string>;
  readonly open: boolean;
}

export interface KeyUse {
  readonly key: string;
  readonly path: readonly PathSegment[];
  /** Offset of the key inside the scalar at `path` (an expression), when it is one. */
  readonly offset?: number;
  readonly text?: string;
  readonly message: string;
}

/** Uses of keys that some path to their node does not produce, in node order. */
export function uncertainKeyUses(
  root: Record<string, unknown>,
  nodes: ReadonlyMap<string, Record<string, unknown>>,
  edges: readonly NodeEdge[],
  entry: string,
  /** The deployment's sync capabilities: which fields of a sync_call's `with` are expressions. */
  syncCapabilities: SyncCapabilityCatalog = {},
): KeyUse[] {
  const initial = stringList(root.initial_context);
  const before = knownBefore(nodes, edges, entry, {
    keys: new Set(initial ?? []),
    open: initial === undefined,
  });
  const everyKey = new Set(initial ?? []);
  for (const node of nodes.values()) for (const key of produced(node) ?? []) everyKey.add(key);

  const uses: KeyUse[] = [];
  for (const [name, node] of nodes) {
    const known = before.get(name);
    if (!known || known.open) continue;
    const missing = (key: string) => !known.keys.has(key);
    const message = (key: string) =>
      `context key '${key}' may be missing here: it is not in initial_context and not produced on every path to '${name}'${hint(key, everyKey)}`;
    const listed = (field: string) =>
      (stringList(node[field]) ?? []).forEach((key, i) => {
        if (missing(key)) uses.push({ key, path: ['nodes', name, field, i], message: message(key) });
      });
    if (node.type === 'async_request' || node.type === 'sub_workflow' || node.type === 'map') {
      listed('input_keys');
    }
    if (node.type === 'end') listed('output_keys');
    for (const { text, path } of nodeExpressions(name, node, syncCapabilities)) {
      const seen = new Set<string>();
      for (const read of keysRead(text)) {
        if (!missing(read.key) || seen.has(read.key)) continue;
        seen.add(read.key);
        uses.push({ key: read.key, path, offset: read.offset, text, message: message(read.key) });
      }
    }
  }
  return uses;
}

function hint(key: string, everyKey: ReadonlySet<string>): string {
  if (/^(true|false|null|none)$/i.test(key)) return "; JSONata's literals are true, false and null";
  return didYouMean(key, everyKey);
}

/**
 * The fixed point of "known before a node": the meet over the edges into it, where an edge carries what
 * was known before its source plus what the source produces on that route. The meet is an intersection,
 * except at a parallel's join, which runs after every branch: there the branches' keys add up.
 */
function knownBefore(
  nodes: ReadonlyMap<string, Record<string, unknown>>,
  edges: readonly NodeEdge[],
  entry: string,
  start: Known,
): Map<string, Known> {
  const joins = new Set(
    [...nodes.values()].flatMap((n) => (n.type === 'parallel' && typeof n.join === 'string' ? [n.join] : [])),
  );
  const into = new Map<string, NodeEdge[]>();
  for (const edge of edges) into.set(edge.to, [...(into.get(edge.to) ?? []), edge]);
  const known = new Map<string, Known>();
  // Each pass can only shrink a node's keys (or open it), so this ends; the bound is a safety net.
  for (let pass = 0; pass < nodes.size * 4 + 4; pass++) {
    let changed = false;
    for (const name of nodes.keys()) {
      const carried = (into.get(name) ?? []).flatMap((edge) => {
        const from = known.get(edge.from);
        const node = nodes.get(edge.from);
        return from && node ? [along(from, node, edge)] : [];
      });
      if (name === entry) carried.push(start);
      if (carried.length === 0) continue;
      const next = joins.has(name) ? carried.reduce(union) : carried.reduce(intersection);
      if (!same(known.get(name), next)) {
        known.set(name, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return known;
}

function along(before: Known, node: Record<string, unknown>, edge: NodeEdge): Known {
  if (edge.kind !== 'next') return before;
  const keys = produced(node);
  if (keys === undefined) return { keys: before.keys, open: true };
  return { keys: new Set([...before.keys, ...keys]), open: before.open };
}

/** Keys a step declares its success produces; undefined when it declares none (it may produce any). */
function produced(node: Record<string, unknown>): readonly string[] | undefined {
  // A result mapping sets exactly its keys (one whose expression selects nothing stays unset, as in set).
  if (
    (node.type === 'async_request' || node.type === 'sync_call' || node.type === 'sub_workflow') &&
    isRecord(node.result)
  ) {
    return Object.keys(node.result);
  }
  if (node.type === 'async_request') return stringList(node.request_output_keys);
  if (node.type === 'sync_call') return stringList(node.output_keys);
  if (node.type === 'set') return isRecord(node.values) ? Object.keys(node.values) : [];
  // A child's output is whatever its end node says: not known here.
  if (node.type === 'sub_workflow') return undefined;
  if (node.type === 'map') return typeof node.output_key === 'string' ? [node.output_key] : [];
  return [];
}

const union = (a: Known, b: Known): Known => ({
  keys: new Set([...a.keys, ...b.keys]),
  open: a.open || b.open,
});
const intersection = (a: Known, b: Known): Known => ({
  keys: new Set([...a.keys].filter((k) => b.keys.has(k))),
  open: a.open || b.open,
});
const same = (a: Known | undefined, b: Known): boolean =>
  a !== undefined &&
  a.open === b.open &&
  a.keys.size === b.keys.size &&
  [...a.keys].every((k) => b.keys.has(k));

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

interface AstNode {
  readonly type?: string;
  readonly value?: unknown;
  readonly position?: number;
  readonly steps?: readonly AstNode[];
  readonly [field: string]: unknown;
}

/**
 * The context keys an expression reads: the first step of each path (`amount` in `amount > 5`,
 * `order` in `order.total`), or the step after the context itself (`amount` in `$.amount`, `$$.amount`).
 * Names inside later steps, predicates and lambdas are relative to something else, and an expression
 * that does not compile reads nothing (its error is reported on its own).
 */
export function keysRead(expression: string): { key: string; offset: number }[] {
  let ast: AstNode;
  try {
    ast = jsonata(expression).ast() as AstNode;
  } catch {
    return [];
  }
  const found: { key: string; offset: number }[] = [];
  const name = (node: AstNode) => {
    if (node.type === 'name' && typeof node.value === 'string') {
      // `position` is where the token ends.
      const offset = Math.max(0, (node.position ?? node.value.length) - node.value.length);
      found.push({ key: node.value, offset });
    }
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isAst(node)) return;
    if (node.type === 'path') {
      const [first, second] = node.steps ?? [];
      // Outside a lambda (not visited), `$` and `$$` are both the whole context.
      const fromContext = first?.type === 'variable' && (first.value === '' || first.value === '$');
      const step = fromContext ? second : first;
      if (step) name(step);
      return;
    }
    if (node.type === 'name') return name(node);
    if (node.type === 'lambda' || node.type === 'regex') return;
    for (const [field, child] of Object.entries(node)) {
      if (field !== 'procedure') visit(child);
    }
  };
  visit(ast);
  return found;
}

function isAst(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'type' in value;
}
