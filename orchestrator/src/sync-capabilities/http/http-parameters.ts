import { z } from 'zod';
import { parseDuration } from '../../definition/duration';
import { expressionParameter as expression } from '../expression-parameter';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The default and the bound of one attempt (the orchestrator Lambda runs 60 s and a batch shares it). */
export const HTTP_DEFAULT_TIMEOUT = '10s';
export const HTTP_MAX_TIMEOUT_MS = 30_000;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

// Each message once: the orchestrator bundle is kept under 1.5 MB, and the minifier repeats strings.
// (No `.meta` descriptions either: `with` is a free map in the JSON Schema; docs/sync-capabilities.md says it all.)
const STATUS = { error: 'must be an HTTP status from 100 to 599' };
const TEXT = { error: 'must be text' };
const SECRET = { error: 'must be the name or ARN of a Secrets Manager secret' };
const atMost = (n: number) => ({ error: `must be at most ${n} characters` });

/**
 * A header value read from a secret: its whole text (SecretString), or the text under `key` of its JSON,
 * after `prefix` (e.g. 'Bearer ').
 */
export const secretHeaderSchema = z.strictObject({
  secret: z.string(SECRET).min(1, SECRET).max(2048, atMost(2048)),
  key: z.string(TEXT).min(1, { error: 'must not be empty' }).max(256, atMost(256)).optional(),
  prefix: z.string(TEXT).max(100, atMost(100)).optional(),
});

/**
 * The `with` of a sync_call to `http`. `url`, `query` values, text `headers` values and `body` are JSONata
 * expressions over the context; `body` text is sent as it is, anything else as JSON; `success_statuses`
 * default to 200-299; a list in `query` repeats the name.
 */
export const httpParameters = z
  .strictObject({
    method: z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }).default('GET'),
    url: expression,
    query: z
      .record(z.string().min(1).max(256), expression, {
        error: 'must be a map of names to JSONata expressions',
      })
      .optional(),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { error: 'must be an HTTP header name' }),
        z.union([expression, secretHeaderSchema], {
          error: 'must be a JSONata expression or a map { secret, key, prefix }',
        }),
        { error: 'must be a map of header names to values' },
      )
      .optional(),
    body: expression.optional(),
    timeout: z
      .string(TEXT)
      .refine((text) => (parseDuration(text) ?? Infinity) <= HTTP_MAX_TIMEOUT_MS, {
        error: `must be a duration of at most ${HTTP_MAX_TIMEOUT_MS / 1000}s, such as 5s or 500ms`,
      })
      .default(HTTP_DEFAULT_TIMEOUT),
    success_statuses: z
      .array(z.int(STATUS).min(100, STATUS).max(599, STATUS), { error: 'must be a list of HTTP statuses' })
      .min(1, { error: 'must list at least one status' })
      .optional(),
  })
  .superRefine((params, ctx) => {
    if (params.body !== undefined && (params.method === 'GET' || params.method === 'HEAD')) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${params.method} request has no body` });
    }
  });

export type HttpParameters = z.output<typeof httpParameters>;
