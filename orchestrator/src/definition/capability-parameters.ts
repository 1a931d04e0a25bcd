import { z } from 'zod';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { isRecord, nestedSchemaDiagnostics } from './schema-diagnostics';
import type { SourceDocument } from './source-document';

/**
 * A field of a capability's `with` that is a JSONata expression over the context: `'url'` (the field's
 * text), or `{ each: 'query' }` (a map whose text values are expressions; other values, such as a header
 * read from a secret, are not). Typed by the capability's parameters `P`, so a misspelt field does not
 * compile; erased (any field name) where capabilities of different parameter types are listed together.
 */
export type ExpressionField<P = unknown> = unknown extends P
  ? string | { readonly each: string }
  : (keyof P & string) | { readonly each: keyof P & string };

/**
 * What validation knows of the deployment's sync capabilities: their ids, and for each the schema of a
 * node's `with` (none: the capability takes no `with`) and which of its fields are JSONata expressions
 * over the context (the context-key analysis reads them as it reads a `when`). A registry's capabilities
 * are such a catalog.
 */
export type SyncCapabilityCatalog = Readonly<
  Record<string, { readonly parameters?: z.ZodType; readonly expressionFields?: readonly ExpressionField[] }>
>;

/**
 * The JSONata expressions of one sync_call's `with` that its capability declares, each with its path: what
 * the context-key analysis checks. Nothing for an unknown capability or a `with` that is no map.
 */
export function capabilityExpressions(
  name: string,
  node: Record<string, unknown>,
  catalog: SyncCapabilityCatalog,
): { readonly text: string; readonly path: readonly PathSegment[] }[] {
  const id = node.capability_id;
  if (node.type !== 'sync_call' || typeof id !== 'string' || !Object.hasOwn(catalog, id)) return [];
  const params = node.with;
  if (!isRecord(params)) return [];
  const found: { text: string; path: PathSegment[] }[] = [];
  for (const field of catalog[id]?.expressionFields ?? []) {
    const key = typeof field === 'string' ? field : field.each;
    const value = params[key];
    if (typeof field === 'string') {
      if (typeof value === 'string') found.push({ text: value, path: ['nodes', name, 'with', key] });
    } else if (isRecord(value)) {
      for (const [entry, text] of Object.entries(value)) {
        if (typeof text === 'string') found.push({ text, path: ['nodes', name, 'with', key, entry] });
      }
    }
  }
  return found;
}

/**
 * The problems of one sync_call's `with` against its capability's schema, located like the definition's
 * own. Nothing for an unknown capability (reported as such) or a `with` that is no map (the node schema
 * says so).
 */
export function capabilityParameterDiagnostics(
  source: SourceDocument,
  name: string,
  node: Record<string, unknown>,
  catalog: SyncCapabilityCatalog,
): Diagnostic[] {
  const id = node.capability_id;
  if (node.type !== 'sync_call' || typeof id !== 'string' || !Object.hasOwn(catalog, id)) return [];
  const base: PathSegment[] = ['nodes', name];
  const schema = catalog[id]?.parameters;
  const given = Object.hasOwn(node, 'with');
  const at = (code: string, message: string, position = source.locateKey(base, 'with')): Diagnostic => ({
    severity: 'error',
    code,
    message,
    file: source.file,
    line: position.line,
    column: position.column,
    path: formatPath([...base, 'with']),
  });
  if (schema === undefined) {
    return given ? [at('unexpected-parameters', `capability '${id}' takes no parameters; remove with`)] : [];
  }
  const fields = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  if (!given) {
    if (schema.safeParse(undefined).success) return [];
    const listed = fields.length > 0 ? ` (${fields.join(', ')})` : '';
    return [
      at(
        'missing-field',
        `missing required field 'with': capability '${id}' needs its parameters${listed}`,
        source.locateKey(['nodes'], name),
      ),
    ];
  }
  if (!isRecord(node.with)) return [];
  const parsed = schema.safeParse(node.with);
  if (parsed.success) return [];
  return nestedSchemaDiagnostics(source, parsed.error.issues, [...base, 'with'], (path) =>
    path.length === base.length + 1 ? { fields, where: `the with of capability '${id}'` } : undefined,
  );
}
