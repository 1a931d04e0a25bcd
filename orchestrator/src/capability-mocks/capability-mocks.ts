import { parse } from 'yaml';
import { z } from 'zod';
import { durationSchema } from '../definition/workflow-schema';
import { parseDuration } from '../definition/duration';
import type { AsyncRequestMessage, AsyncResponse } from '../runtime/messages';

const scriptedReplySchema = z.strictObject({
  status: z.enum(['SUCCESS', 'FAILURE']).default('SUCCESS'),
  /** Outputs of a SUCCESS; keys the request expects but this omits get a mock value. */
  outputs: z.record(z.string(), z.unknown()).optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  /** How long the capability takes to reply. */
  delay: durationSchema.optional(),
  /** Extra copies of the reply (at-least-once delivery). */
  duplicates: z.int().min(0).max(10).default(0),
  /** `false`: the capability never replies. */
  reply: z.boolean().default(true),
});

/** A mocks file: per capability id, one reply, or a list used call by call (the last one repeats). */
export const capabilityMocksSchema = z.record(
  z.string(),
  z.union([scriptedReplySchema, z.array(scriptedReplySchema).min(1)]),
);

export type ScriptedReply = z.infer<typeof scriptedReplySchema>;
/** As written in a mocks file or a test: defaults not yet applied. */
export type CapabilityMocks = z.input<typeof capabilityMocksSchema>;
type ResolvedMocks = z.output<typeof capabilityMocksSchema>;

export function parseCapabilityMocks(text: string): CapabilityMocks {
  const parsed = capabilityMocksSchema.safeParse(parse(text) ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid mocks file: ${problems}`);
  }
  return parsed.data;
}

export interface PlannedReply {
  readonly delayMs: number;
  readonly replies: readonly AsyncResponse[];
}

/**
 * Decides how a mocked capability answers a request: by default SUCCESS at once, with a value for each
 * expected output key, so every valid workflow whose choices allow it runs to its end.
 */
export class MockCapabilities {
  private readonly calls = new Map<string, number>();
  private readonly planned = new Map<string, PlannedReply>();
  private readonly mocks: ResolvedMocks;

  constructor(
    mocks: CapabilityMocks = {},
    /** The value a default SUCCESS gives an expected key the script does not set. */
    private readonly defaultOutput: (request: AsyncRequestMessage, key: string) => unknown = (request, key) =>
      `mock://${request.capability_id}/${key}`,
  ) {
    this.mocks = capabilityMocksSchema.parse(mocks);
  }

  plan(request: AsyncRequestMessage): PlannedReply {
    // A request delivered again (same request_id) is the same call: it gets the same scripted reply.
    const known = this.planned.get(request.request_id);
    if (known) return known;
    const planned = this.planFresh(request);
    this.planned.set(request.request_id, planned);
    return planned;
  }

  private planFresh(request: AsyncRequestMessage): PlannedReply {
    const call = this.calls.get(request.capability_id) ?? 0;
    this.calls.set(request.capability_id, call + 1);
    const entry = this.mocks[request.capability_id];
    const script: ScriptedReply = Array.isArray(entry)
      ? (entry[Math.min(call, entry.length - 1)] as ScriptedReply)
      : (entry ?? { status: 'SUCCESS', duplicates: 0, reply: true });
    const delayMs = script.delay === undefined ? 0 : (parseDuration(script.delay) ?? 0);
    if (!script.reply) return { delayMs, replies: [] };
    const base = {
      type: 'ASYNC_RESP' as const,
      instance_id: request.instance_id,
      request_id: request.request_id,
    };
    const reply: AsyncResponse =
      script.status === 'FAILURE'
        ? {
            ...base,
            status: 'FAILURE',
            error: script.error ?? { code: 'MOCK_FAILURE', message: 'scripted failure' },
          }
        : {
            ...base,
            status: 'SUCCESS',
            outputs: {
              ...Object.fromEntries(
                request.expected_output_keys.map((key) => [key, this.defaultOutput(request, key)]),
              ),
              ...script.outputs,
            },
          };
    return { delayMs, replies: Array.from({ length: 1 + script.duplicates }, () => reply) };
  }
}
