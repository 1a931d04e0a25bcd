import type { z } from 'zod';
import { PROTO_KEY_PROBLEM } from '../definition/workflow-schema';
import { plainMessageProblem } from '../definition/plain-issue-message';
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

/**
 * The message types there are, by role. The parser is not told which queue a body came from, and which
 * queue takes which type depends on the engine (Step Functions mode's command queue takes START and
 * CANCEL only), so a reason lists every type with its role rather than a queue's list that may be wrong.
 */
const KNOWN_TYPES =
  'known types: commands START_WORKFLOW, CANCEL_WORKFLOW, REDRIVE_WORKFLOW, TIMER_FIRED; a capability reply ASYNC_RESP';

export type ParsedMessage = { ok: true; message: InboundMessage } | { ok: false; reason: string };

/**
 * Parses a queue message body, saying exactly what is wrong with a bad one. The reason goes to the logs
 * and the dead-letter attribute, so it quotes nothing of the body: no values, only where it went wrong.
 */
export function parseInboundMessage(body: string): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, reason: `the body is not JSON: ${jsonErrorWithoutText(error, body)}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'the body must be a JSON object with a "type" field' };
  }
  const type = (json as { type?: unknown }).type;
  if (type === undefined) {
    return { ok: false, reason: `the "type" field is missing; ${KNOWN_TYPES}` };
  }
  const schema = typeof type === 'string' ? BY_TYPE[type] : undefined;
  if (typeof type !== 'string' || !schema) {
    return { ok: false, reason: `unknown message type ${typeName(type)}; ${KNOWN_TYPES}` };
  }
  const protoField = Object.entries(json as Record<string, unknown>).find(
    ([, value]) => typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__'),
  )?.[0];
  if (protoField !== undefined) {
    // zod reads an object past a `__proto__` key and the engine would lose it without a word.
    return {
      ok: false,
      reason: `invalid ${type}: ${protoField}.__proto__: not allowed as a key: ${PROTO_KEY_PROBLEM}`,
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `invalid ${type}: ${bodyProblems(parsed.error.issues, json).join('; ')}` };
  }
  return { ok: true, message: parsed.data };
}

/**
 * Where JSON.parse failed, without the excerpt of the text that Node puts in its message (`Unexpected
 * token 'S', ..."secret": S"... is not valid JSON`): the excerpt could be any value of the body.
 */
export function jsonErrorWithoutText(error: unknown, body: string): string {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `invalid at character ${position} of ${body.length}`;
  if (/Unexpected end of JSON input/.test(message)) return `it ends early (${body.length} characters)`;
  return `invalid (${body.length} characters)`;
}

/** A message type worth quoting (the name of one), else only what kind of value it was. */
function typeName(type: unknown): string {
  if (typeof type === 'string' && /^[A-Z][A-Z_]{0,39}$/.test(type)) return JSON.stringify(type);
  return `(a ${type === null ? 'null' : Array.isArray(type) ? 'list' : typeof type})`;
}

/** A refused body's problems, each `path: what is wrong`, quoting nothing of it (see plainMessageProblem). */
export function bodyProblems(issues: readonly z.core.$ZodIssue[], json: unknown): string[] {
  return issues.map(
    (i) => `${i.path.join('.') || '(message)'}: ${plainMessageProblem(i, isPresent(json, i.path))}`,
  );
}

/** Whether the body has a value at `path` (an issue there is about its kind, not its absence). */
function isPresent(json: unknown, path: readonly PropertyKey[]): boolean {
  let current = json;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return false;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current !== undefined;
}
