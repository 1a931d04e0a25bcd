import type { PathSegment } from './diagnostic';
import { isRecord } from './schema-diagnostics';

/** A reference from one node to another, with where it is written. */
export interface NodeEdge {
  readonly from: string;
  readonly to: string;
  /** Path of the referencing value, e.g. ['nodes', 'A', 'choices', 0, 'next']. */
  readonly path: readonly PathSegment[];
  readonly kind: 'next' | 'failure' | 'timeout' | 'branch' | 'join';
}

/** The fields naming one node, per node type; a Map, since the type is user text (`constructor`...). */
const SINGLE_EDGE_FIELDS = new Map<string, readonly [string, NodeEdge['kind']][]>([
  [
    'async_request',
    [
      ['on_response', 'next'],
      ['on_failure', 'failure'],
      ['on_timeout', 'timeout'],
    ],
  ],
  [
    'sync_call',
    [
      ['on_success', 'next'],
      ['on_failure', 'failure'],
    ],
  ],
  ['choice', [['default', 'next']]],
  [
    'parallel',
    [
      ['join', 'join'],
      ['on_failure', 'failure'],
    ],
  ],
  [
    'set',
    [
      ['next', 'next'],
      ['on_failure', 'failure'],
    ],
  ],
  [
    'wait',
    [
      ['next', 'next'],
      ['on_failure', 'failure'],
    ],
  ],
  [
    'sub_workflow',
    [
      ['next', 'next'],
      ['on_failure', 'failure'],
      ['on_timeout', 'timeout'],
    ],
  ],
  [
    'map',
    [
      ['next', 'next'],
      ['on_failure', 'failure'],
    ],
  ],
  ['end', []],
]);

/**
 * Every edge a node declares, read defensively from the raw YAML value, so graph checks still run (and
 * report) when other parts of the same definition failed schema validation.
 */
export function edgesOf(name: string, node: unknown): NodeEdge[] {
  if (!isRecord(node) || typeof node.type !== 'string') return [];
  const edges: NodeEdge[] = [];
  const base: PathSegment[] = ['nodes', name];
  for (const [field, kind] of SINGLE_EDGE_FIELDS.get(node.type) ?? []) {
    const target = Object.hasOwn(node, field) ? node[field] : undefined;
    if (typeof target === 'string') edges.push({ from: name, to: target, path: [...base, field], kind });
  }
  if (node.type === 'choice' && Array.isArray(node.choices)) {
    node.choices.forEach((choice: unknown, i) => {
      if (isRecord(choice) && typeof choice.next === 'string') {
        edges.push({ from: name, to: choice.next, path: [...base, 'choices', i, 'next'], kind: 'next' });
      }
    });
  }
  if (node.type === 'parallel' && Array.isArray(node.branches)) {
    node.branches.forEach((branch: unknown, i) => {
      if (typeof branch === 'string')
        edges.push({ from: name, to: branch, path: [...base, 'branches', i], kind: 'branch' });
    });
  }
  return edges;
}

/** The edge fields every node of a type must have. */
const REQUIRED_EDGE_FIELDS = new Map<string, readonly string[]>([
  ['async_request', ['on_response']],
  ['sync_call', ['on_success']],
  ['choice', ['default', 'choices']],
  ['parallel', ['join', 'branches']],
  ['set', ['next', 'values']],
  ['wait', ['next']],
  ['sub_workflow', ['next']],
  ['map', ['next', 'items', 'output_key']],
  ['end', []],
]);

/**
 * Whether some edge of a node (of a known type) cannot be read: a required one is missing, or one is not a node
 * name. The schema reports it; the graph checks then know the node's edges are incomplete.
 */
export function hasUnreadableEdges(node: unknown): boolean {
  if (!isRecord(node) || typeof node.type !== 'string') return true;
  const has = (field: string): boolean => Object.hasOwn(node, field);
  if ((REQUIRED_EDGE_FIELDS.get(node.type) ?? []).some((field) => !has(field))) return true;
  for (const [field] of SINGLE_EDGE_FIELDS.get(node.type) ?? []) {
    if (has(field) && typeof node[field] !== 'string') return true;
  }
  if (node.type === 'choice') {
    return (
      !Array.isArray(node.choices) || !node.choices.every((c) => isRecord(c) && typeof c.next === 'string')
    );
  }
  if (node.type === 'parallel') {
    return !Array.isArray(node.branches) || !node.branches.every((b) => typeof b === 'string');
  }
  return false;
}

/** The nodes of a raw definition value by name, whatever their value (a node that is not a map too). */
export function rawNodes(value: unknown): Map<string, unknown> {
  const nodes = new Map<string, unknown>();
  if (isRecord(value) && Object.hasOwn(value, 'nodes') && isRecord(value.nodes)) {
    for (const [name, node] of Object.entries(value.nodes)) nodes.set(name, node);
  }
  return nodes;
}
