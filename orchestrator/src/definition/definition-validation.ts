import { builtinSyncCapabilities } from '../sync-capabilities/registry';
import type { SyncCapabilityCatalog } from './capability-parameters';
import type { Diagnostic } from './diagnostic';
import { hasErrors, sortDiagnostics } from './diagnostic';
import { DEFINITION_LIMITS } from './limits';
import { nodeNameDiagnostics, schemaDiagnostics } from './schema-diagnostics';
import { semanticChecks, tooManyNodes, type KeyFlow } from './semantic-checks';
import { SourceDocument } from './source-document';
import { workflowDefinitionSchema, type WorkflowDefinition } from './workflow-schema';

export interface ValidateOptions {
  /**
   * The registered synchronous capabilities (ids and `with` schemas); by default the deployment's
   * (sync-capabilities/registry.ts).
   */
  readonly syncCapabilities?: SyncCapabilityCatalog;
  /**
   * The definition is one an instance already runs (a pinned snapshot): rules added to spare authors a
   * definition that could only fail later (see `SemanticCheckOptions.pinned`) only warn, so an instance
   * started before such a rule existed goes on as it did instead of failing every message.
   */
  readonly pinned?: boolean;
  /**
   * The warnings-only analysis of keys a node may use before any path gives them (`uncertain-key`).
   * `validateDefinition` passes it; the orchestrator, which acts on errors only, leaves it out and so
   * does not carry it in its bundle.
   */
  readonly keyFlow?: KeyFlow;
}

export interface ValidationResult {
  /** Present only when there is no error (warnings allowed). */
  readonly definition?: WorkflowDefinition;
  /** Every problem found, errors and warnings, in source order (at most DEFINITION_LIMITS.maxErrors errors + 1). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses and checks a workflow definition, reporting every problem at once. Never throws on any input:
 * the only way out is a result, so hostile text cannot crash a caller or a batch.
 */
export function validateDefinitionCore(
  file: string,
  text: string,
  options: ValidateOptions = {},
): ValidationResult {
  const { source, diagnostics } = SourceDocument.parse(file, text);
  if (source.value === undefined) return { diagnostics: bounded(diagnostics) };
  if (source.value === null) {
    diagnostics.push({
      severity: 'error',
      code: 'empty',
      message: 'the definition is empty',
      file,
      line: 1,
      column: 1,
      path: '',
    });
    return { diagnostics: bounded(diagnostics) };
  }
  const tooMany = tooManyNodes(source);
  if (tooMany) return { diagnostics: bounded([...diagnostics, tooMany]) };

  const parsed = workflowDefinitionSchema.safeParse(source.value);
  if (!parsed.success) diagnostics.push(...schemaDiagnostics(source, parsed.error.issues));
  diagnostics.push(...nodeNameDiagnostics(source));
  diagnostics.push(
    ...semanticChecks(source, {
      syncCapabilities: options.syncCapabilities ?? builtinSyncCapabilities,
      pinned: options.pinned ?? false,
      ...(options.keyFlow ? { keyFlow: options.keyFlow } : {}),
    }),
  );
  const sorted = bounded(withoutProtoFollowOns(diagnostics));
  return parsed.success && !hasErrors(sorted)
    ? { definition: parsed.data, diagnostics: sorted }
    : { diagnostics: sorted };
}

/**
 * A map whose only key is `__proto__` reads as empty to the schema: "must set at least one key" there only
 * repeats the error at that key.
 */
function withoutProtoFollowOns(diagnostics: Diagnostic[]): Diagnostic[] {
  const proto = new Set(
    diagnostics
      .filter((d) => d.path.endsWith('.__proto__'))
      .map((d) => d.path.slice(0, -'.__proto__'.length)),
  );
  return diagnostics.filter((d) => !(proto.has(d.path) && d.message === 'must set at least one key'));
}

/**
 * Sorted, without repeats, and cut where the errors (or the warnings) pass DEFINITION_LIMITS.maxErrors, with one
 * final diagnostic there saying the report stops, so a file with thousands of problems gives a readable (and
 * bounded) report.
 */
function bounded(diagnostics: Diagnostic[]): Diagnostic[] {
  const sorted = sortDiagnostics(dedupe(diagnostics));
  const limit = DEFINITION_LIMITS.maxErrors;
  const seen = { error: 0, warning: 0 };
  for (let i = 0; i < sorted.length; i++) {
    const d = sorted[i] as Diagnostic;
    if (seen[d.severity] === limit) {
      const what = d.severity === 'error' ? 'errors' : 'warnings';
      return [
        ...sorted.slice(0, i),
        {
          severity: d.severity,
          code: `too-many-${what}`,
          message: `too many ${what}; stopping after ${limit}`,
          file: d.file,
          line: d.line,
          column: d.column,
          path: '',
        },
      ];
    }
    seen[d.severity]++;
  }
  return sorted;
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
