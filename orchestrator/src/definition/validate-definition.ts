import { BUILTIN_SYNC_CAPABILITY_IDS } from '../sync-capabilities/registry';
import type { Diagnostic } from './diagnostic';
import { hasErrors, sortDiagnostics } from './diagnostic';
import { schemaDiagnostics } from './schema-diagnostics';
import { semanticChecks } from './semantic-checks';
import { SourceDocument } from './source-document';
import { workflowDefinitionSchema, type WorkflowDefinition } from './workflow-schema';

export interface ValidateOptions {
  /** Ids of the registered synchronous capabilities; the built-ins by default. */
  readonly syncCapabilityIds?: ReadonlySet<string>;
}

export interface ValidationResult {
  /** Present only when there is no error (warnings allowed). */
  readonly definition?: WorkflowDefinition;
  /** Every problem found, errors and warnings, in source order. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses and checks a workflow definition, reporting every problem at once. Never throws on any input:
 * the only way out is a result, so hostile text cannot crash a caller or a batch.
 */
export function validateDefinition(
  file: string,
  text: string,
  options: ValidateOptions = {},
): ValidationResult {
  const { source, diagnostics } = SourceDocument.parse(file, text);
  if (source.value === undefined) {
    if (!hasErrors(diagnostics)) {
      diagnostics.push({
        severity: 'error',
        code: 'empty',
        message: 'the definition is empty',
        file,
        line: 1,
        column: 1,
        path: '',
      });
    }
    return { diagnostics: sortDiagnostics(diagnostics) };
  }
  const parsed = workflowDefinitionSchema.safeParse(source.value);
  if (!parsed.success) diagnostics.push(...schemaDiagnostics(source, parsed.error.issues));
  diagnostics.push(
    ...semanticChecks(source, {
      syncCapabilityIds: options.syncCapabilityIds ?? BUILTIN_SYNC_CAPABILITY_IDS,
    }),
  );
  const sorted = sortDiagnostics(dedupe(diagnostics));
  return parsed.success && !hasErrors(sorted)
    ? { definition: parsed.data, diagnostics: sorted }
    : { diagnostics: sorted };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.column}:${d.path}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
