import type { InstanceRecord } from '../runtime/instance-record';
import { runInlineWorkflow, steps } from './testing/run-inline-workflow';

/** Behaviour of `choice` nodes: JSONata conditions over the context, bounded in time and depth. */

async function run(yaml: string, context: Record<string, unknown> = {}): Promise<InstanceRecord> {
  return (await runInlineWorkflow(yaml, { context })).record;
}

/** A choice `Route` with the given options (in order) over end nodes Big, Medium and default Small. */
function routeWorkflow(choices: readonly (readonly [when: string, next: 'Big' | 'Medium'])[]): string {
  const options = choices
    .map(([when, next]) => `      - when: '${when.replace(/'/g, "''")}'\n        next: ${next}\n`)
    .join('');
  const used = new Set(choices.map(([, next]) => next));
  const ends = ['Big', 'Medium']
    .filter((name) => used.has(name as 'Big' | 'Medium'))
    .map((name) => `  ${name}:\n    type: end\n`)
    .join('');
  return `
workflow_name: route
workflow_id: route_v1
entry_point: Route
nodes:
  Route:
    type: choice
    choices:
${options}    default: Small
${ends}  Small:
    type: end
`;
}

/** The history of a run whose choice `Route` went straight to the end node `target`. */
const routedTo = (target: string) => [
  ['Route', 'SUCCEEDED'],
  [target, 'SUCCEEDED'],
];

const TIERS = routeWorkflow([
  ['amount > 100', 'Big'],
  ['amount > 10', 'Medium'],
]);

describe('choice', () => {
  describe('routing', () => {
    it.each([
      [500, 'Big'],
      [101, 'Big'],
      [100, 'Medium'],
      [11, 'Medium'],
      [10, 'Small'],
      [-1, 'Small'],
    ])('amount %p goes to %s: the first true expression wins, in order', async (amount, target) => {
      const record = await run(TIERS, { amount });
      expect(record.status).toBe('SUCCEEDED');
      expect(steps(record)).toEqual(routedTo(target));
    });

    it('goes to default when no expression is true, e.g. over a missing key', async () => {
      const record = await run(TIERS, { other: 1 });
      expect(steps(record)).toEqual(routedTo('Small'));
    });

    it('stops at the first true expression: later ones are not evaluated', async () => {
      const record = await run(
        routeWorkflow([
          ['amount > 0', 'Big'],
          ['$error("must not be evaluated")', 'Medium'],
        ]),
        { amount: 1 },
      );
      expect(record.status).toBe('SUCCEEDED');
      expect(steps(record)).toEqual(routedTo('Big'));
    });

    it('sees nested values and JSONata functions over the context', async () => {
      const workflow = routeWorkflow([['$count(lines[qty > 2]) = 2 and $uppercase(origin) = "VN"', 'Big']]);
      const context = { origin: 'vn', lines: [{ qty: 3 }, { qty: 1 }, { qty: 5 }] };
      expect(steps(await run(workflow, context))[1]).toEqual(['Big', 'SUCCEEDED']);
      const fewer = { ...context, lines: [{ qty: 3 }] };
      expect(steps(await run(workflow, fewer))[1]).toEqual(['Small', 'SUCCEEDED']);
    });
  });

  describe('only `true` counts', () => {
    it.each([
      ['a number', 'amount'],
      ['a non-empty string', 'name'],
      ['the string "true"', '"true"'],
      ['an array of true', '[true]'],
      ['a sequence of trues', 'flags'],
      ['an object', '{"ok": true}'],
      ['a function', 'function($x) { true }'],
    ])('%s is not true: default is taken', async (_label, when) => {
      const record = await run(routeWorkflow([[when, 'Big']]), {
        amount: 5,
        name: 'x',
        flags: [true, true],
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(steps(record)).toEqual(routedTo('Small'));
    });

    it('a truthy non-boolean is skipped and the next true option wins', async () => {
      const record = await run(
        routeWorkflow([
          ['amount', 'Big'],
          ['amount = 5', 'Medium'],
        ]),
        { amount: 5 },
      );
      expect(steps(record)).toEqual(routedTo('Medium'));
    });
  });

  describe('runaway or failing expressions fail the workflow instead of hanging', () => {
    it.each([
      ['$error raised', '$error("boom")', 'EXPRESSION_FAILED'],
      ['a type error', 'amount + name > 1', 'EXPRESSION_FAILED'],
      ['a bad cast', '$number(name) > 1', 'EXPRESSION_FAILED'],
      ['unbounded recursion', '($f := function($x) { 1 + $f($x) }; $f(0)) > 0', 'EXPRESSION_FAILED'],
      ['a huge sequence', '$count([1..5000000]) > 0', 'EXPRESSION_FAILED'],
      ['an infinite tail-recursive loop', '($f := function($x) { $f($x + 1) }; $f(0))', 'EXPRESSION_TIMEOUT'],
    ])('%s: %s fails with %s', async (_label, when, code) => {
      const record = await run(routeWorkflow([[when, 'Big']]), { amount: 5, name: 'x' });
      expect(record.status).toBe('FAILED');
      expect(record.error).toMatchObject({ code, node: 'Route' });
      expect(steps(record)).toEqual([['Route', 'FAILED']]);
    });

    it("the error message carries the expression's own error", async () => {
      const record = await run(routeWorkflow([['$error("credit limit unknown")', 'Big']]));
      expect(record.error?.message).toContain('credit limit unknown');
    });

    it('a catastrophically backtracking regex over context data is stopped within the time limit', async () => {
      // `(a+)+$` against 40 a's and a '!' backtracks about 2^40 times: hours of blocked event loop, which
      // JSONata's own timeout, checked between evaluation steps, cannot interrupt. Whatever the remedy (a
      // linear-time regex engine, evaluation off the event loop), the choice is decided or stopped, and a
      // backtracking engine would run into this test's own timeout: no wall clock is read here.
      const record = await run(routeWorkflow([['$contains(text, /^(a+)+$/)', 'Big']]), {
        text: `${'a'.repeat(40)}!`,
      });
      if (record.status === 'FAILED') expect(record.error).toMatchObject({ code: 'EXPRESSION_TIMEOUT' });
      else expect(steps(record).at(-1)).toEqual(['Small', 'SUCCEEDED']);
    }, 60_000);
  });
});
