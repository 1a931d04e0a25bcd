import type { NodeEdge } from './node-edges';
import { isRecord } from './schema-diagnostics';

/** A loop made only of choice nodes: its nodes in source order and the edges that lead round it. */
export interface ChoiceLoop {
  readonly nodes: readonly string[];
  /** The edges between nodes of the loop, by node in source order, each node's in the order it tries them. */
  readonly edges: readonly NodeEdge[];
}

/**
 * JSONata's one function whose value does not follow from its input: a condition calling it can answer
 * differently on the next time round, so a loop through it may exit without anything changing.
 */
const RANDOM_CALL = /\$random\s*\(/;

/**
 * The loops of a graph in which every node is a choice: each strongly connected set of choice nodes that
 * has an edge inside it (a self-loop counts), reported once.
 *
 * Why they are worth a warning: a choice only routes. Its conditions are pure over the context and it
 * changes nothing and waits for nothing, so when an instance comes back to a choice of such a loop the
 * context is the one it left with, every condition answers as before and it takes the same way round
 * again: having gone round once, it goes round until the node's max_visits and fails MAX_VISITS_EXCEEDED.
 * A loop whose conditions call `$random` is left out: there a condition can change its answer.
 *
 * `nodes` holds every node by name, in source order (the nodes map's order); `edges` every edge read from
 * them. Edges to a node that does not exist are ignored (reported as unknown targets elsewhere).
 */
export function choiceLoops(
  nodes: ReadonlyMap<string, Record<string, unknown>>,
  edges: readonly NodeEdge[],
): ChoiceLoop[] {
  const isChoice = (name: string): boolean => nodes.get(name)?.type === 'choice';
  const inside = edges.filter((e) => isChoice(e.from) && isChoice(e.to));
  const next = new Map<string, Set<string>>();
  for (const edge of inside) {
    const set = next.get(edge.from) ?? new Set<string>();
    set.add(edge.to);
    next.set(edge.from, set);
  }
  // What each choice node leads to through choice nodes only (itself only by going round). At most 500
  // nodes (DEFINITION_LIMITS.maxNodes), so a walk from each is cheap enough.
  const reach = new Map<string, Set<string>>();
  for (const name of next.keys()) reach.set(name, reachableFrom(name, next));

  const loops: ChoiceLoop[] = [];
  const placed = new Set<string>();
  for (const name of nodes.keys()) {
    if (placed.has(name) || reach.get(name)?.has(name) !== true) continue;
    // The loop through `name`: the nodes it reaches that also reach it back.
    const members = [...nodes.keys()].filter(
      (other) => other === name || (reach.get(name)?.has(other) === true && reach.get(other)?.has(name)),
    );
    for (const member of members) placed.add(member);
    if (members.some((member) => callsRandom(nodes.get(member)))) continue;
    const own = new Set(members);
    loops.push({
      nodes: members,
      edges: members.flatMap((member) =>
        inside.filter((e) => e.from === member && own.has(e.to)).sort((a, b) => tried(a) - tried(b)),
      ),
    });
  }
  return loops;
}

/** Where an edge comes in the order a choice tries its ways out: its choices in turn, then default. */
function tried(edge: NodeEdge): number {
  const index = edge.path[3];
  return edge.path[2] === 'choices' && typeof index === 'number' ? index : Number.MAX_SAFE_INTEGER;
}

/** The nodes reachable from `start` by one edge or more. */
function reachableFrom(start: string, next: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  const seen = new Set<string>();
  const queue = [...(next.get(start) ?? [])];
  for (const n of queue) seen.add(n);
  for (let head = 0; head < queue.length; head++) {
    for (const n of next.get(queue[head] as string) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

function callsRandom(node: Record<string, unknown> | undefined): boolean {
  const choices = node?.choices;
  return (
    Array.isArray(choices) &&
    choices.some((c: unknown) => isRecord(c) && typeof c.when === 'string' && RANDOM_CALL.test(c.when))
  );
}
