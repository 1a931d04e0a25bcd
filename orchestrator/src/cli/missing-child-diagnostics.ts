import { dirname, join } from 'node:path';
import type { Diagnostic } from '../definition/diagnostic';
import { formatPath } from '../definition/diagnostic';
import { SourceDocument } from '../definition/source-document';
import type { ChildDefinitionSearch } from './child-definitions';

/**
 * `wf run` loads the definitions a workflow starts only from the folder of the file it runs (searched by
 * searchChildDefinitions), so a sub_workflow or map whose child has no file there could never start: the
 * instance would fail UNKNOWN_WORKFLOW when it got there, after the steps before it ran. One error per such
 * node, at its workflow_id (or definition_key) in the file that has the node: `display` with its `text`
 * for the file run, else the found child's file beside it. Files are named as `display` is, so the user
 * sees the paths they gave.
 */
export function missingChildDiagnostics(
  display: string,
  text: string,
  search: ChildDefinitionSearch,
): Diagnostic[] {
  const dir = dirname(display);
  const texts = new Map(search.found.map((child) => [child.key, child.text]));
  // The file run's own nodes first, then those of the children found beside it (a stable sort).
  const ownFirst = [...search.missing].sort(
    (a, b) => Number(a.parentKey !== undefined) - Number(b.parentKey !== undefined),
  );
  return ownFirst.map((m) => {
    const file = m.parentKey === undefined ? display : join(dir, m.parentKey);
    const { source } = SourceDocument.parse(
      file,
      m.parentKey === undefined ? text : (texts.get(m.parentKey) ?? ''),
    );
    const path = ['nodes', m.node, m.field];
    const at = source.locate(path);
    const lookedFor = join(dir, m.key);
    const from = m.field === 'definition_key' ? ` from definition_key '${m.key}'` : '';
    return {
      severity: 'error',
      code: 'missing-child-definition',
      message: `${m.type} '${m.node}' starts workflow '${m.workflowId}'${from}, but there is no file ${lookedFor}: wf run loads the definitions a workflow starts only from the folder of the file it runs, so the child could never start; add that file, or correct ${m.field}`,
      file,
      line: at.line,
      column: at.column,
      path: formatPath(path),
    };
  });
}
