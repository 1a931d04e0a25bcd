import type { z } from 'zod';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import type { SourceDocument } from './source-document';
import {
  asyncRequestNodeSchema,
  choiceNodeSchema,
  endNodeSchema,
  NODE_TYPES,
  parallelNodeSchema,
  syncCallNodeSchema,
  workflowDefinitionSchema,
} from './workflow-schema';

const NODE_FIELDS: Record<string, readonly string[]> = {
  async_request: Object.keys(asyncRequestNodeSchema.shape),
  sync_call: Object.keys(syncCallNodeSchema.shape),
  choice: Object.keys(choiceNodeSchema.shape),
  parallel: Object.keys(parallelNodeSchema.shape),
  end: Object.keys(endNodeSchema.shape),
};
const TOP_LEVEL_FIELDS = Object.keys(workflowDefinitionSchema.shape);

/** Turns zod issues into located diagnostics with plain sentences. */
export function schemaDiagnostics(source: SourceDocument, issues: readonly z.core.$ZodIssue[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of issues) diagnostics.push(...fromIssue(source, issue));
  return diagnostics;
}

function fromIssue(source: SourceDocument, issue: z.core.$ZodIssue): Diagnostic[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const make = (
    at: { line: number; column: number },
    code: string,
    message: string,
    p = path,
  ): Diagnostic => ({
    severity: 'error',
    code,
    message,
    file: source.file,
    line: at.line,
    column: at.column,
    path: formatPath(p),
  });

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) =>
        make(
          source.locateKey(path, key),
          'unknown-field',
          `unknown field '${key}'${allowedHint(source, path)}`,
          [...path, key],
        ),
      );
    case 'invalid_key': {
      const key = path[path.length - 1];
      const inner = issue.issues[0]?.message ?? issue.message;
      return [make(source.locateKey(path.slice(0, -1), String(key)), 'invalid-name', `'${key}' ${inner}`)];
    }
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const nodePath = path[path.length - 1] === 'type' ? path.slice(0, -1) : path;
        const value = valueAt(source.value, [...nodePath, 'type']);
        const kinds = NODE_TYPES.join(', ');
        if (value === undefined) {
          return [
            make(
              source.locate(nodePath),
              'missing-field',
              `missing required field 'type' (one of ${kinds})`,
              nodePath,
            ),
          ];
        }
        return [
          make(
            source.locate([...nodePath, 'type']),
            'unknown-node-type',
            `unknown node type ${JSON.stringify(value)}; expected one of ${kinds}`,
            [...nodePath, 'type'],
          ),
        ];
      }
      return [make(source.locate(path), 'invalid-value', issue.message)];
    }
    case 'invalid_type': {
      const parent = path.slice(0, -1);
      const field = path[path.length - 1];
      const parentValue = valueAt(source.value, parent);
      const missing =
        field !== undefined &&
        isRecord(parentValue) &&
        !(String(field) in parentValue) &&
        typeof field === 'string';
      if (missing) {
        return [make(source.locate(parent), 'missing-field', `missing required field '${field}'`)];
      }
      if (path.length === 0) {
        return [make(source.locate([]), 'invalid-value', 'the definition must be a YAML map of fields')];
      }
      return [
        make(
          source.locate(path),
          'invalid-value',
          `${issue.message}, not ${describe(valueAt(source.value, path))}`,
        ),
      ];
    }
    default:
      return [make(source.locate(path), 'invalid-value', issue.message)];
  }
}

function allowedHint(source: SourceDocument, path: readonly PathSegment[]): string {
  if (path.length === 0) return `; allowed: ${TOP_LEVEL_FIELDS.join(', ')}`;
  const type = valueAt(source.value, [...path, 'type']);
  if (typeof type !== 'string' || path.length !== 2 || path[0] !== 'nodes') return '';
  const fields = NODE_FIELDS[type];
  return fields
    ? ` in ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} node; allowed: ${fields.join(', ')}`
    : '';
}

export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a map';
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${JSON.stringify(value) ?? 'undefined'}`;
}
