import jsonata from 'jsonata';
import type { Clock } from './engine-dependencies';
import { LinearRegExp } from './linear-regexp';

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly code: 'EXPRESSION_TIMEOUT' | 'EXPRESSION_FAILED',
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export interface ExpressionLimits {
  readonly timeoutMs: number;
  /** Deepest evaluator recursion, which bounds the stack a recursive user function can use. */
  readonly maxDepth: number;
  /** Longest sequence an expression may build, which bounds memory (`[1..100000000]`). */
  readonly maxSequence: number;
}

/** JSONata's own formatting of an instant, for `$now()` on the engine's clock. */
const FROM_MILLIS = jsonata('$fromMillis($millis, $picture, $timezone)');

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  timeoutMs: 1000,
  maxDepth: 300,
  maxSequence: 100_000,
};

/**
 * Evaluates a JSONata condition over the context with JSONata's own guardrails (time, stack depth,
 * sequence length), so a runaway expression cannot stall or exhaust the orchestrator. Only `true` is true.
 */
export async function evaluateCondition(
  expression: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
  clock?: Clock,
): Promise<boolean> {
  return (await evaluateExpression(expression, input, limits, clock)) === true;
}

/**
 * Evaluates a JSONata expression over the context with the same guardrails, to a plain JSON value:
 * `undefined` when it selects nothing (a missing key), never a JSONata sequence or function.
 */
export async function evaluateValue(
  expression: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
  clock?: Clock,
): Promise<unknown> {
  const result = await evaluateExpression(expression, input, limits, clock);
  if (result === undefined) return undefined;
  if (typeof result === 'function') {
    throw new ExpressionError('expression failed: its value is a function, not data', 'EXPRESSION_FAILED');
  }
  const text = JSON.stringify(result);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/**
 * @param clock the engine's clock, which `$now()` and `$millis()` read instead of the wall clock (as
 *   JSONata's own do, one instant for the whole evaluation): in a simulation (`wf run --memory`) time is
 *   simulated, and a `wait` `until: $now() + ...` after a simulated two-hour wait must start from then.
 */
async function evaluateExpression(
  expression: string,
  input: unknown,
  limits: ExpressionLimits,
  clock?: Clock,
): Promise<unknown> {
  try {
    const compiled = jsonata(expression, {
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
      sequence: limits.maxSequence,
      RegexEngine: LinearRegExp as unknown as RegExpConstructor,
    });
    if (clock) {
      const millis = clock.now().getTime();
      compiled.registerFunction('millis', () => millis, '<:n>');
      compiled.registerFunction(
        'now',
        (picture?: string, timezone?: string) =>
          FROM_MILLIS.evaluate({}, { millis, picture, timezone }) as Promise<string>,
        '<s?s?:s>',
      );
    }
    return (await compiled.evaluate(input)) as unknown;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'D1012') {
      throw new ExpressionError(`expression took longer than ${limits.timeoutMs} ms`, 'EXPRESSION_TIMEOUT');
    }
    throw new ExpressionError(
      `expression failed: ${e.message ?? e.code ?? String(error)}`,
      'EXPRESSION_FAILED',
    );
  }
}
