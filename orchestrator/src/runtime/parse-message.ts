import type { z } from 'zod';
import {
  asyncResponseSchema,
  cancelWorkflowSchema,
  redriveWorkflowSchema,
  startWorkflowSchema,
  timerFiredSchema,
  type InboundMessage,
} from './messages';

const BY_TYPE: Record<string, z.ZodType<InboundMessage>> = {
  START_WORKFLOW: startWorkflowSchema,
  CANCEL_WORKFLOW: cancelWorkflowSchema,
  REDRIVE_WORKFLOW: redriveWorkflowSchema,
  TIMER_FIRED: timerFiredSchema,
  ASYNC_RESP: asyncResponseSchema,
};

export type ParsedMessage = { ok: true; message: InboundMessage } | { ok: false; reason: string };

/** Parses a queue message body, saying exactly what is wrong with a bad one (the reason goes to the logs). */
export function parseInboundMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, reason: `the body is not JSON: ${(error as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'the body must be a JSON object with a "type" field' };
  }
  const type = (json as { type?: unknown }).type;
  const schema = typeof type === 'string' ? BY_TYPE[type] : undefined;
  if (!schema) {
    return {
      ok: false,
      reason: `unknown message type ${JSON.stringify(type) ?? 'undefined'}; expected one of ${Object.keys(BY_TYPE).join(', ')}`,
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    return { ok: false, reason: `invalid ${String(type)}: ${problems.join('; ')}` };
  }
  return { ok: true, message: parsed.data };
}
