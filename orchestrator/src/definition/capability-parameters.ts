import { z } from 'zod';
import type { Diagnostic, PathSegment } from './diagnostic';
import { formatPath } from './diagnostic';
import { isRecord, nestedSchemaDiagnostics } from './schema-diagnostics';
import type { SourceDocument } from './source-document';

/**
 * What validation knows of the deployment's sync capabilities: their ids, and for each the schema of a
 * node's `with` (none: the capability takes no `with`). A registry's capabilities are such a catalog.
 */
export type SyncCapabilityCatalog = Readonly<Record<string, { readonly parameters?: z.ZodType }>>;

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
