import jsonata from 'jsonata';
import { closest } from './did-you-mean';

/**
 * Calls in a JSONata expression that can only fail ("Attempted to invoke a non-function", every time the
 * call runs): `NOT(x)` or `upper(x)`, which look a name up in the context instead of calling a function,
 * and `$undefinedFn(x)`, a `$` name that is neither a JSONata function nor bound in the expression.
 *
 * The engine binds nothing of its own when it evaluates (graph/expression.ts passes no bindings and
 * registers no function), so the functions an expression can call are JSONata's own and those it binds
 * itself. When a call might reach a function (a name looked up in something the expression built, a
 * variable bound anywhere in it), nothing is reported.
 */

/**
 * JSONata's built-in functions (jsonata 2.x: its static frame, plus `$now` and `$millis`, bound per
 * compiled expression), without the `$`. A test checks each is a function in the installed jsonata, and
 * that the library binds no other.
 */
export const JSONATA_FUNCTIONS: readonly string[] = [
  'sum',
  'count',
  'max',
  'min',
  'average',
  'string',
  'substring',
  'substringBefore',
  'substringAfter',
  'lowercase',
  'uppercase',
  'length',
  'trim',
  'pad',
  'match',
  'contains',
  'replace',
  'split',
  'join',
  'formatNumber',
  'formatBase',
  'formatInteger',
  'parseInteger',
  'number',
  'floor',
  'ceil',
  'round',
  'abs',
  'sqrt',
  'power',
  'random',
  'boolean',
  'not',
  'map',
  'zip',
  'filter',
  'single',
  'reduce',
  'sift',
  'keys',
  'lookup',
  'append',
  'exists',
  'spread',
  'merge',
  'reverse',
  'each',
  'error',
  'assert',
  'type',
  'sort',
  'shuffle',
  'distinct',
  'base64encode',
  'base64decode',
  'encodeUrlComponent',
  'encodeUrl',
  'decodeUrlComponent',
  'decodeUrl',
  'eval',
  'toMillis',
  'fromMillis',
  'clone',
  'now',
  'millis',
];

const BUILT_IN = new Set(JSONATA_FUNCTIONS);

export interface BadCall {
  /** Index in the expression of the first character of the called name (its `$`, if it has one). */
  readonly index: number;
  /** What is wrong, after "the JSONata expression ...". */
  readonly message: string;
}

interface AstNode {
  readonly type?: string;
  readonly value?: unknown;
  readonly position?: number;
  readonly [field: string]: unknown;
}

/** The calls of `expression` that can never reach a function, in source order; none if it does not compile. */
export function badCalls(expression: string): BadCall[] {
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch {
    return [];
  }
  return badCallsIn(expression, ast);
}

/** The bad calls of `expression`, whose parsed form (`jsonata(expression).ast()`) is `ast`. */
export function badCallsIn(expression: string, ast: unknown): BadCall[] {
  if (!isAst(ast)) return [];
  const bound = boundNames(ast);
  const found: BadCall[] = [];
  const visit = (node: unknown, data: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, data));
    if (!isAst(node)) return;
    if (node.type === 'path' && Array.isArray(node.steps)) return visitPath(node, data);
    if (node.type === 'transform') return children(node, false);
    if (node.type === 'function' || node.type === 'partial') {
      const call = badCall(node.procedure, data, bound, expression);
      if (call) found.push(call);
      else visit(node.procedure, data);
      return visit(node.arguments, data);
    }
    children(node, data);
  };
  // `data`: the context item there is known to be JSON from the input (the context, a reply's outputs),
  // so a name looked up in it is never a function. After a step that is not such a name (a variable, a
  // block, a call), the items may be anything the expression built, functions included.
  const visitPath = (path: AstNode, data: boolean): void => {
    let items = data;
    for (const step of path.steps as unknown[]) {
      if (!isAst(step)) continue;
      const context = items;
      items = context && step.type === 'name' && step.focus === undefined && step.index === undefined;
      for (const [field, child] of Object.entries(step)) {
        if (field === 'stages' || field === 'predicate' || field === 'group') visit(child, items);
      }
      visit({ ...step, stages: undefined, predicate: undefined, group: undefined }, context);
    }
    visit(path.group, items);
  };
  const children = (node: AstNode, data: boolean): void => {
    for (const [field, child] of Object.entries(node)) {
      if (field !== 'signature') visit(child, data);
    }
  };
  visit(ast, true);
  return found.sort((a, b) => a.index - b.index);
}

/** Why calling `procedure` can only fail, or undefined when it may reach a function. */
function badCall(
  procedure: unknown,
  data: boolean,
  bound: ReadonlySet<string>,
  expression: string,
): BadCall | undefined {
  if (!isAst(procedure)) return undefined;
  if (procedure.type === 'variable' && typeof procedure.value === 'string') {
    const name = procedure.value;
    // `$` and `$$` (the context and the input) are data, not functions, but calling them is no typo to name.
    if (name === '' || name === '$' || BUILT_IN.has(name) || bound.has(name)) return undefined;
    const guess = closest(name, [...JSONATA_FUNCTIONS, ...bound]);
    return {
      index: start(procedure, `$${name}`, expression),
      message: `calls $${name}(...), which is neither a JSONata function nor bound in the expression${guess === undefined ? '' : `; did you mean '$${guess}'?`}`,
    };
  }
  const steps = procedure.type === 'path' && Array.isArray(procedure.steps) ? procedure.steps : [procedure];
  const names = steps.every(
    (s) =>
      isAst(s) &&
      s.type === 'name' &&
      typeof s.value === 'string' &&
      s.stages === undefined &&
      s.predicate === undefined &&
      s.focus === undefined &&
      s.index === undefined &&
      s.group === undefined,
  );
  if (!data || !names || steps.length !== 1) return undefined;
  const step = steps[0] as AstNode & { value: string };
  const name = step.value;
  // Only the function of the same name is suggested: a name without `$` is often a context key, whatever
  // it is close to.
  const same = JSONATA_FUNCTIONS.find((f) => f.toLowerCase() === name.toLowerCase());
  let hint = '';
  if (same === 'not') hint = 'negate with $not(...), e.g. $not(approved)';
  else if (same !== undefined) hint = `did you mean '$${same}'?`;
  return {
    index: start(step, name, expression),
    message: `calls ${name}(...), which is not a function: JSONata's functions start with '$'${hint === '' ? '' : `; ${hint}`}`,
  };
}

/** Where `text`, the token of `node` (which ends at its `position`, past any quotes), starts. */
function start(node: AstNode, text: string, expression: string): number {
  const end = typeof node.position === 'number' ? node.position : text.length;
  const found = expression.lastIndexOf(text, end - text.length);
  return found >= 0 ? found : Math.min(Math.max(0, end - text.length), Math.max(0, expression.length - 1));
}

/**
 * Every name the expression binds anywhere: `$f := ...`, a lambda's parameters, a path's `@$v` and `#$i`.
 * Where each is in scope does not matter here: a call to any of them is given the benefit of the doubt.
 */
function boundNames(ast: AstNode): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isAst(node)) return;
    if (node.type === 'bind' && isAst(node.lhs) && typeof node.lhs.value === 'string')
      names.add(node.lhs.value);
    if (node.type === 'lambda' && Array.isArray(node.arguments)) {
      for (const a of node.arguments) if (isAst(a) && typeof a.value === 'string') names.add(a.value);
    }
    if (typeof node.focus === 'string') names.add(node.focus);
    if (typeof node.index === 'string') names.add(node.index);
    for (const [field, child] of Object.entries(node)) if (field !== 'signature') visit(child);
  };
  visit(ast);
  return names;
}

function isAst(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'type' in value;
}
