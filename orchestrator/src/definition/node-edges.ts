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

const SINGLE_EDGE_FIELDS: Record<string, readonly [string, NodeEdge['kind']][]> = {
  async_request: [
    ['on_response', 'next'],
    ['on_failure', 'failure'],
    ['on_timeout', 'timeout'],
  ],
  sync_call: [
    ['on_success', 'next'],
    ['on_failure', 'failure'],
  ],
  choice: [['default', 'next']],
  parallel: [
    ['join', 'join'],
    ['on_failure', 'failure'],
  ],
  end: [],
};

/**
 * Every edge a node declares, read defensively from the raw YAML value, so graph checks still run (and
 * report) when other parts of the same definition failed schema validation.
 */
export function edgesOf(name: string, node: unknown): NodeEdge[] {
  if (!isRecord(node) || typeof node.type !== 'string') return [];
  const edges: NodeEdge[] = [];
  const base: PathSegment[] = ['nodes', name];
  for (const [field, kind] of SINGLE_EDGE_FIELDS[node.type] ?? []) {
    const target = node[field];
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

/** The nodes of a raw definition value that are maps, by name. */
export function rawNodes(value: unknown): Map<string, Record<string, unknown>> {
  const nodes = new Map<string, Record<string, unknown>>();
  if (isRecord(value) && isRecord(value.nodes)) {
    for (const [name, node] of Object.entries(value.nodes)) if (isRecord(node)) nodes.set(name, node);
  }
  return nodes;
}
