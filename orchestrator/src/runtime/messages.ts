import { z } from 'zod';
import { ASYNC_CAPABILITY_PATTERN, WORKFLOW_ID_PATTERN } from '../definition/workflow-schema';

/** Instance ids become DynamoDB keys and log fields: bounded, printable, no separators we use in keys. */
export const instanceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'must be 1-128 letters, digits, _, ., : or -' });

const context = z.record(z.string(), z.unknown());

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
  })
  .meta({ title: 'START_WORKFLOW', description: 'Starts a workflow instance.' });

export const cancelWorkflowSchema = z
  .strictObject({
    type: z.literal('CANCEL_WORKFLOW'),
    instance_id: instanceIdSchema,
    reason: z.string().max(1000).optional(),
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

export const commandMessageSchema = z.discriminatedUnion('type', [
  startWorkflowSchema,
  cancelWorkflowSchema,
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
export type CancelWorkflow = z.infer<typeof cancelWorkflowSchema>;
export type TimerFired = z.infer<typeof timerFiredSchema>;
export type AsyncRequestMessage = z.infer<typeof asyncRequestMessageSchema>;
export type AsyncResponse = z.infer<typeof asyncResponseSchema>;
export type InboundMessage = z.infer<typeof inboundMessageSchema>;
