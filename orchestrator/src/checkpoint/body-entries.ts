import { CheckpointCorruptError } from './errors';
import { scanEntries } from './json-scan';
import type { EntriesShape, ObjectEntries } from './value-deltas';

/*
 * The checkpoint body (the checkpoint without its channel values) as entries a delta can address.
 *
 * LangGraph's body is `{v, id, ts, channel_versions: {<channel>: version}, versions_seen: {<node>:
 * {<channel>: version}}}`. StateGraph has a channel per node (`branch:to:<node>`) and a `versions_seen` entry
 * per node that ran, so the body grows with the distinct nodes an instance has run (about 200 bytes per
 * async_request node: 100 KB for a chain of 500), while a step changes a few dozen versions in it. A delta
 * over the top-level keys would rewrite both maps whole every step; this shape addresses every version
 * instead: each leaf of the object, down to `MAX_DEPTH` levels, is one entry, keyed by its JSON Pointer
 * (RFC 6901: `/versions_seen/__interrupt__/branch:to:Step_042`).
 *
 * Invariants:
 * - Entries are those of a JSON object: a non-empty object above `MAX_DEPTH` is always split into its keys,
 *   so no entry's path is the prefix of another's; an empty object, an array, a scalar, or anything at
 *   `MAX_DEPTH` is one entry whose text is the exact JSON text the payload had for it.
 * - `BODY_SHAPE.payloadOf(BODY_SHAPE.entriesOf(p))` is `p` up to whitespace, and so is it after deltas
 *   computed by `diffEntries` on such entries: objects keep their keys in entry order, and a key a delta adds
 *   goes last in its own object (what adding a property to that object does). The body is read back through
 *   the serde, as whole values are, so whatever it encodes inside a leaf stays as it was.
 */

/** `v`/`id`/`ts` and the maps are level 1, `versions_seen`'s nodes level 2, their versions level 3. */
const MAX_DEPTH = 3;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export const BODY_SHAPE: EntriesShape = {
  entriesOf: (payload) => nestedEntriesOf(decoder.decode(payload), MAX_DEPTH),
  payloadOf: (entries) => encoder.encode(nestedText(entries)),
};

/** The leaves of a JSON object text down to `depth` levels, by JSON Pointer; `undefined` if not an object. */
export function nestedEntriesOf(text: string, depth: number): ObjectEntries | undefined {
  return scanEntries(text, depth, (prefix, key) => `${prefix}/${escapeSegment(key)}`);
}

/** The JSON object text whose leaves are `entries` (the inverse of `nestedEntriesOf`). */
export function nestedText(entries: ObjectEntries): string {
  const root: Tree = new Map();
  for (const [path, text] of entries) {
    if (path.charCodeAt(0) !== SLASH) throw new CheckpointCorruptError(`body path ${path} is malformed`);
    const segments = path.slice(1).split('/');
    if (path.includes('~')) segments.forEach((segment, i) => (segments[i] = unescapeSegment(segment)));
    let node = root;
    for (let i = 0; i < segments.length - 1; i += 1) {
      const segment = segments[i] as string;
      let child = node.get(segment);
      if (child === undefined) {
        child = new Map();
        node.set(segment, child);
      }
      if (typeof child === 'string')
        throw new CheckpointCorruptError(`body path ${path} goes through a leaf`);
      node = child;
    }
    const last = segments[segments.length - 1] as string;
    if (node.has(last)) throw new CheckpointCorruptError(`body path ${path} is both a leaf and an object`);
    node.set(last, text);
  }
  return treeText(root);
}

type Tree = Map<string, Tree | string>;

function treeText(tree: Tree): string {
  const parts: string[] = [];
  for (const [key, child] of tree) {
    parts.push(`${JSON.stringify(key)}:${typeof child === 'string' ? child : treeText(child)}`);
  }
  return `{${parts.join(',')}}`;
}

const SLASH = 0x2f;

function escapeSegment(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
