import { z } from 'zod';
import { ASYNC_CAPABILITY_PATTERN, WORKFLOW_ID_PATTERN } from '../definition/workflow-schema';

/** Instance ids become DynamoDB keys and log fields: bounded, printable, no separators we use in keys. */
export const instanceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'must be 1-128 letters, digits, _, ., : or -' });

const context = z.record(z.string(), z.unknown());

export { MAX_SUB_WORKFLOW_DEPTH } from '../definition/limits';

/** The parent of a child instance: the instance and the wait (its sub_workflow step) its end answers. */
export const parentLinkSchema = z.strictObject({
  instance_id: instanceIdSchema,
  request_id: z.string().min(1).max(512),
  node: z.string().min(1).max(100),
  /** 1 for a child of a top-level instance; each level adds one. */
  depth: z.int().min(1).max(1000),
});

export const startWorkflowSchema = z
  .strictObject({
    type: z.literal('START_WORKFLOW'),
    workflow_id: z.string().regex(WORKFLOW_ID_PATTERN).max(128),
    definition_key: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .meta({ description: 'Default: <workflow_id>.yaml' }),
    instance_id: instanceIdSchema.optional().meta({ description: 'Default: a new UUID.' }),
    context: context.default({}),
    parent: parentLinkSchema.optional().meta({
      description:
        "Set by the orchestrator when a sub_workflow step starts this instance: its end answers the parent's wait.",
    }),
  })
  .meta({ title: 'START_WORKFLOW', description: 'Starts a workflow instance.' });

export const cancelWorkflowSchema = z
  .strictObject({
    type: z.literal('CANCEL_WORKFLOW'),
    instance_id: instanceIdSchema,
    reason: z.string().max(1000).optional(),
    parent: parentLinkSchema.pick({ instance_id: true, request_id: true }).optional().meta({
      description:
        "Set by the orchestrator when it cancels the child of a sub_workflow or map step: only the instance that parent's wait started is cancelled (an instance of that id started otherwise is left running), and the message always goes to the engine, which runs every child.",
    }),
  })
  .meta({ title: 'CANCEL_WORKFLOW', description: 'Cancels a running or waiting instance.' });

export const timerFiredSchema = z
  .strictObject({
    type: z.literal('TIMER_FIRED'),
    instance_id: instanceIdSchema,
    request_id: z.string().min(1).max(512),
    fire_at: z.iso.datetime(),
  })
  .meta({ title: 'TIMER_FIRED', description: 'A wait deadline, delivered by the timer scheduler.' });

export const redriveWorkflowSchema = z
  .strictObject({
    type: z.literal('REDRIVE_WORKFLOW'),
    instance_id: instanceIdSchema,
    redrive_id: instanceIdSchema.optional().meta({
      description:
        'Names this redrive: a second REDRIVE_WORKFLOW with an id the instance already applied is acknowledged and ignored. Default: derived from the queue message id.',
    }),
    reason: z.string().max(1000).optional().meta({ description: 'Why; recorded in the history.' }),
    by: z
      .string()
      .max(200)
      .optional()
      .meta({ description: 'Who asked (an operator, a tool); recorded in the history.' }),
  })
  .meta({
    title: 'REDRIVE_WORKFLOW',
    description:
      'Re-runs a FAILED instance from the step that failed, under the same instance id: completed steps are not run again, the history is kept and records the redrive.',
  });

export const commandMessageSchema = z.discriminatedUnion('type', [
  startWorkflowSchema,
  cancelWorkflowSchema,
  redriveWorkflowSchema,
  timerFiredSchema,
]);

export const asyncRequestMessageSchema = z
  .strictObject({
    type: z.literal('ASYNC_REQ'),
    instance_id: instanceIdSchema,
    workflow_id: z.string(),
    node: z.string(),
    request_id: z.string().min(1).max(512),
    capability_id: z.string().regex(ASYNC_CAPABILITY_PATTERN),
    input: context,
    expected_output_keys: z.array(z.string()),
    reply_to: z.string(),
    sent_at: z.iso.datetime(),
  })
  .meta({ title: 'ASYNC_REQ', description: 'A request from the orchestrator to a capability.' });

/**
 * Sent to a capability's request queue after the cancel of its instance committed, once per request the
 * instance was awaiting: the reply is no longer awaited (it will be acknowledged as stale), so the
 * capability may stop its work. At least once, like requests; a capability that ignores it loses nothing.
 */
export const asyncCancelledSchema = z
  .strictObject({
    type: z.literal('ASYNC_CANCELLED'),
    instance_id: instanceIdSchema,
    workflow_id: z.string(),
    node: z.string(),
    request_id: z.string().min(1).max(512),
    capability_id: z.string().regex(ASYNC_CAPABILITY_PATTERN),
    reason: z.string().max(1000).optional(),
    cancelled_at: z.iso.datetime(),
  })
  .meta({
    title: 'ASYNC_CANCELLED',
    description:
      'Tells a capability that the request request_id is no longer awaited: its instance was cancelled.',
  });

/** What the orchestrator sends to a capability's request queue. */
export const capabilityMessageSchema = z.discriminatedUnion('type', [
  asyncRequestMessageSchema,
  asyncCancelledSchema,
]);

export const asyncResponseSchema = z
  .discriminatedUnion('status', [
    z.strictObject({
      type: z.literal('ASYNC_RESP'),
      instance_id: instanceIdSchema,
      request_id: z.string().min(1).max(512),
      status: z.literal('SUCCESS'),
      outputs: context.default({}),
    }),
    z.strictObject({
      type: z.literal('ASYNC_RESP'),
      instance_id: instanceIdSchema,
      request_id: z.string().min(1).max(512),
      status: z.literal('FAILURE'),
      error: z.strictObject({ code: z.string().min(1).max(200), message: z.string().max(10_000) }),
    }),
  ])
  .meta({ title: 'ASYNC_RESP', description: 'A capability reply on the reply queue.' });

/** Anything the orchestrator consumes, from either of its queues. */
export const inboundMessageSchema = z.union([commandMessageSchema, asyncResponseSchema]);

export type StartWorkflow = z.infer<typeof startWorkflowSchema>;
export type ParentLink = z.infer<typeof parentLinkSchema>;
export type CancelWorkflow = z.infer<typeof cancelWorkflowSchema>;
export type RedriveWorkflow = z.infer<typeof redriveWorkflowSchema>;
export type TimerFired = z.infer<typeof timerFiredSchema>;
export type AsyncRequestMessage = z.infer<typeof asyncRequestMessageSchema>;
export type AsyncCancelled = z.infer<typeof asyncCancelledSchema>;
export type CapabilityMessage = z.infer<typeof capabilityMessageSchema>;
export type AsyncResponse = z.infer<typeof asyncResponseSchema>;
export type InboundMessage = z.infer<typeof inboundMessageSchema>;
