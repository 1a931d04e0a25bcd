import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The deployment's reply keys: `current` tags every new request id and verifies replies; `previous`, when
 * set, only verifies them. Rotating is two swaps, so no container ever refuses an id another one issued
 * (docs/security.md): first the new key is added as `previous` (verify only), then it becomes `current`
 * with the old one as `previous`, and the old one is dropped once no request tagged with it can be
 * answered any more.
 */
export interface ReplyKeys {
  readonly current: string;
  readonly previous?: string | undefined;
}

/** Where the keys come from: fixed (tests, the local stack), or a source that refreshes them (the Lambda). */
export interface ReplyKeySource {
  keys(): ReplyKeys;
}

/** A key shorter than this is refused: it would not make ids unguessable. */
export const MIN_REPLY_KEY_CHARS = 32;
/** Characters of the tag: 22 base64url characters carry 132 bits of the HMAC. */
const TAG_CHARS = 22;
const TAG_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const VISIT_PATTERN = /^[1-9][0-9]{0,8}$/;
/**
 * Step Functions mode names a request by its task (16 hex digits of its token's digest) instead of a
 * visit: 16 characters, so never equal to a visit (at most 9), and the two forms never share a MAC.
 */
const TASK_PATTERN = /^[0-9a-f]{16}$/;
/** What VISIT_PATTERN and TASK_PATTERN accept, for the refusal of an id that does not match. */
const SERIAL_SHAPES = { '<visit>': 'a whole number from 1', '<task>': '16 hex digits' } as const;

/** A part of a refused id as the refusal quotes it: JSON, cut short (the id is the sender's input). */
const quoted = (part: string) =>
  part.length > 40 ? `${JSON.stringify(part.slice(0, 40))}…` : JSON.stringify(part);
/** Domain separation: these MACs mean "a request id of this engine", never anything else. */
const MAC_CONTEXT = 'cch-request-id/v1';

/** Why a reply's request id was refused (stable codes: logs, dead-letter reasons and tests use them). */
export type RequestIdRefusal =
  /** Not `<instance>:<node>:<visit>:<tag>` at all. */
  | 'REQUEST_ID_MALFORMED'
  /** Names another instance than the reply's `instance_id`. */
  | 'REQUEST_ID_OTHER_INSTANCE'
  /** Well formed, but its tag verifies under no key of this deployment: guessed, mistyped or foreign. */
  | 'REQUEST_ID_FORGED';

export type RequestIdCheck =
  { readonly ok: true; readonly node: string; readonly visit: number } | RequestIdRefused;

/** Step Functions mode's check: the id names its node and task instead of a visit. */
export type TaskRequestIdCheck =
  { readonly ok: true; readonly node: string; readonly task: string } | RequestIdRefused;

export interface RequestIdRefused {
  readonly ok: false;
  readonly code: RequestIdRefusal;
  readonly reason: string;
}

export class InvalidReplyKeysError extends Error {
  override name = 'InvalidReplyKeysError';
}

/**
 * Request ids a capability cannot guess: `<instance>:<node>:<visit>:<tag>`, where the tag is a truncated
 * HMAC-SHA256 of (instance, node, visit) under the deployment's key. Deterministic, so a request sent again
 * (the outbox after a crash) carries the same id and a duplicate reply is still recognised; unguessable
 * without the key, so only a capability that received the request can answer it. The capability contract
 * is unchanged: it echoes the id it received.
 *
 * The id is computed once, when the request's wait is recorded, and kept in the checkpoint: rotating the
 * key never changes the id of a request already made, and the `previous` key keeps verifying its replies.
 */
export class RequestIds {
  private readonly source: ReplyKeySource;

  constructor(keys: ReplyKeys | ReplyKeySource) {
    // A source validates what it reads (parseReplyKeys); fixed keys are checked here.
    this.source = isKeySource(keys) ? keys : fixedKeys(validateReplyKeys(keys));
  }

  /** The id of the `visit`-th request of `node` in `instanceId`. */
  issue(instanceId: string, node: string, visit: number): string {
    return `${instanceId}:${node}:${visit}:${tag(this.source.keys().current, instanceId, node, visit)}`;
  }

  /** Whether `requestId` is one this deployment issued for `instanceId` (under the current or previous key). */
  verify(instanceId: string, requestId: string): RequestIdCheck {
    const check = this.check(instanceId, requestId, VISIT_PATTERN, '<visit>');
    return check.ok ? { ok: true, node: check.node, visit: Number(check.serial) } : check;
  }

  /**
   * Step Functions mode (the request Lambda): the id of the request of `node` made by the task whose token
   * digests to `task` (16 hex digits), `<instance>:<node>:<task>:<tag>`, tagged as the engine tags a visit.
   */
  issueForTask(instanceId: string, node: string, task: string): string {
    if (!TASK_PATTERN.test(task)) throw new Error(`a task digest is 16 hex digits, not '${task}'`);
    return `${instanceId}:${node}:${task}:${tag(this.source.keys().current, instanceId, node, task)}`;
  }

  /** Step Functions mode (the reply Lambda): whether `requestId` is one `issueForTask` made for `instanceId`. */
  verifyTask(instanceId: string, requestId: string): TaskRequestIdCheck {
    const check = this.check(instanceId, requestId, TASK_PATTERN, '<task>');
    return check.ok ? { ok: true, node: check.node, task: check.serial } : check;
  }

  /** The one verification both forms share: shape, instance, then the tag under each key. */
  private check(
    instanceId: string,
    requestId: string,
    serialPattern: RegExp,
    serialName: keyof typeof SERIAL_SHAPES,
  ): { readonly ok: true; readonly node: string; readonly serial: string } | RequestIdRefused {
    const prefix = `${instanceId}:`;
    if (!requestId.startsWith(prefix)) {
      return refusal('REQUEST_ID_OTHER_INSTANCE', `request_id is not one of instance ${instanceId}`);
    }
    const parts = requestId.slice(prefix.length).split(':');
    const [node = '', serial = '', given = ''] = parts;
    const problem =
      parts.length !== 3
        ? `after the instance id it has ${parts.length} part${parts.length === 1 ? '' : 's'}, not 3`
        : node === ''
          ? 'its <node> is empty'
          : !serialPattern.test(serial)
            ? `its ${serialName} ${quoted(serial)} is not ${SERIAL_SHAPES[serialName]}`
            : !TAG_PATTERN.test(given)
              ? `its <tag> ${quoted(given)} is not ${TAG_CHARS} characters of A-Z, a-z, 0-9, _ and -`
              : undefined;
    if (problem !== undefined) {
      return refusal(
        'REQUEST_ID_MALFORMED',
        `request_id is not <instance_id>:<node>:${serialName}:<tag>: ${problem}`,
      );
    }
    const { current, previous } = this.source.keys();
    for (const key of previous === undefined ? [current] : [current, previous]) {
      if (sameTag(tag(key, instanceId, node, serial), given)) return { ok: true, node, serial };
    }
    // Guessed, mistyped, or issued by another deployment (another key).
    return refusal(
      'REQUEST_ID_FORGED',
      'request_id was not issued by this deployment (its tag does not verify)',
    );
  }
}

/** Throws InvalidReplyKeysError unless both keys are long enough and distinct. */
export function validateReplyKeys(keys: ReplyKeys): ReplyKeys {
  for (const [name, key] of [
    ['current', keys.current],
    ['previous', keys.previous],
  ] as const) {
    if (key === undefined && name === 'previous') continue;
    if (typeof key !== 'string' || key.length < MIN_REPLY_KEY_CHARS) {
      throw new InvalidReplyKeysError(
        `the ${name} reply key must be a string of at least ${MIN_REPLY_KEY_CHARS} characters`,
      );
    }
  }
  return keys;
}

function isKeySource(keys: ReplyKeys | ReplyKeySource): keys is ReplyKeySource {
  return typeof (keys as Partial<ReplyKeySource>).keys === 'function';
}

function fixedKeys(keys: ReplyKeys): ReplyKeySource {
  const fixed = { ...keys };
  return { keys: () => fixed };
}

function tag(key: string, instanceId: string, node: string, visit: number | string): string {
  return createHmac('sha256', key)
    .update(`${MAC_CONTEXT}\u0000${instanceId}\u0000${node}\u0000${visit}`, 'utf8')
    .digest('base64url')
    .slice(0, TAG_CHARS);
}

function sameTag(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function refusal(code: RequestIdRefusal, reason: string): RequestIdRefused {
  return { ok: false, code, reason };
}

/**
 * The node a request id names, whatever its form (tagged, or `<instance>:<node>:<visit>` as issued without
 * keys); undefined when it names none. Only meaningful for an id that verified.
 */
export function requestNodeOf(instanceId: string, requestId: string): string | undefined {
  const prefix = `${instanceId}:`;
  if (!requestId.startsWith(prefix)) return undefined;
  const [node] = requestId.slice(prefix.length).split(':');
  return node === '' ? undefined : node;
}
