/** One problem found in a workflow definition, located in its source file. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  /** Stable machine-readable code, e.g. `unknown-target`. */
  readonly code: string;
  /** A plain sentence saying what is wrong. */
  readonly message: string;
  readonly file: string;
  /** 1-based line and column of the offending source text. */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the offending value inside the definition, e.g. `nodes.Fetch.on_response`. */
  readonly path: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? `${d.path}: ` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${where}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  return path.map((s) => String(s)).join('.');
}
