import type { z } from 'zod';
import type { Diagnostic, PathSegment } from './diagnostic';
import { closest } from './did-you-mean';
import { expectedKind, isLibraryWording, plainMessage } from './plain-issue-message';
import { formatPath } from './diagnostic';
import type { SourceDocument, SourcePosition } from './source-document';
import { isReservedNodeName, STATE_CHANNEL_NAMES } from './reserved-node-names';
import {
  asyncRequestNodeSchema,
  choiceEntrySchema,
  choiceNodeSchema,
  endNodeSchema,
  NODE_NAME_MAX_LENGTH,
  NODE_NAME_PATTERN,
  NODE_TYPES,
  PROTO_KEY_PROBLEM,
  nodeSchema,
  parallelNodeSchema,
  retrySchema,
  setNodeSchema,
  subWorkflowNodeSchema,
  mapNodeSchema,
  syncCallNodeSchema,
  waitNodeSchema,
  workflowDefinitionSchema,
} from './workflow-schema';

/** The fields of each node type; a Map, since the type is user text (`constructor` is no key of it). */
const NODE_FIELDS = new Map<string, readonly string[]>([
  ['async_request', Object.keys(asyncRequestNodeSchema.shape)],
  ['sync_call', Object.keys(syncCallNodeSchema.shape)],
  ['choice', Object.keys(choiceNodeSchema.shape)],
  ['parallel', Object.keys(parallelNodeSchema.shape)],
  ['set', Object.keys(setNodeSchema.shape)],
  ['wait', Object.keys(waitNodeSchema.shape)],
  ['sub_workflow', Object.keys(subWorkflowNodeSchema.shape)],
  ['map', Object.keys(mapNodeSchema.shape)],
  ['end', Object.keys(endNodeSchema.shape)],
]);
const TOP_LEVEL_FIELDS = Object.keys(workflowDefinitionSchema.shape);
const CHOICE_ENTRY_FIELDS = Object.keys(choiceEntrySchema.shape);
const RETRY_FIELDS = Object.keys(retrySchema.shape);

/**
 * A custom issue on a JSONata expression (a sync capability's parameter) may carry, under this param, the
 * index in the text where it stopped compiling: the diagnostic then points there, unquoted, as the
 * definition's own expression errors do.
 */
export const EXPRESSION_INDEX_PARAM = 'expressionIndex';

/** With EXPRESSION_INDEX_PARAM, the diagnostic's code, when it is not `bad-expression` (it compiles, but ...). */
export const EXPRESSION_CODE_PARAM = 'expressionCode';

/** Turns zod issues into located diagnostics with plain sentences. */
export function schemaDiagnostics(source: SourceDocument, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
  const diagnostics: Located[] = [];
  for (const issue of issues) diagnostics.push(...fromIssue(source, issue, []));
  return withoutFollowOns(diagnostics);
}

/**
 * The fields of the maps inside a value checked by a schema of its own (a sync capability's `with`), for
 * did-you-mean: for the map at `path`, its fields and a phrase saying where it is ("unknown field 'x' in
 * <where>; allowed: ..."), or undefined when it has no fixed fields.
 */
export type NestedFields = (
  path: readonly PathSegment[],
) => { readonly fields: readonly string[]; readonly where: string } | undefined;

/**
 * Diagnostics for the issues of a schema applied to the value at `prefix` (a sync capability's `with`),
 * in the same words and positions as the definition's own.
 */
export function nestedSchemaDiagnostics(
  source: SourceDocument,
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathSegment[],
  nested: NestedFields,
): Diagnostic[] {
  return withoutFollowOns(issues.flatMap((issue) => fromIssue(source, issue, prefix, nested)));
}

/**
 * A misspelt required field is one mistake: "unknown field 'on_respone'; did you mean 'on_response'?"
 * says it all, so "missing required field 'on_response'" in the same map is dropped.
 */
function withoutFollowOns(diagnostics: readonly Located[]): Diagnostic[] {
  const meant = new Set(diagnostics.flatMap((d) => (d.code === 'unknown-field' && d.meant ? [d.meant] : [])));
  return diagnostics
    .filter((d) => !(d.code === 'missing-field' && meant.has(d.path)))
    .map(({ meant: _meant, ...d }) => d);
}

/** A diagnostic, and for an unknown field the path of the field it likely meant. */
type Located = Diagnostic & { readonly meant?: string };

/**
 * Invalid node names, at their keys, and the errors inside those nodes: zod checks neither the value of a key it
 * rejects nor a key named `__proto__` (a node's, or one inside a node's maps, which it drops silently).
 */
export function nodeNameDiagnostics(source: SourceDocument): Diagnostic[] {
  const nodes = valueAt(source.value, ['nodes']);
  if (!isRecord(nodes)) return [];
  const out: Diagnostic[] = [];
  for (const [name, node] of Object.entries(nodes)) {
    const problem = nodeNameProblem(name);
    if (problem === undefined) continue;
    const at = source.locateKey(['nodes'], name);
    // A key YAML reads as null (`null:`, `~:`) is '' in the value: name it as written, and say why.
    const nullKey = source.nullKeyText(['nodes'], name);
    out.push({
      severity: 'error',
      code: 'invalid-name',
      message: nullKey === undefined ? problem : nullKeyProblem(nullKey),
      file: source.file,
      line: at.line,
      column: at.column,
      path: formatPath(['nodes', nullKey ?? name]),
    });
    const inner = nodeSchema.safeParse(node);
    if (!inner.success) {
      out.push(...withoutFollowOns(inner.error.issues.flatMap((i) => fromIssue(source, i, ['nodes', name]))));
    }
  }
  for (const [name, node] of Object.entries(nodes)) {
    if (!isRecord(node)) continue;
    for (const field of PROTO_CHECKED_MAPS) {
      const map = node[field];
      if (!isRecord(map) || !Object.hasOwn(map, '__proto__')) continue;
      const at = source.locateKey(['nodes', name, field], '__proto__');
      out.push({
        severity: 'error',
        code: 'invalid-name',
        message: `'__proto__' is not valid: ${PROTO_KEY_PROBLEM}`,
        file: source.file,
        line: at.line,
        column: at.column,
        path: formatPath(['nodes', name, field, '__proto__']),
      });
    }
  }
  return out;
}

/** The maps of a node whose keys are the user's (context keys, parameters), which zod reads past `__proto__` in. */
const PROTO_CHECKED_MAPS = ['values', 'result', 'with'] as const;

/** Why a node key YAML reads as null (`written`, e.g. `null` or `~`) is no node name, and what to do. */
function nullKeyProblem(written: string): string {
  // Quoting helps only when the text is itself a valid name (`'null'` is, `'~'` is not).
  const fix = nodeNameProblem(written) === undefined ? `quote it ('${written}')` : 'rename the node';
  return `a node name must be a non-empty string; \`${written}\` is read as YAML null — ${fix}`;
}

/** What is wrong with a node name, or undefined when it is a valid one. */
export function nodeNameProblem(name: string): string | undefined {
  if (name.length > NODE_NAME_MAX_LENGTH) {
    return `'${name.slice(0, 40)}…' is too long for a node name: node names are at most ${NODE_NAME_MAX_LENGTH} characters`;
  }
  if (!NODE_NAME_PATTERN.test(name)) {
    return `'${name}' is not a valid node name (an ASCII letter, then ASCII letters, digits, _ or -)`;
  }
  if (isReservedNodeName(name)) {
    return STATE_CHANNEL_NAMES.some((channel) => channel === name)
      ? `'${name}' cannot name a node: the engine's state uses it (reserved: ${STATE_CHANNEL_NAMES.join(', ')}); rename the node`
      : `'${name}' cannot name a node: every JavaScript object has a property of that name; rename the node`;
  }
  return undefined;
}

function fromIssue(
  source: SourceDocument,
  issue: z.core.$ZodIssue,
  prefix: readonly PathSegment[],
  nested?: NestedFields,
): Located[] {
  const path = [...prefix, ...issue.path.filter((s): s is PathSegment => typeof s !== 'symbol')];
  const make = (at: SourcePosition, code: string, message: string, p = path): Diagnostic => ({
    severity: 'error',
    code,
    message,
    file: source.file,
    line: at.line,
    column: at.column,
    path: formatPath(p),
  });
  const value = valueAt(source.value, path);

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key): Located => {
        const present = isRecord(value) ? value : {};
        const inner = nested?.(path);
        const guess = closest(
          key,
          (inner ? inner.fields : allowedFields(source, path)).filter((f) => !Object.hasOwn(present, f)),
        );
        if (guess === undefined) {
          const hint = inner
            ? ` in ${inner.where}; allowed: ${inner.fields.join(', ')}`
            : allowedHint(source, path);
          return make(source.locateKey(path, key), 'unknown-field', `unknown field '${short(key)}'${hint}`, [
            ...path,
            key,
          ]);
        }
        return {
          ...make(
            source.locateKey(path, key),
            'unknown-field',
            `unknown field '${short(key)}'; did you mean '${guess}'?`,
            [...path, key],
          ),
          meant: formatPath([...path, guess]),
        };
      });
    case 'invalid_key': {
      // Node names are checked by nodeNameDiagnostics, which also checks the node's own fields.
      if (path.length === 2 && path[0] === 'nodes') return [];
      const key = String(path[path.length - 1]);
      const contextKeys =
        path.length === 4 && path[0] === 'nodes' && (path[2] === 'values' || path[2] === 'result');
      return [
        make(
          source.locateKey(path.slice(0, -1), key),
          'invalid-name',
          contextKeys
            ? `'${short(key)}' is not a context key (an ASCII letter or _, then ASCII letters, digits or _)`
            : keyProblem(key, issue.issues),
        ),
      ];
    }
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const nodePath = path[path.length - 1] === 'type' ? path.slice(0, -1) : path;
        const type = valueAt(source.value, [...nodePath, 'type']);
        const kinds = NODE_TYPES.join(', ');
        if (type === undefined) {
          return [
            make(
              source.locateEntry(nodePath),
              'missing-field',
              `missing required field 'type' (one of ${kinds})`,
              nodePath,
            ),
          ];
        }
        const guess = typeof type === 'string' ? closest(type, NODE_TYPES) : undefined;
        const message =
          typeof type !== 'string'
            ? `the node type must be one of ${kinds}, not ${describe(type)}`
            : guess !== undefined
              ? `unknown node type ${JSON.stringify(short(type))}; did you mean '${guess}'?`
              : `unknown node type ${JSON.stringify(short(type))}; expected one of ${kinds}`;
        return [
          make(source.locate([...nodePath, 'type']), 'unknown-node-type', message, [...nodePath, 'type']),
        ];
      }
      const message = isLibraryWording(issue.message) ? 'has a value of the wrong kind' : issue.message;
      return [make(source.locate(path), 'invalid-value', `${message}, not ${describe(value)}`)];
    }
    case 'invalid_type': {
      const parent = path.slice(0, -1);
      const field = path[path.length - 1];
      const parentValue = valueAt(source.value, parent);
      if (typeof field === 'string' && isRecord(parentValue) && !Object.hasOwn(parentValue, field)) {
        return [make(source.locateEntry(parent), 'missing-field', `missing required field '${field}'`)];
      }
      if (path.length === 0) {
        return [make(source.locate([]), 'invalid-value', 'the definition must be a YAML map of fields')];
      }
      const message = isLibraryWording(issue.message) ? expectedKind(issue.expected) : issue.message;
      return [
        make(
          source.locate(path),
          'invalid-value',
          `${message}, not ${describe(value)}${indentationHint(path, value, issue.expected)}`,
        ),
      ];
    }
    default: {
      const params = issue.code === 'custom' ? issue.params : undefined;
      const index = params?.[EXPRESSION_INDEX_PARAM] as unknown;
      if (typeof index === 'number' && typeof value === 'string') {
        const code = params?.[EXPRESSION_CODE_PARAM] as unknown;
        return [
          make(
            source.locateInScalar(path, value, index),
            typeof code === 'string' ? code : 'bad-expression',
            issue.message,
          ),
        ];
      }
      const message = isLibraryWording(issue.message) ? plainMessage(issue) : issue.message;
      // A length limit is about the length: the first 40 characters of the value would not help. A
      // number out of its range is quoted: `0.5 is not a number from 1 to 10`.
      const sized = (issue.code === 'too_big' || issue.code === 'too_small') && typeof value !== 'number';
      return [make(source.locate(path), 'invalid-value', sized ? message : quoting(value, message))];
    }
  }
}

/** What is wrong with a map's key: the key schema's own sentence when it has one (an HTTP header name). */
function keyProblem(key: string, issues: readonly z.core.$ZodIssue[]): string {
  const own = issues.find((i) => !isLibraryWording(i.message))?.message;
  return own === undefined ? `'${short(key)}' is not a valid key here` : quoting(key, own);
}

/** A rule as said of the value that broke it: `0.5 is not a number from 1 to 10`. */
function quoting(value: unknown, message: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const shown = typeof value === 'string' ? `'${short(value)}'` : String(value);
    const kind = /^must be (an? |one of )(.*)$/s.exec(message);
    return kind ? `${shown} is not ${kind[1] ?? ''}${kind[2] ?? ''}` : `${shown} is not valid: ${message}`;
  }
  return message;
}

/** Fields a node or a map of the workflow (or the `nodes` map itself) holds: what a mis-indented line is. */
const ALL_NODE_FIELDS = new Set([...NODE_FIELDS.values()].flat());

/**
 * Text or nothing where a map of fields belongs is most often indentation: a node's fields written at
 * the node's own level (the node becomes null, each field a "node" of text), or a value on the key's line.
 */
function indentationHint(path: readonly PathSegment[], value: unknown, expected: string): string {
  if (!['object', 'record', 'map'].includes(expected)) return '';
  const key = path[path.length - 1];
  if (path.length === 2 && path[0] === 'nodes' && typeof key === 'string' && ALL_NODE_FIELDS.has(key)) {
    return `: '${key}' is a node field, so it is probably indented too little (it belongs under the node above it)`;
  }
  if (path.length === 2 && path[0] === 'nodes' && (value === null || value === undefined)) {
    return ': the node has no fields (are the lines below it indented under it?)';
  }
  if (typeof value === 'string') return ' (the fields of a map go on the lines below its key, indented)';
  return '';
}

function allowedFields(source: SourceDocument, path: readonly PathSegment[]): readonly string[] {
  if (path.length === 0) return TOP_LEVEL_FIELDS;
  if (path[0] !== 'nodes') return [];
  if (path.length === 2) {
    const type = valueAt(source.value, [...path, 'type']);
    return (typeof type === 'string' ? NODE_FIELDS.get(type) : undefined) ?? [...ALL_NODE_FIELDS];
  }
  if (path.length === 4 && path[2] === 'choices' && typeof path[3] === 'number') return CHOICE_ENTRY_FIELDS;
  if (path.length === 3 && path[2] === 'retry') return RETRY_FIELDS;
  return [];
}

function allowedHint(source: SourceDocument, path: readonly PathSegment[]): string {
  if (path.length === 0) return `; allowed: ${TOP_LEVEL_FIELDS.join(', ')}`;
  if (path[0] !== 'nodes') return '';
  if (path.length === 2) {
    const type = valueAt(source.value, [...path, 'type']);
    const fields = typeof type === 'string' ? NODE_FIELDS.get(type) : undefined;
    return fields
      ? ` in ${/^[aeiou]/.test(type as string) ? 'an' : 'a'} ${type as string} node; allowed: ${fields.join(', ')}`
      : '';
  }
  if (path.length === 4 && path[2] === 'choices' && typeof path[3] === 'number') {
    return ` in a choice entry; allowed: ${CHOICE_ENTRY_FIELDS.join(', ')}`;
  }
  if (path.length === 3 && path[2] === 'retry') return ` in retry; allowed: ${RETRY_FIELDS.join(', ')}`;
  return '';
}

/** The value at `path`, following only own properties (a key named `constructor` is no method). */
export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current) && Object.hasOwn(current, String(segment))) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a plain phrase: `null`, `a list`, `the text "..."`, `number 3`, `an infinite number`... */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a map';
  if (typeof value === 'string') return `the text ${JSON.stringify(short(value))}`;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan (not a number)';
    if (!Number.isFinite(value)) return `${value > 0 ? 'an' : 'a negative'} infinite number`;
    return `number ${value}`;
  }
  if (typeof value === 'bigint') return `number ${value}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  return typeof value;
}

function short(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + '…' : text;
}
