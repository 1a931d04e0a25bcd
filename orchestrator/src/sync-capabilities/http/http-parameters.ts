import { z } from 'zod';
import { parseDuration } from '../../definition/duration';
import { expressionParameter as expression } from '../expression-parameter';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The default and the bound of one attempt (the orchestrator Lambda runs 60 s and a batch shares it). */
export const HTTP_DEFAULT_TIMEOUT = '10s';
export const HTTP_MAX_TIMEOUT_MS = 30_000;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/** A header value read from a secret: its whole text, or one key of its JSON, after an optional prefix. */
export const secretHeaderSchema = z
  .strictObject({
    secret: z
      .string({ error: 'must be the name or ARN of a Secrets Manager secret' })
      .min(1, { error: 'must be the name or ARN of a Secrets Manager secret' })
      .max(2048, { error: 'must be at most 2048 characters' }),
    key: z
      .string({ error: "must be a key of the secret's JSON" })
      .min(1, { error: 'must not be empty' })
      .max(256, { error: 'must be at most 256 characters' })
      .optional()
      .meta({ description: "A key of the secret's JSON value; default: the whole value." }),
    prefix: z
      .string({ error: 'must be text' })
      .max(100, { error: 'must be at most 100 characters' })
      .optional()
      .meta({ description: "Text before the secret, e.g. 'Bearer '." }),
  })
  .meta({ description: 'A header value read from AWS Secrets Manager (cached for a minute).' });

/** The `with` of a sync_call to `http`. */
export const httpParameters = z
  .strictObject({
    method: z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }).default('GET'),
    url: expression.meta({
      description:
        'A JSONata expression giving an http(s) URL, e.g. "\'https://api.example.com/rates/\' & currency".',
    }),
    query: z
      .record(z.string().min(1).max(256), expression, {
        error: 'must be a map of query parameter names to JSONata expressions',
      })
      .optional()
      .meta({
        description: 'Query parameters, each a JSONata expression (a list gives the name repeatedly).',
      }),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { error: 'must be an HTTP header name' }),
        z.union([expression, secretHeaderSchema], {
          error: 'must be a JSONata expression or a map { secret, key, prefix }',
        }),
        { error: 'must be a map of header names to values' },
      )
      .optional()
      .meta({ description: 'Request headers: a JSONata expression each, or { secret, key, prefix }.' }),
    body: expression
      .optional()
      .meta({ description: 'A JSONata expression: text is sent as it is, anything else as JSON.' }),
    timeout: z
      .string({ error: 'must be a duration such as 5s or 500ms' })
      .refine(
        (text) => {
          const ms = parseDuration(text);
          return ms !== undefined && ms <= HTTP_MAX_TIMEOUT_MS;
        },
        { error: `must be a duration of at most ${HTTP_MAX_TIMEOUT_MS / 1000}s, such as 5s or 500ms` },
      )
      .default(HTTP_DEFAULT_TIMEOUT)
      .meta({
        description: `How long one attempt may take, body included; default ${HTTP_DEFAULT_TIMEOUT}.`,
      }),
    success_statuses: z
      .array(
        z
          .int({ error: 'must be an HTTP status from 100 to 599' })
          .min(100, { error: 'must be an HTTP status from 100 to 599' })
          .max(599, { error: 'must be an HTTP status from 100 to 599' }),
        { error: 'must be a list of HTTP statuses' },
      )
      .min(1, { error: 'must list at least one status' })
      .optional()
      .meta({ description: 'The statuses that count as success; default 200 to 299.' }),
  })
  .superRefine((params, ctx) => {
    if (params.body !== undefined && (params.method === 'GET' || params.method === 'HEAD')) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${params.method} request has no body` });
    }
  });

export type HttpParameters = z.output<typeof httpParameters>;
