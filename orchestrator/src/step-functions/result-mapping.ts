import { DEFAULT_EXPRESSION_LIMITS, evaluateValue, ExpressionError } from '../graph/expression';
import type { Context } from '../graph/workflow-state';
import { RESULT_MAPPING_FAILED, StepError } from './step-error';

/**
 * A step's `result` mapping as the engine applies it: each expression over the step's whole outputs (a
 * reply's, a sync call's result, a child's output); one that selects nothing sets nothing. One that fails
 * throws RESULT_MAPPING_FAILED (never retried, to `on_failure`), the evaluator's code in the cause.
 */
export async function mappedResult(
  node: string,
  result: Readonly<Record<string, string>>,
  outputs: Readonly<Record<string, unknown>>,
): Promise<Context> {
  const mapped: Context = {};
  try {
    for (const [key, expression] of Object.entries(result)) {
      const value = await evaluateValue(expression, outputs, DEFAULT_EXPRESSION_LIMITS);
      if (value !== undefined) mapped[key] = value;
    }
  } catch (thrown) {
    const code = thrown instanceof ExpressionError ? thrown.code : 'EXPRESSION_FAILED';
    throw new StepError(
      { code, message: `result: ${(thrown as Error).message}`, node },
      RESULT_MAPPING_FAILED,
    );
  }
  return mapped;
}
