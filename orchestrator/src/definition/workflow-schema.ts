import { z } from 'zod';
import { parseDuration } from './duration';
import { isReservedNodeName, reservedNodeNames } from './reserved-node-names';

/** Names of nodes: also LangGraph node names, so never `__start__`/`__end__`-like. */
export const NODE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const NODE_NAME_MAX_LENGTH = 100;
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** `domain#operation`; the domain names an SQS queue, so it keeps to queue-name characters. */
export const ASYNC_CAPABILITY_PATTERN = /^[a-z][a-z0-9-]{0,23}#[A-Za-z0-9_.-]{1,80}$/;
export const SYNC_CAPABILITY_PATTERN = /^[a-z][a-z0-9-]{0,79}$/;
export const CONTEXT_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTEXT_KEY_MAX_LENGTH = 128;
/** Why `__proto__` is no key of a context (nor of any map in a definition). */
export const PROTO_KEY_PROBLEM =
  "it names an object's prototype in JavaScript, so the key would vanish; rename it";

const atMost = (n: number) => ({ error: `must be at most ${n} characters` });

export const NODE_TYPES = [
  'async_request',
  'sync_call',
  'choice',
  'parallel',
  'set',
  'wait',
  'sub_workflow',
  'map',
  'end',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const nodeRef = z
  .string({ error: 'must be the name of a node' })
  .max(NODE_NAME_MAX_LENGTH, atMost(NODE_NAME_MAX_LENGTH))
  .regex(NODE_NAME_PATTERN, {
    error: 'must be a node name (an ASCII letter, then ASCII letters, digits, _ or -)',
  })
  .meta({ description: 'Name of a node of this workflow.' });

const contextKey = z
  .string({ error: 'must be a context key' })
  .max(CONTEXT_KEY_MAX_LENGTH, atMost(CONTEXT_KEY_MAX_LENGTH))
  .regex(CONTEXT_KEY_PATTERN, {
    error: 'must be a context key (an ASCII letter or _, then ASCII letters, digits or _)',
  })
  // An object's `__proto__` is its prototype, not a key it holds: such a key would vanish from a context.
  .refine((key) => key !== '__proto__', { error: PROTO_KEY_PROBLEM })
  .meta({ not: { const: '__proto__' } });

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
      error:
        "must be a capability id of the form domain#operation (domain: a lower-case ASCII letter, then up to 23 lower-case ASCII letters, digits or -; operation: 1 to 80 ASCII letters, digits, _, . or -), e.g. 'import#enrichment'",
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
      error:
        "must be the id of a synchronous capability (a lower-case ASCII letter, then up to 79 lower-case ASCII letters, digits or -), e.g. 'core-process-response'",
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

/** The definition a child instance (of a sub_workflow, of a map's item) runs. */
const childWorkflowId = z
  .string({ error: 'must be the workflow_id of another definition' })
  .regex(WORKFLOW_ID_PATTERN, { error: 'may contain only letters, digits, _, . and -' })
  .max(128, atMost(128));
const childDefinitionKey = z
  .string({ error: 'must be the key of a definition in the definitions bucket' })
  .min(1, { error: 'must not be empty' })
  .max(1024, atMost(1024))
  .optional();

export const subWorkflowNodeSchema = z
  .strictObject({
    type: z.literal('sub_workflow'),
    title,
    max_visits: maxVisits,
    workflow_id: childWorkflowId.meta({
      description: "The child's workflow_id: the definition it runs (pinned when the child starts).",
    }),
    definition_key: childDefinitionKey.meta({
      description: "Where the child's definition is; default <workflow_id>.yaml.",
    }),
    input_keys: contextKeys
      .optional()
      .meta({ description: "Context keys that make the child's start context; default all." }),
    input: inputMapping.meta({
      description:
        "The child's start context: a JSONata expression over the context that builds an object (instead of input_keys).",
    }),
    result: resultMapping.meta({
      description:
        "Context keys to set from the child's output (its end node's output_keys), each a JSONata expression over that output; default: the output merged as it is.",
    }),
    next: nodeRef.meta({ description: 'Where to go when the child SUCCEEDED.' }),
    on_failure: nodeRef
      .optional()
      .meta({ description: 'When the child FAILED, was cancelled, or could not start; default: fail.' }),
    timeout: durationSchema
      .optional()
      .meta({ description: 'How long to wait for the child; it is cancelled then.' }),
    on_timeout: nodeRef.optional().meta({ description: 'Where to go when the timeout elapses.' }),
  })
  .meta({
    description:
      'Starts a child instance of another definition, waits for its end and maps its output; cancelling or failing the parent cancels the child.',
  });

/** Most items one map may run (its item's request ids encode the index beside the visit). */
export const MAP_MAX_ITEMS = 10_000;
export const MAP_MAX_CONCURRENCY = 1000;

export const mapNodeSchema = z
  .strictObject({
    type: z.literal('map'),
    title,
    max_visits: maxVisits,
    items: expression.meta({
      description: `A JSONata expression over the context giving the list to map over (at most ${MAP_MAX_ITEMS} items).`,
    }),
    workflow_id: childWorkflowId.meta({
      description: 'The definition each item runs as a child instance of (pinned when the child starts).',
    }),
    definition_key: childDefinitionKey.meta({
      description: "Where the items' definition is; default <workflow_id>.yaml.",
    }),
    input_keys: contextKeys
      .optional()
      .meta({ description: "Context keys every item's child also starts with; default none." }),
    item_key: contextKey
      .optional()
      .meta({ description: "The child's context key holding its item; default item." }),
    index_key: contextKey
      .optional()
      .meta({ description: "The child's context key holding its item's index (from 0); default index." }),
    max_concurrency: z
      .int({ error: `must be a whole number from 1 to ${MAP_MAX_CONCURRENCY}` })
      .min(1, { error: `must be a whole number from 1 to ${MAP_MAX_CONCURRENCY}` })
      .max(MAP_MAX_CONCURRENCY, { error: `must be a whole number from 1 to ${MAP_MAX_CONCURRENCY}` })
      .optional()
      .meta({ description: 'How many items run at once; default 10.' }),
    tolerated_failures: z
      .int({ error: 'must be a whole number, 0 or more' })
      .min(0, { error: 'must be a whole number, 0 or more' })
      .optional()
      .meta({
        description: 'How many items may fail before the map fails; default 0 (the first failure fails it).',
      }),
    tolerated_failure_percent: z
      .number({ error: 'must be a number from 0 to 100' })
      .min(0, { error: 'must be a number from 0 to 100' })
      .max(100, { error: 'must be a number from 0 to 100' })
      .optional()
      .meta({
        description: 'The share of items (percent of all) that may fail; the map fails past either bound.',
      }),
    output_key: contextKey.meta({
      description:
        "The context key that gets every item's output in item order (null for an item that failed).",
    }),
    next: nodeRef.meta({
      description: 'Where to go when every item has ended within the tolerated failures.',
    }),
    on_failure: nodeRef
      .optional()
      .meta({ description: 'When more items failed than tolerated, or items is no list; default: fail.' }),
  })
  .meta({
    description:
      'Runs a child instance of a definition for each item of a list, at most max_concurrency at once, and collects their outputs in order.',
  });

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
  subWorkflowNodeSchema,
  mapNodeSchema,
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
        z
          .string()
          .max(NODE_NAME_MAX_LENGTH)
          .regex(NODE_NAME_PATTERN)
          .refine((name) => !isReservedNodeName(name))
          // Editors reading the JSON Schema flag these names too.
          .meta({ not: { enum: reservedNodeNames() } }),
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
export type SubWorkflowNode = z.infer<typeof subWorkflowNodeSchema>;
export type MapNode = z.infer<typeof mapNodeSchema>;
export type RetryPolicy = z.infer<typeof retrySchema>;
