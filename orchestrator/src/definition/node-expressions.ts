import { capabilityExpressions, type SyncCapabilityCatalog } from './capability-parameters';
import type { PathSegment } from './diagnostic';
import { isRecord } from './schema-diagnostics';

/**
 * The JSONata expressions over the context that one node evaluates, each with its path in the definition:
 * a choice's `when`s, a set node's `values`, a wait's `until`, a map's `items`, the `input` of an
 * async_request or sub_workflow, and the fields of a sync_call's `with` its capability declares as
 * expressions. The one list of them: the context-key analysis checks these, and `wf run` explains a failed
 * expression from them. Only text values count; the node schema reports anything else.
 */
export function nodeExpressions(
  name: string,
  node: Record<string, unknown>,
  /** The deployment's sync capabilities: which fields of a sync_call's `with` are expressions. */
  syncCapabilities: SyncCapabilityCatalog = {},
): { readonly text: string; readonly path: readonly PathSegment[] }[] {
  const found: { text: string; path: readonly PathSegment[] }[] = [];
  const expression = (text: unknown, path: readonly PathSegment[]) => {
    if (typeof text === 'string') found.push({ text, path });
  };
  if (node.type === 'choice' && Array.isArray(node.choices)) {
    node.choices.forEach((choice: unknown, i) => {
      if (isRecord(choice)) expression(choice.when, ['nodes', name, 'choices', i, 'when']);
    });
  }
  if (node.type === 'set' && isRecord(node.values)) {
    for (const [key, text] of Object.entries(node.values)) expression(text, ['nodes', name, 'values', key]);
  }
  if (node.type === 'wait') expression(node.until, ['nodes', name, 'until']);
  if (node.type === 'map') expression(node.items, ['nodes', name, 'items']);
  if (node.type === 'async_request' || node.type === 'sub_workflow') {
    expression(node.input, ['nodes', name, 'input']);
  }
  found.push(...capabilityExpressions(name, node, syncCapabilities));
  return found;
}
