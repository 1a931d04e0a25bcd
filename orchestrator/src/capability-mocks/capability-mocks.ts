import { z } from 'zod';
import { durationSchema } from '../definition/workflow-schema';
import { closest } from '../definition/did-you-mean';
import { formatDiagnostic, type PathSegment } from '../definition/diagnostic';
import { SourceDocument } from '../definition/source-document';
import { plainMessageProblem } from '../definition/plain-issue-message';
import { parseDuration } from '../definition/duration';
import type { AsyncRequestMessage, AsyncResponse } from '../runtime/messages';

const DUPLICATES = { error: 'must be a whole number from 0 to 10' };

const scriptedReplySchema = z.strictObject({
  status: z.enum(['SUCCESS', 'FAILURE'], { error: 'must be SUCCESS or FAILURE' }).default('SUCCESS'),
  /** Outputs of a SUCCESS; keys the request expects but this omits get a mock value. */
  outputs: z.record(z.string(), z.unknown(), { error: 'must be a map of output keys to values' }).optional(),
  /** Expected output keys a SUCCESS leaves out (no mock value): the step then fails MISSING_OUTPUT_KEYS. */
  omit_outputs: z.array(z.string(), { error: 'must be a list of output keys' }).optional(),
  error: z
    .strictObject(
      {
        code: z.string({ error: 'must be text, such as NOT_FOUND' }),
        message: z.string({ error: 'must be text' }),
      },
      { error: 'must be a map with code and message' },
    )
    .optional(),
  /** How long the capability takes to reply. */
  delay: durationSchema.optional(),
  /** Extra copies of the reply (at-least-once delivery). */
  duplicates: z.int(DUPLICATES).min(0, DUPLICATES).max(10, DUPLICATES).default(0),
  /** `false`: the capability never replies. */
  reply: z.boolean({ error: 'must be true or false' }).default(true),
});

/** The fields of one scripted reply, for did-you-mean on an unknown one. */
const REPLY_FIELDS = Object.keys(scriptedReplySchema.shape);

/** A mocks file: per capability id, one reply, or a list used call by call (the last one repeats). */
export const capabilityMocksSchema = z.record(
  z.string(),
  z.union([scriptedReplySchema, z.array(scriptedReplySchema).min(1)]),
);

export type ScriptedReply = z.infer<typeof scriptedReplySchema>;
/** As written in a mocks file or a test: defaults not yet applied. */
export type CapabilityMocks = z.input<typeof capabilityMocksSchema>;
type ResolvedMocks = z.output<typeof capabilityMocksSchema>;

export function parseCapabilityMocks(text: string, name = 'mocks file'): CapabilityMocks {
  // Read as a definition is: positions for every problem, and the same limits on what a file may hold.
  const { source, diagnostics } = SourceDocument.parse(name, text);
  const unreadable = diagnostics.filter((d) => d.severity === 'error');
  if (unreadable.length > 0) throw new Error(unreadable.map(formatDiagnostic).join('\n'));
  const input: unknown = source.value ?? {};
  const parsed = capabilityMocksSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => entryProblems(issue, input));
    const where = ({ path: issuePath, key }: Problem) => {
      const path = issuePath.filter((s): s is PathSegment => typeof s !== 'symbol');
      const at = key === undefined ? source.locate(path) : source.locateKey(path, key);
      return `${name}:${at.line}:${at.column}`;
    };
    throw new Error(`invalid mocks file:\n${problems.map((p) => `${where(p)}: ${p.text}`).join('\n')}`);
  }
  return parsed.data;
}

interface Problem {
  /** Where it is: the value at `path`, or its field `key` (an unknown field). */
  readonly path: readonly PropertyKey[];
  readonly key?: string;
  readonly text: string;
}

/**
 * An issue as `path: what is wrong`. An entry is a reply or a list of replies, and zod reports an entry
 * that is neither only as "Invalid input": the issues of the form the entry has (a map: one reply, a list:
 * replies) are reported instead, so the message names the field at fault and what it allows.
 */
function entryProblems(issue: z.core.$ZodIssue, input: unknown): Problem[] {
  const at = (path: readonly PropertyKey[]) => (path.length === 0 ? '(file)' : path.map(String).join('.'));
  if (issue.code === 'unrecognized_keys') return unknownFields(issue.path, issue.keys);
  if (issue.code !== 'invalid_union') {
    return [{ path: issue.path, text: `${at(issue.path)}: ${plainMessageProblem(issue, true)}` }];
  }
  const value = valueAt(input, issue.path);
  const branch = Array.isArray(value) ? 1 : typeof value === 'object' && value !== null ? 0 : undefined;
  const issues = branch === undefined ? undefined : issue.errors[branch];
  if (issues === undefined || issues.length === 0) {
    return [{ path: issue.path, text: `${at(issue.path)}: must be a reply (a map) or a list of replies` }];
  }
  return issues.flatMap((inner) => {
    const path = [...issue.path, ...inner.path];
    return inner.code === 'unrecognized_keys'
      ? unknownFields(path, inner.keys)
      : [{ path, text: `${at(path)}: ${inner.message}` }];
  });
}

function unknownFields(path: readonly PropertyKey[], keys: readonly string[]): Problem[] {
  const where = path.map(String).join('.');
  const inError = where.endsWith('.error');
  const fields = inError ? ['code', 'message'] : REPLY_FIELDS;
  return keys.map((key) => {
    const meant = closest(key, fields);
    const hint =
      meant === undefined
        ? `; ${inError ? 'an error' : 'a reply'} has ${fields.join(', ')}`
        : ` (did you mean ${meant}?)`;
    return { path, key, text: `${where}: unknown field '${key}'${hint}` };
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The value a mocked capability's SUCCESS gives an expected output key its script does not set. */
export type DefaultOutput = (
  request: Pick<AsyncRequestMessage, 'capability_id' | 'instance_id' | 'node'>,
  key: string,
) => unknown;

/**
 * The in-memory engine's default output: `mock://billing#quote/total`, which names where it came from. It
 * is text, so an expression that compares it with a number fails; `wf run` recognises it by calling this
 * (the one place the format is written) and says how to script a real value.
 */
export const defaultMockOutput: DefaultOutput = (request, key) => `mock://${request.capability_id}/${key}`;

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
    private readonly defaultOutput: DefaultOutput = defaultMockOutput,
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
            outputs: withoutKeys(
              {
                ...Object.fromEntries(
                  request.expected_output_keys.map((key) => [key, this.defaultOutput(request, key)]),
                ),
                ...script.outputs,
              },
              script.omit_outputs ?? [],
            ),
          };
    return { delayMs, replies: Array.from({ length: 1 + script.duplicates }, () => reply) };
  }
}

function withoutKeys(outputs: Record<string, unknown>, omitted: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).filter(([key]) => !omitted.includes(key)));
}
