import { basename, extname } from 'node:path';
import type { Diagnostic } from '../definition/diagnostic';
import { SourceDocument } from '../definition/source-document';

/**
 * A definition file not named after its workflow_id. It is valid, and `wf start <file>` starts it under its
 * file name; but a START by workflow_id, and a `sub_workflow` or `map` naming it, look for
 * `<workflow_id>.yaml`, and find nothing (or another file). A warning, at the workflow_id.
 */
export function fileNameWarning(display: string, text: string, workflowId: string): Diagnostic | undefined {
  const name = basename(display);
  const stem = name.slice(0, name.length - extname(name).length);
  if (stem === workflowId) return undefined;
  const at = SourceDocument.parse(display, text).source.locate(['workflow_id']);
  return {
    severity: 'warning',
    code: 'file-name',
    message: `workflow_id '${workflowId}' is not the file's name (${name}): a START by workflow_id, a sub_workflow and a map look for '${workflowId}.yaml'; name the file after its workflow_id, or start it by its file`,
    file: display,
    line: at.line,
    column: at.column,
    path: 'workflow_id',
  };
}
