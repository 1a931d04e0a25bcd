/**
 * Bounds on the values callers and capabilities hand the engine (a START context, a reply's outputs), so a
 * hostile or broken one cannot make a choice expression, a merge or a serialization slow, or overflow the
 * stack (JSON.stringify, structuredClone and the checkpointer recurse: a body nested a few thousand levels
 * deep parses fine, then throws RangeError wherever it is next copied). Checked once, iteratively, before
 * the value is used; a value over them fails its instance (START) or its step (reply) with a clear error.
 *
 * The defaults leave room for real payloads: the 5 MB documents the claim-check tests carry, tables of tens
 * of thousands of rows, nesting no schema needs. What costs time is the number of values: every message of
 * the instance reads its checkpoint back value by value (LangGraph's serde), about 1.5 s for 250,000 on
 * a developer machine; so a reply is checked together with the context it joins (see the runtime), and the
 * context stays within them too. JSONata's own guardrails (time, stack, sequence length;
 * graph/expression.ts) bound what an expression does with a value within them.
 */
export interface ValueLimits {
  /** Deepest nesting of objects and arrays (a scalar at the top is depth 0). */
  readonly maxDepth: number;
  /** Most elements of one array. */
  readonly maxArrayLength: number;
  /** Most keys of one object. */
  readonly maxObjectKeys: number;
  /** Longest string (or key), in UTF-16 code units. */
  readonly maxStringChars: number;
  /** Most characters of all strings and keys together. */
  readonly maxTotalChars: number;
  /** Most values (objects, arrays, scalars) in all. */
  readonly maxValues: number;
}

export const DEFAULT_VALUE_LIMITS: ValueLimits = {
  maxDepth: 64,
  maxArrayLength: 100_000,
  maxObjectKeys: 10_000,
  maxStringChars: 8 * 1024 * 1024,
  maxTotalChars: 32 * 1024 * 1024,
  maxValues: 250_000,
};

/** Path segments shown in a violation: enough to find it, never a value (and keys cut short). */
const SHOWN_SEGMENTS = 6;
const SHOWN_KEY_CHARS = 40;

/**
 * Where `value` first goes over `limits`, as a sentence without any of its values (keys of the path, cut
 * short, are shown); undefined when it is within them. Iterative: any depth is measured without recursion.
 */
export function valueLimitsViolation(
  value: unknown,
  limits: ValueLimits = DEFAULT_VALUE_LIMITS,
  name = 'the value',
): string | undefined {
  const stack: Visit[] = [{ value, depth: 0, parent: undefined, segment: '' }];
  let values = 0;
  let chars = 0;
  const at = (visit: Visit) => (visit.parent === undefined ? name : `${name} at ${shown(pathOf(visit))}`);
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    values++;
    if (values > limits.maxValues) return `${name} holds more than ${limits.maxValues} values`;
    const { value: v, depth } = visit;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringChars) {
        return `${at(visit)} is a string of ${v.length} characters (at most ${limits.maxStringChars})`;
      }
      chars += v.length;
    } else if (v !== null && typeof v === 'object') {
      if (depth >= limits.maxDepth) return `${at(visit)} nests deeper than ${limits.maxDepth} levels`;
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayLength) {
          return `${at(visit)} is a list of ${v.length} items (at most ${limits.maxArrayLength})`;
        }
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push({ value: v[i] as unknown, depth: depth + 1, parent: visit, segment: `[${i}]` });
        }
      } else {
        const keys = Object.keys(v);
        if (keys.length > limits.maxObjectKeys) {
          return `${at(visit)} has ${keys.length} keys (at most ${limits.maxObjectKeys})`;
        }
        for (const key of keys) {
          if (key.length > limits.maxStringChars) {
            return `${at(visit)} has a key of ${key.length} characters (at most ${limits.maxStringChars})`;
          }
          chars += key.length;
          const child = (v as Record<string, unknown>)[key];
          stack.push({ value: child, depth: depth + 1, parent: visit, segment: key });
        }
      }
    }
    if (chars > limits.maxTotalChars) {
      return `${name} holds more than ${limits.maxTotalChars} characters of text`;
    }
  }
  return undefined;
}

/** One value met on the walk; its path is rebuilt from the parents only when it is reported. */
interface Visit {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Visit | undefined;
  readonly segment: string;
}

function pathOf(visit: Visit): string[] {
  const path: string[] = [];
  for (let v: Visit | undefined = visit; v?.parent !== undefined; v = v.parent) path.unshift(v.segment);
  return path;
}

function shown(path: readonly string[]): string {
  const segments = path.slice(0, SHOWN_SEGMENTS).map((segment) => {
    const cut = segment.length > SHOWN_KEY_CHARS ? `${segment.slice(0, SHOWN_KEY_CHARS)}…` : segment;
    return cut.startsWith('[') ? cut : `.${cut}`;
  });
  return `${segments.join('').replace(/^\./, '')}${path.length > SHOWN_SEGMENTS ? '…' : ''}`;
}
