import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import { badCalls, JSONATA_FUNCTIONS } from './expression-calls';

/** What evaluating `expression` over `context` gives, or the error's message. */
async function outcome(expression: string, context: unknown): Promise<unknown> {
  try {
    return await jsonata(expression).evaluate(context);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const CONTEXT = { tier: 'gold', amount: 4, approved: true, lines: [{ qty: 2 }, { qty: 3 }] };

describe('JSONATA_FUNCTIONS', () => {
  it.each(JSONATA_FUNCTIONS)('$%s is a function in the installed jsonata', async (name) => {
    expect(await jsonata(`$type($${name})`).evaluate({})).toBe('function');
  });

  it('lists every function the installed jsonata binds, and no other', () => {
    const library = readFileSync(require.resolve('jsonata'), 'utf8');
    const bound = [...library.matchAll(/\.bind\('(\w+)', defineFunction\(/g)].map((m) => m[1]);
    expect(bound.length).toBeGreaterThan(60);
    expect([...new Set(bound)].sort()).toEqual([...JSONATA_FUNCTIONS].sort());
  });
});

describe('badCalls', () => {
  it.each([
    [
      'NOT(tier = "x")',
      0,
      "calls NOT(...), which is not a function: JSONata's functions start with '$'; negate with $not(...), e.g. $not(approved)",
    ],
    [
      'not(approved)',
      0,
      "calls not(...), which is not a function: JSONata's functions start with '$'; negate with $not(...), e.g. $not(approved)",
    ],
    ['upper(tier)', 0, "calls upper(...), which is not a function: JSONata's functions start with '$'"],
    [
      '"x" & uppercase(tier)',
      6,
      "calls uppercase(...), which is not a function: JSONata's functions start with '$'; did you mean '$uppercase'?",
    ],
    ['lines.total(1)', 6, "calls total(...), which is not a function: JSONata's functions start with '$'"],
    ['lines[check(qty)]', 6, "calls check(...), which is not a function: JSONata's functions start with '$'"],
    ['tier ~> fix()', 8, "calls fix(...), which is not a function: JSONata's functions start with '$'"],
    [
      '$undefinedFn(amount)',
      0,
      'calls $undefinedFn(...), which is neither a JSONata function nor bound in the expression',
    ],
    [
      '1 + $Sum(lines.qty)',
      4,
      "calls $Sum(...), which is neither a JSONata function nor bound in the expression; did you mean '$sum'?",
    ],
    [
      'tier ~> $uppercas()',
      8,
      "calls $uppercas(...), which is neither a JSONata function nor bound in the expression; did you mean '$uppercase'?",
    ],
    [
      '($double := function($x) { $x * 2 }; $doubel(amount))',
      37,
      "calls $doubel(...), which is neither a JSONata function nor bound in the expression; did you mean '$double'?",
    ],
  ])('%s: reported at %d, and it fails when run', async (expression, index, message) => {
    expect(badCalls(expression)).toEqual([{ index, message }]);
    expect(await outcome(expression, CONTEXT)).toMatch(/^error: Attempted to invoke a non-function/);
  });

  // Each runs without error: a function bound in the expression, a lambda's parameter, a focus variable,
  // a function reached through what the expression built, JSONata's own (with $now and $millis).
  it.each([
    '$not(approved) and $exists(tier) and $now() > "2020" and $millis() > 0',
    '($triple := function($x) { $x * 3 }; $triple(amount))',
    '(function($f) { $f(amount) })($string)',
    '($obj := {"half": function($x) { $x / 2 }}; $obj.half(10))',
    '($obj := {"half": function($x) { $x / 2 }}; $obj.(half(10)))',
    '$map(lines, function($line, $i) { $line.qty * $i })',
    '$map([$uppercase], function($f) { $f(tier) })',
    'tier ~> $substring(0, 2) ~> $uppercase()',
    '($trimmed := $trim ~> $uppercase; $trimmed(tier))',
    '(function($x) { $x + 1 })(amount)',
    'lines@$l.($l.qty)',
  ])('%s: not reported, and it runs', async (expression) => {
    expect(badCalls(expression)).toEqual([]);
    expect(String(await outcome(expression, CONTEXT))).not.toMatch(/^error/);
  });

  it('an expression that does not compile has no calls to report', () => {
    expect(badCalls('NOT(')).toEqual([]);
  });
});
