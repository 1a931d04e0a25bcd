import type { Clock } from './engine-dependencies';
import { evaluateValue, ExpressionError, type ExpressionLimits } from './expression';
import type { Context, WorkflowError } from './workflow-state';

/**
 * A request's (or a child's) input: its `input` expression's object (anything else is INVALID_INPUT; a
 * failing expression keeps its code), or the `input_keys` of the context (default all). Step Functions
 * mode's Lambdas build it with this same function.
 */
export async function requestInput(
  name: string,
  node: { readonly input?: string; readonly input_keys?: readonly string[] },
  context: Context,
  limits: ExpressionLimits | undefined,
  clock?: Clock,
): Promise<{ input: Context } | { error: WorkflowError }> {
  if (node.input === undefined) return { input: pick(context, node.input_keys) };
  try {
    const value = await evaluateValue(node.input, context, limits, clock);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return { input: value as Context };
    const shown = value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 80);
    return {
      error: { code: 'INVALID_INPUT', message: `input gave ${shown}, not an object`, node: name },
    };
  } catch (error) {
    const code = error instanceof ExpressionError ? error.code : 'EXPRESSION_FAILED';
    return { error: { code, message: `input: ${(error as Error).message}`, node: name } };
  }
}

/** The context's `keys` (default all), as a request's or a child's input takes them. */
export function pick(context: Context, keys: readonly string[] | undefined): Context {
  if (keys === undefined) return { ...context };
  return Object.fromEntries(keys.filter((k) => k in context).map((k) => [k, context[k]]));
}
