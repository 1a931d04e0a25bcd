import type { DefaultOutput } from '../capability-mocks/capability-mocks';
import { keysRead } from '../definition/context-key-flow';
import { nodeExpressions } from '../definition/node-expressions';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import type { InstanceStatusView } from '../runtime/instance-record';
import { builtinSyncCapabilities } from '../sync-capabilities/registry';
import { contextPlaceholder } from './context-placeholders';

export interface StandInValueHintInput {
  /** The final view of the run. */
  readonly view: InstanceStatusView;
  /** The definition the instance ran. */
  readonly definition: WorkflowDefinition;
  /** The run started from placeholders (no `--context`). */
  readonly placeholders: boolean;
  /** How the run's mocked capabilities fill an expected output key their script leaves unset. */
  readonly defaultOutput?: DefaultOutput;
}

/**
 * The failures an expression's value causes: one that fails on a value (a comparison of text with a
 * number), a wait's `until` that is no time, an `input` that is no object.
 */
const STAND_IN_FAILURES: ReadonlySet<string> = new Set([
  'EXPRESSION_FAILED',
  'INVALID_WAIT',
  'INVALID_INPUT',
]);

/**
 * `wf run` without `--mocks` or `--context` runs on stand-in values: text such as
 * `mock://billing#quote/total` (a default mock reply) and `sample-amount` (a placeholder). An expression
 * that compares one with a number fails EXPRESSION_FAILED in JSONata's words, which do not say where the
 * value came from (and a wait's `until` of one fails INVALID_WAIT). This names each key the failed node's expressions read that holds a stand-in value, and
 * how to give it a real one; undefined when the run did not fail so or no such key is read.
 *
 * A value counts as a stand-in only when it is exactly what the producer would have made (the placeholder
 * of that key, the default output of a node that requests that key): a real value that merely looks alike
 * is not one, and the producers stay the one place the formats are written.
 */
export function standInValueHint(input: StandInValueHintInput): string | undefined {
  const { view, definition } = input;
  const failed = view.error?.node;
  if (view.status !== 'FAILED' || !STAND_IN_FAILURES.has(view.error?.code ?? '') || failed === undefined) {
    return undefined;
  }
  if (!Object.hasOwn(definition.nodes, failed)) return undefined;
  const node = definition.nodes[failed] as Record<string, unknown>;
  const read = new Set(
    nodeExpressions(failed, node, builtinSyncCapabilities).flatMap(({ text }) =>
      keysRead(text).map((r) => r.key),
    ),
  );
  const initial = definition.initial_context ?? [];
  // What a real value looks like in the examples: a time where a wait's `until` wanted one.
  const real = view.error?.code === 'INVALID_WAIT' ? '"2030-01-31T09:00:00Z"' : '150';
  const lines: string[] = [];
  for (const key of read) {
    if (!Object.hasOwn(view.context, key)) continue;
    const value = view.context[key];
    const reply =
      input.defaultOutput && defaultReply(definition, view.instance_id, value, input.defaultOutput);
    if (reply) {
      lines.push(
        `  ${key} = ${JSON.stringify(value)}: the default mock reply of ${reply.capability}; script a real one with --mocks file.yaml, e.g. '${reply.capability}': { outputs: { ${yamlKey(reply.output)}: ${real} } }`,
      );
    } else if (input.placeholders && initial.includes(key) && value === contextPlaceholder(key)) {
      // --context replaces every placeholder, so the example gives each initial_context key.
      const example = `{${initial.map((k) => `${JSON.stringify(k)}: ${k === key ? real : '...'}`).join(', ')}}`;
      lines.push(
        `  ${key} = ${JSON.stringify(value)}: a placeholder (no --context); give real values with --context '${example}'`,
      );
    }
  }
  if (lines.length === 0) return undefined;
  return [`hint: the expressions of ${failed} read stand-in values, not real data:`, ...lines].join('\n');
}

/** The async_request and output key whose default reply is `value`, if one is. */
function defaultReply(
  definition: WorkflowDefinition,
  instanceId: string,
  value: unknown,
  defaultOutput: DefaultOutput,
): { capability: string; output: string } | undefined {
  for (const [name, node] of Object.entries(definition.nodes)) {
    if (node.type !== 'async_request') continue;
    const request = { capability_id: node.capability_id, instance_id: instanceId, node: name };
    for (const output of node.request_output_keys ?? []) {
      if (defaultOutput(request, output) === value) return { capability: node.capability_id, output };
    }
  }
  return undefined;
}

/** A mocks-file key as YAML takes it: bare when it is a plain name, else quoted. */
function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
}
