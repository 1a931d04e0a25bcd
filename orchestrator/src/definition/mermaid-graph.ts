import { edgesOf } from './node-edges';
import type { WorkflowDefinition, WorkflowNode } from './workflow-schema';

/**
 * Renders a valid definition as a Mermaid flowchart: async requests as rounded boxes, sync calls as
 * subroutines, choices as diamonds with their expressions on the edges, parallels fanning out with a
 * dotted edge to their join, ends as stadiums. Failure and timeout routes are dashed and labelled; a
 * route from inside a branch to an end node that is not the join of a parallel around it (a shared end)
 * is thick and orange.
 */
export function toMermaid(definition: WorkflowDefinition, styling?: MermaidStyling): string {
  const lines = ['flowchart TD', `  __start__((start)) --> ${id(definition.entry_point)}`];
  for (const [name, node] of Object.entries(definition.nodes)) {
    lines.push(`  ${shape(name, node)}`);
  }
  // Link indices count from 0 in the order links are written; the start link is 0.
  const sharedEndLinks: number[] = [];
  const joinsAround = enclosingJoins(definition);
  const ends = endIds(definition);
  let link = 1;
  for (const [name, node] of Object.entries(definition.nodes)) {
    const joins = joinsAround.get(name);
    for (const edge of edges(name, node)) {
      const to = edge.slice(edge.lastIndexOf(' ') + 1);
      // From inside a branch, an end is a shared end unless it is the join of a parallel around the
      // branch: reaching that join completes the branch, it does not end the instance.
      if (joins !== undefined && ends.has(to) && !joins.has(to)) sharedEndLinks.push(link);
      lines.push(`  ${edge}`);
      link++;
    }
  }
  if (sharedEndLinks.length > 0)
    lines.push(`  linkStyle ${sharedEndLinks.join(',')} ${SHARED_END_LINK_STYLE}`);
  if (styling) {
    for (const [name, style] of Object.entries(styling.classDefs)) lines.push(`  classDef ${name} ${style}`);
    const byClass = new Map<string, string[]>();
    for (const name of Object.keys(definition.nodes)) {
      const className = styling.classOf(name);
      if (className !== undefined) byClass.set(className, [...(byClass.get(className) ?? []), id(name)]);
    }
    for (const [className, ids] of byClass) lines.push(`  class ${ids.join(',')} ${className}`);
    return lines.join('\n') + '\n';
  }
  const failed = Object.entries(definition.nodes)
    .filter(([, node]) => node.type === 'end' && node.status === 'FAILED')
    .map(([name]) => id(name));
  lines.push('  classDef failed fill:#fdd,stroke:#b00');
  if (failed.length > 0) lines.push(`  class ${failed.join(',')} failed`);
  return lines.join('\n') + '\n';
}

/**
 * How a route from inside a parallel branch to an end node (a shared end: it stops the other branches
 * and ends the instance) is drawn: thick and orange, apart from the routes that stay in the branch.
 */
export const SHARED_END_LINK_STYLE = 'stroke:#d9480f,stroke-width:3px';

/** The ids of the end nodes. */
function endIds(definition: WorkflowDefinition): Set<string> {
  return new Set(
    Object.entries(definition.nodes)
      .filter(([, node]) => node.type === 'end')
      .map(([name]) => id(name)),
  );
}

/**
 * The nodes that run inside some parallel branch (reached from a branch's first node before its join),
 * each with the ids of the joins of the parallels it runs inside.
 */
function enclosingJoins(definition: WorkflowDefinition): Map<string, Set<string>> {
  const inside = new Map<string, Set<string>>();
  for (const node of Object.values(definition.nodes)) {
    if (node.type !== 'parallel') continue;
    const queue = [...node.branches];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const current = queue.shift() as string;
      const joins = inside.get(current) ?? new Set<string>();
      joins.add(id(node.join));
      inside.set(current, joins);
      const next = definition.nodes[current];
      if (!next) continue;
      for (const { to } of edgesOf(current, next)) {
        if (to === node.join || seen.has(to) || definition.nodes[to]?.type === 'end') continue;
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return inside;
}

/**
 * Node colours in place of the default (failure ends in red): Mermaid `classDef` styles by class name,
 * and the class of each node (undefined: unstyled). `wf describe` colours nodes by what happened to them.
 */
export interface MermaidStyling {
  readonly classDefs: Readonly<Record<string, string>>;
  readonly classOf: (node: string) => string | undefined;
}

/** A name or title as words, to tell whether a title only respells its node's name (`Timed_Out`, `Timed out`). */
const words = (text: string) =>
  text
    .replace(/[\s_-]+/g, ' ')
    .trim()
    .toLowerCase();

function shape(name: string, node: WorkflowNode): string {
  // A title leads with the node's name, which logs, history, waits and errors use, unless it says the same.
  const title =
    node.title === undefined
      ? name
      : words(node.title) === words(name)
        ? node.title
        : `${name}: ${node.title}`;
  switch (node.type) {
    case 'async_request':
      return `${id(name)}("${label(title)}<br/><small>async ${label(node.capability_id)}${node.timeout ? ` · timeout ${label(node.timeout)}` : ''}</small>")`;
    case 'sync_call':
      return `${id(name)}[["${label(title)}<br/><small>sync ${label(node.capability_id)}</small>"]]`;
    case 'choice':
      return `${id(name)}{"${label(title)}"}`;
    case 'parallel':
      return `${id(name)}[/"${label(title)}<br/><small>parallel</small>"\\]`;
    case 'set':
      return `${id(name)}[/"${label(title)}<br/><small>set ${label(Object.keys(node.values).join(', '))}</small>"/]`;
    case 'wait':
      return `${id(name)}(("${label(title)}<br/><small>wait ${label(node.duration ?? `until ${node.until ?? ''}`)}</small>"))`;
    case 'sub_workflow':
      return `${id(name)}{{"${label(title)}<br/><small>sub_workflow ${label(node.workflow_id)}${node.timeout ? ` · timeout ${label(node.timeout)}` : ''}</small>"}}`;
    case 'map':
      return `${id(name)}[["${label(title)}<br/><small>map ${label(node.items)} → ${label(node.workflow_id)} · ${node.max_concurrency ?? 10} at once</small>"]]`;
    case 'end':
      return `${id(name)}(["${label(title)}<br/><small>${node.status ?? 'SUCCEEDED'}</small>"])`;
  }
}

function edges(name: string, node: WorkflowNode): string[] {
  const from = id(name);
  const out: string[] = [];
  const failure = (to: string | undefined, what = 'on_failure') => {
    if (to) out.push(`${from} -. ${what} .-> ${id(to)}`);
  };
  switch (node.type) {
    case 'async_request':
      out.push(`${from} -- on_response --> ${id(node.on_response)}`);
      failure(node.on_failure);
      failure(node.on_timeout, 'on_timeout');
      break;
    case 'sync_call':
      out.push(`${from} -- on_success --> ${id(node.on_success)}`);
      failure(node.on_failure);
      break;
    case 'choice':
      for (const choice of node.choices)
        out.push(`${from} -- "${label(choice.when)}" --> ${id(choice.next)}`);
      out.push(`${from} -- default --> ${id(node.default)}`);
      break;
    case 'parallel':
      for (const branch of node.branches) out.push(`${from} == branch ==> ${id(branch)}`);
      out.push(`${from} -. "join (waits for all ${node.branches.length})" .-> ${id(node.join)}`);
      failure(node.on_failure);
      break;
    case 'set':
    case 'wait':
      out.push(`${from} --> ${id(node.next)}`);
      failure(node.on_failure);
      break;
    case 'map':
      out.push(`${from} -- "${label(node.output_key)}" --> ${id(node.next)}`);
      failure(node.on_failure);
      break;
    case 'sub_workflow':
      out.push(`${from} --> ${id(node.next)}`);
      failure(node.on_failure);
      failure(node.on_timeout, 'on_timeout');
      break;
    case 'end':
      break;
  }
  return out;
}

/** Node names are `[A-Za-z][A-Za-z0-9_-]*`; Mermaid reserves a few words, so every id gets a prefix. */
function id(name: string): string {
  return `n_${name}`;
}

/**
 * Mermaid reads `#name;` and `#123;` in a label as an entity, and passes `&lt;` on as HTML: a `#` or `&`
 * that would start one is written as an entity itself (`#35;`, `#38;`), in the same pass as the quotes
 * and angle brackets, so a title shows as written; any other `#` (a capability id's) stays readable.
 */
const LABEL_ENTITIES: Readonly<Record<string, string>> = {
  '#': '#35;',
  '&': '#38;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
};

function label(text: string): string {
  return text.replace(/[#&](?=#?[A-Za-z0-9]+;)|["<>]/g, (c) => LABEL_ENTITIES[c] ?? c);
}
