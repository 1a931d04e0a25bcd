import { z } from 'zod';
import { parseDuration } from './duration';

/** Names of nodes: also LangGraph node names, so never `__start__`/`__end__`-like. */
export const NODE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const NODE_NAME_MAX_LENGTH = 100;
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** `domain#operation`; the domain names an SQS queue, so it keeps to queue-name characters. */
export const ASYNC_CAPABILITY_PATTERN = /^[a-z][a-z0-9-]{0,23}#[A-Za-z0-9_.-]{1,80}$/;
export const SYNC_CAPABILITY_PATTERN = /^[a-z][a-z0-9-]{0,79}$/;
export const CONTEXT_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTEXT_KEY_MAX_LENGTH = 128;

const atMost = (n: number) => ({ error: `must be at most ${n} characters` });

export const NODE_TYPES = ['async_request', 'sync_call', 'choice', 'parallel', 'set', 'wait', 'end'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const nodeRef = z
  .string({ error: 'must be the name of a node' })
  .max(NODE_NAME_MAX_LENGTH, atMost(NODE_NAME_MAX_LENGTH))
  .regex(NODE_NAME_PATTERN, { error: 'must be a node name (a letter, then letters, digits, _ or -)' })
  .meta({ description: 'Name of a node of this workflow.' });

const contextKey = z
  .string({ error: 'must be a context key' })
  .max(CONTEXT_KEY_MAX_LENGTH, atMost(CONTEXT_KEY_MAX_LENGTH))
  .regex(CONTEXT_KEY_PATTERN, { error: 'must be a context key (a letter or _, then letters, digits or _)' });

const contextKeys = z.array(contextKey, { error: 'must be a list of context keys' });

export const durationSchema = z
  .string({ error: 'must be a duration such as 30s, 15m, 2h, 7d or PT1H30M' })
  .refine((text) => parseDuration(text) !== undefined, {
    error: 'must be a duration such as 30s, 15m, 2h, 7d or PT1H30M, greater than zero and at most a year',
  })
  .meta({ description: 'A duration: 500ms, 30s, 15m, 2h, 7d, or ISO-8601 such as PT1H30M.' });

const title = z
  .string({ error: 'must be text' })
  .max(200, atMost(200))
  .optional()
  .meta({ description: 'Display title.' });

/** The default bound on how many times one node may run in one instance (a loop that never exits). */
export const DEFAULT_MAX_VISITS = 100;
export const MAX_VISITS_LIMIT = 10_000;

const maxVisits = z
  .int({ error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
  .min(1, { error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
  .max(MAX_VISITS_LIMIT, { error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
  .optional()
  .meta({
    description:
      "How many times this node may run in one instance; one more fails the workflow with MAX_VISITS_EXCEEDED. Default: the workflow's max_visits.",
  });

/**
 * A retry policy. Every wait between attempts is a durable timer (the invocation ends), so intervals of
 * days are fine.
 */
export const retrySchema = z.strictObject({
  max_attempts: z
    .int({ error: 'must be a whole number from 1 to 10' })
    .min(1, { error: 'must be a whole number from 1 to 10' })
    .max(10, { error: 'must be a whole number from 1 to 10' }),
  interval: durationSchema.optional(),
  backoff_rate: z
    .number({ error: 'must be a number from 1 to 10' })
    .min(1, { error: 'must be a number from 1 to 10' })
    .max(10, { error: 'must be a number from 1 to 10' })
    .optional(),
});

/** Longest JSONata expression (a `when`, a `set` value, a mapping), in characters. */
export const EXPRESSION_MAX_LENGTH = 4096;

const expression = z
  .string({ error: 'must be a JSONata expression' })
  .min(1, { error: 'must be a JSONata expression' })
  .max(EXPRESSION_MAX_LENGTH, atMost(EXPRESSION_MAX_LENGTH));

/** A request's input built by a JSONata expression over the context (instead of `input_keys`). */
const inputMapping = expression.optional().meta({
  description:
    'The request\'s input: a JSONata expression over the context that builds an object, e.g. \'{"id": shipmentId, "lines": order.lines}\' (instead of input_keys).',
});

/** Where a step's outputs go in the context, each a JSONata expression over the outputs. */
const resultMapping = z
  .record(contextKey, expression, { error: 'must be a map of context keys to JSONata expressions' })
  .refine((values) => Object.keys(values).length > 0, { error: 'must map at least one key' })
  .optional()
  .meta({
    description:
      'Context keys to set from the outputs, each a JSONata expression over the outputs (instead of merging the outputs as they are).',
  });

export const asyncRequestNodeSchema = z
  .strictObject({
    type: z.literal('async_request'),
    title,
    max_visits: maxVisits,
    capability_id: z.string({ error: 'must be a capability id' }).regex(ASYNC_CAPABILITY_PATTERN, {
      error: "must be a capability id of the form domain#operation, e.g. 'import#enrichment'",
    }),
    input_keys: contextKeys.optional().meta({ description: 'Context keys sent; default all.' }),
    input: inputMapping,
    request_output_keys: contextKeys.optional().meta({ description: 'Keys a successful reply must carry.' }),
    result: resultMapping,
    on_response: nodeRef,
    on_failure: nodeRef.optional().meta({ description: 'When the reply is a FAILURE; default: fail.' }),
    timeout: durationSchema.optional(),
    on_timeout: nodeRef.optional().meta({ description: 'Where to go when the timeout elapses.' }),
    retry: retrySchema
      .optional()
      .meta({ description: 'Sends the request again (with a new request id) after a FAILURE reply.' }),
  })
  .meta({ description: 'Sends a request to a capability queue and waits for its reply.' });

export const syncCallNodeSchema = z
  .strictObject({
    type: z.literal('sync_call'),
    title,
    max_visits: maxVisits,
    capability_id: z.string({ error: 'must be a capability id' }).regex(SYNC_CAPABILITY_PATTERN, {
      error: "must be the id of a synchronous capability, e.g. 'core-process-response'",
    }),
    // Each capability's own schema checks the entries (semantic-checks.ts); here only that it is a map.
    with: z
      .record(z.string(), z.unknown(), { error: "must be a map of the capability's parameters" })
      .optional()
      .meta({
        description: "The capability's parameters, checked against its schema (docs/sync-capabilities.md).",
      }),
    output_keys: contextKeys.optional(),
    result: resultMapping,
    on_success: nodeRef,
    on_failure: nodeRef
      .optional()
      .meta({ description: 'When the call fails after its retries; default: fail.' }),
    retry: retrySchema.optional(),
  })
  .meta({ description: 'Runs a synchronous capability inside the orchestrator.' });

export const choiceEntrySchema = z.strictObject({
  when: z
    .string({ error: 'must be a JSONata expression' })
    .min(1, { error: 'must be a JSONata expression' })
    .max(EXPRESSION_MAX_LENGTH, atMost(EXPRESSION_MAX_LENGTH)),
  next: nodeRef,
});

export const choiceNodeSchema = z
  .strictObject({
    type: z.literal('choice'),
    title,
    max_visits: maxVisits,
    choices: z
      .array(choiceEntrySchema, { error: 'must be a list of { when, next } entries' })
      .min(1, { error: 'must list at least one choice' }),
    default: nodeRef,
  })
  .meta({ description: 'Routes on the first JSONata expression over the context that is true.' });

export const parallelNodeSchema = z
  .strictObject({
    type: z.literal('parallel'),
    title,
    branches: z
      .array(nodeRef, { error: 'must be a list of node names' })
      .min(1, { error: 'must list at least one branch' }),
    join: nodeRef,
    on_failure: nodeRef.optional().meta({ description: 'When a branch fails; default: fail.' }),
  })
  .meta({ description: 'Runs branches concurrently; the join node runs once, after all of them.' });

/** Most keys one `set` node may compute. */
export const SET_VALUES_MAX = 100;

export const setNodeSchema = z
  .strictObject({
    type: z.literal('set'),
    title,
    max_visits: maxVisits,
    values: z
      .record(
        contextKey,
        z
          .string({ error: 'must be a JSONata expression' })
          .min(1, { error: 'must be a JSONata expression' })
          .max(EXPRESSION_MAX_LENGTH, atMost(EXPRESSION_MAX_LENGTH)),
        { error: 'must be a map of context keys to JSONata expressions' },
      )
      .refine((values) => Object.keys(values).length > 0, { error: 'must set at least one key' })
      .refine((values) => Object.keys(values).length <= SET_VALUES_MAX, {
        error: `must set at most ${SET_VALUES_MAX} keys`,
      })
      .meta({
        description:
          'Context keys to compute: each a JSONata expression over the context as it was before this step.',
      }),
    next: nodeRef,
    on_failure: nodeRef
      .optional()
      .meta({ description: 'When an expression fails or runs over its limits; default: fail.' }),
  })
  .meta({ description: 'Computes context keys with JSONata expressions (no capability call).' });

export const waitNodeSchema = z
  .strictObject({
    type: z.literal('wait'),
    title,
    max_visits: maxVisits,
    duration: durationSchema.optional().meta({ description: 'How long to wait (give this or until).' }),
    until: z
      .string({ error: 'must be a JSONata expression' })
      .min(1, { error: 'must be a JSONata expression' })
      .max(EXPRESSION_MAX_LENGTH, atMost(EXPRESSION_MAX_LENGTH))
      .optional()
      .meta({
        description:
          'A JSONata expression over the context giving the time to wait until: ISO-8601 text with a time zone, or epoch milliseconds (give this or duration).',
      }),
    next: nodeRef,
    on_failure: nodeRef
      .optional()
      .meta({ description: 'When until gives no valid time (or fails); default: fail.' }),
  })
  .meta({ description: 'Waits for a duration or until a time from the context, on a durable timer.' });

export const endNodeSchema = z
  .strictObject({
    type: z.literal('end'),
    title,
    status: z.enum(['SUCCEEDED', 'FAILED'], { error: 'must be SUCCEEDED or FAILED' }).optional(),
    output_keys: contextKeys.optional(),
  })
  .meta({ description: 'Ends the workflow.' });

export const nodeSchema = z.discriminatedUnion('type', [
  asyncRequestNodeSchema,
  syncCallNodeSchema,
  choiceNodeSchema,
  parallelNodeSchema,
  setNodeSchema,
  waitNodeSchema,
  endNodeSchema,
]);

export const workflowDefinitionSchema = z
  .strictObject({
    workflow_name: z
      .string({ error: 'must be text' })
      .min(1, { error: 'must not be empty' })
      .max(200, atMost(200)),
    workflow_id: z
      .string({ error: 'must be text' })
      .regex(WORKFLOW_ID_PATTERN, { error: 'may contain only letters, digits, _, . and -' })
      .max(128, atMost(128)),
    version: z.union([z.string(), z.number()], { error: 'must be text or a number' }).optional(),
    entry_point: nodeRef,
    initial_context: contextKeys.optional().meta({ description: 'Keys required in the start context.' }),
    max_visits: z
      .int({ error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
      .min(1, { error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
      .max(MAX_VISITS_LIMIT, { error: `must be a whole number from 1 to ${MAX_VISITS_LIMIT}` })
      .optional()
      .meta({
        description: `How many times any one node may run in one instance, unless the node says otherwise; default ${DEFAULT_MAX_VISITS}.`,
      }),
    loggable_keys: contextKeys.optional().meta({
      description:
        "Context keys whose values may appear in the orchestrator's logs. Default none: logs carry the keys and sizes of contexts, inputs and outputs, never their values.",
    }),
    nodes: z
      .record(
        // Checked again, with plain messages and with the node's own fields, in schema-diagnostics.ts.
        z.string().max(NODE_NAME_MAX_LENGTH).regex(NODE_NAME_PATTERN),
        nodeSchema,
        { error: 'must be a map of node name to node' },
      )
      .refine((nodes) => Object.keys(nodes).length > 0, { error: 'must define at least one node' }),
  })
  .meta({ title: 'Workflow definition', description: 'A workflow of the CCH workflow engine (v1).' });

export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;
export type WorkflowNode = z.infer<typeof nodeSchema>;
export type AsyncRequestNode = z.infer<typeof asyncRequestNodeSchema>;
export type SyncCallNode = z.infer<typeof syncCallNodeSchema>;
export type ChoiceNode = z.infer<typeof choiceNodeSchema>;
export type ParallelNode = z.infer<typeof parallelNodeSchema>;
export type EndNode = z.infer<typeof endNodeSchema>;
export type SetNode = z.infer<typeof setNodeSchema>;
export type WaitNode = z.infer<typeof waitNodeSchema>;
export type RetryPolicy = z.infer<typeof retrySchema>;
