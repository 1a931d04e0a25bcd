import jsonata from 'jsonata';
import { z } from 'zod';
import { operatorHint } from '../definition/expression-hints';
import { badCallsIn } from '../definition/expression-calls';
import { EXPRESSION_CODE_PARAM, EXPRESSION_INDEX_PARAM } from '../definition/schema-diagnostics';
import { EXPRESSION_MAX_LENGTH } from '../definition/workflow-schema';

/**
 * A parameter that is a JSONata expression over the context, for capability schemas: `wf validate` checks
 * that it compiles and points at the character where it stops, and at each call of what is no function
 * (`NOT(x)`, `$undefinedFn(x)`), with the same messages and hints as the definition's own expressions. The capability evaluates it with `call.evaluate`.
 */
export const expressionParameter = z
  .string({ error: 'must be a JSONata expression' })
  .min(1, { error: 'must be a JSONata expression' })
  .max(EXPRESSION_MAX_LENGTH, { error: `must be at most ${EXPRESSION_MAX_LENGTH} characters` })
  .superRefine((text, ctx) => {
    try {
      for (const call of badCallsIn(text, jsonata(text).ast())) {
        ctx.addIssue({
          code: 'custom',
          message: `the JSONata expression ${call.message}`,
          params: { [EXPRESSION_INDEX_PARAM]: call.index, [EXPRESSION_CODE_PARAM]: 'not-a-function' },
        });
      }
    } catch (error) {
      const { message, position } = error as { message?: unknown; position?: unknown };
      const hint = operatorHint(text);
      ctx.addIssue({
        code: 'custom',
        message: `the JSONata expression does not compile: ${typeof message === 'string' ? message : String(error)}${hint === undefined ? '' : `; ${hint}`}`,
        // JSONata's position is just past the character it stopped at.
        params: { [EXPRESSION_INDEX_PARAM]: Math.max(0, (typeof position === 'number' ? position : 1) - 1) },
      });
    }
  });
