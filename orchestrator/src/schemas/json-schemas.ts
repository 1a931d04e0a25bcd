import { z } from 'zod';
import { workflowDefinitionSchema } from '../definition/workflow-schema';
import {
  asyncCancelledSchema,
  asyncRequestMessageSchema,
  asyncResponseSchema,
  cancelWorkflowSchema,
  redriveWorkflowSchema,
  startWorkflowSchema,
  timerFiredSchema,
} from '../runtime/messages';

/**
 * Every JSON Schema checked into `schemas/`, generated from the zod models so the two never disagree.
 * `scripts/generate-schemas.ts` writes them; a test fails when a checked-in file drifts.
 */
export const JSON_SCHEMAS: readonly {
  readonly file: string;
  readonly schema: z.ZodType;
  readonly id: string;
}[] = [
  { file: 'workflow-definition.schema.json', schema: workflowDefinitionSchema, id: 'workflow-definition' },
  { file: 'start-workflow.schema.json', schema: startWorkflowSchema, id: 'START_WORKFLOW' },
  { file: 'cancel-workflow.schema.json', schema: cancelWorkflowSchema, id: 'CANCEL_WORKFLOW' },
  { file: 'redrive-workflow.schema.json', schema: redriveWorkflowSchema, id: 'REDRIVE_WORKFLOW' },
  { file: 'timer-fired.schema.json', schema: timerFiredSchema, id: 'TIMER_FIRED' },
  { file: 'async-request.schema.json', schema: asyncRequestMessageSchema, id: 'ASYNC_REQ' },
  { file: 'async-cancelled.schema.json', schema: asyncCancelledSchema, id: 'ASYNC_CANCELLED' },
  { file: 'async-response.schema.json', schema: asyncResponseSchema, id: 'ASYNC_RESP' },
];

export function renderJsonSchema(entry: (typeof JSON_SCHEMAS)[number]): string {
  const json = z.toJSONSchema(entry.schema, { io: 'input', target: 'draft-2020-12' });
  return JSON.stringify({ ...json, title: json.title ?? entry.id }, null, 2) + '\n';
}
