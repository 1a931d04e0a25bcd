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
  const prefix = base.length + 1;
  return nestedSchemaDiagnostics(source, parsed.error.issues, [...base, 'with'], (path) => {
    const map = objectAt(schema, path.slice(prefix));
    if (map === undefined) return undefined;
    const inner = path.slice(prefix).map(String).join('.');
    return {
      fields: Object.keys(map.shape),
      where: `${inner === '' ? 'the with' : `with.${inner}`} of capability '${id}'`,
    };
  });
}

/**
 * The object schema of the value at `path` inside `schema` (through optional, default, record, list and
 * union), for the fields a misspelt key may have meant; undefined where there is none.
 */
function objectAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodObject | undefined {
  let current: unknown = schema;
  for (let i = 0; ; i++) {
    current = unwrapped(current);
    if (i === path.length) return current instanceof z.ZodObject ? current : undefined;
    const segment = path[i];
    if (current instanceof z.ZodObject && typeof segment === 'string') {
      current = Object.hasOwn(current.shape, segment)
        ? (current.shape as Record<string, unknown>)[segment]
        : undefined;
    } else if (current instanceof z.ZodRecord) current = current.valueType;
    else if (current instanceof z.ZodArray) current = current.element;
    else return undefined;
  }
}

/** The schema inside optional and default wrappers; a union's first object option. */
function unwrapped(schema: unknown): unknown {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap();
    else if (current instanceof z.ZodDefault) current = current.removeDefault();
    else if (current instanceof z.ZodUnion) {
      return (current.options as readonly unknown[]).find((o) => unwrapped(o) instanceof z.ZodObject);
    } else return current;
  }
}
