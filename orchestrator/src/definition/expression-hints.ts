/**
 * Hints for operators authors bring from other languages into a JSONata `when` (JSONata's own messages
 * name the symbol it choked on, not what was meant: `==` gives "The symbol = cannot be used as a unary
 * operator").
 */
const HINTS: readonly { readonly pattern: RegExp; readonly hint: string }[] = [
  { pattern: /={2,}/, hint: "JSONata compares with a single '=' (amount = 5), not '=='" },
  { pattern: /&&/, hint: "JSONata's logical and is 'and' ('&' joins text)" },
  { pattern: /\|\|/, hint: "JSONata's logical or is 'or'" },
  { pattern: /!(?!=)/, hint: "JSONata negates with $not(...), e.g. $not(approved); '!=' is 'not equal'" },
  { pattern: /\b(?:AND|OR|And|Or)\b/, hint: "JSONata's operators are lowercase: 'and', 'or'" },
];

/** The hint for the first foreign operator in `expression` (outside quoted text), if any. */
export function operatorHint(expression: string): string | undefined {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return HINTS.find(({ pattern }) => pattern.test(code))?.hint;
}
