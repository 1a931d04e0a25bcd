import { compileAsl, locatedProblems } from '../../../orchestrator/src/asl/compile-asl';
import type { Diagnostic } from '../../../orchestrator/src/definition/diagnostic';
import { sortDiagnostics } from '../../../orchestrator/src/definition/diagnostic';
import { SourceDocument } from '../../../orchestrator/src/definition/source-document';
import { validateDefinition } from '../../../orchestrator/src/definition/validate-definition';
import type { WorkflowDefinition } from '../../../orchestrator/src/definition/workflow-schema';
import { definitionFilesIn, type DefinitionFile } from '../../../orchestrator/src/naming/definition-files';
import type { EngineKind } from './engine-context';

/** A definition to deploy as a state machine: compiled by `wf asl`'s compiler at synth. */
export interface DeployedDefinition {
  readonly workflowId: string;
  readonly initialContext: readonly string[];
  readonly asl: string;
  /**
   * The workflow ids of the children its sub_workflow and map nodes start, each a nested execution of that
   * child's state machine (deployed with this one), whose ARN replaces `childMachinePlaceholder(id)`.
   */
  readonly children: readonly string[];
  /**
   * A top-level definition, which callers START (the command bridge's CCH_WORKFLOWS, the orchestrator's
   * forwarding in a mixed deployment). False for a definition in a subfolder, deployed only because a
   * state machine starts it as a child.
   */
  readonly topLevel: boolean;
}

/** One definition file, read by the validator (its workflow id read raw when it is invalid). */
interface Entry {
  readonly file: DefinitionFile;
  readonly workflowId: string;
  readonly topLevel: boolean;
  readonly definition?: WorkflowDefinition;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The state machines of Step Functions mode over the YAMLs of `dir`: each top-level definition whose
 * workflow runs on Step Functions (`engineOf` its id is `stepfunctions`; default all), and every definition
 * such a machine starts as a child (sub_workflow, map), transitively, wherever its file sits (subfolders
 * too), found by workflow id. A child's own place in `engineOf` matters only when it says `langgraph`: a
 * Step Functions parent starts its children as nested executions, so that child must have a machine, and
 * the synth fails. (An engine parent of the same child keeps starting it on the engine: no conflict.)
 *
 * The synth fails, with every definition's diagnostics (`file:line:col: message`, as `wf validate`), when
 * one of them does not compile, a child is missing (the compiler's `asl-child-unknown`), or two files
 * declare a workflow id that is deployed. A definition left to the engine and never started by a machine
 * is not compiled. Workflow ids and `initial_context` are read by the validator, whatever the YAML style.
 */
export function definitionsIn(
  dir: string,
  engineOf: (workflowId: string) => EngineKind | undefined = () => 'stepfunctions',
): DeployedDefinition[] {
  const byId = new Map<string, Entry[]>();
  for (const entry of definitionFilesIn(dir).map(readEntry)) {
    byId.set(entry.workflowId, [...(byId.get(entry.workflowId) ?? []), entry]);
  }
  // A child declared twice is reported once, as a duplicate, and does not fail its parents' compilation too.
  const children = (workflowId: string) => byId.get(workflowId)?.find((e) => e.definition)?.definition;

  const errors: string[] = [];
  const deployed: DeployedDefinition[] = [];
  const seen = new Set<string>();
  const roots = [...byId.values()]
    .flat()
    .filter((e) => e.topLevel && engineOf(e.workflowId) === 'stepfunctions')
    .map((e) => e.workflowId);
  const queue = [...new Set(roots)];
  /** Child workflow id -> the Step Functions parents that start it. */
  const startedBy = new Map<string, string[]>();
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const entries = byId.get(id) ?? [];
    if (entries.length > 1) {
      errors.push(
        `workflow_id ${id} is declared by ${entries.length} files: ${entries.map((e) => e.file.name).join(', ')} (Step Functions mode deploys one state machine per workflow id)`,
      );
      continue;
    }
    const entry = entries[0];
    if (!entry) continue; // A child no file declares: its parent's asl-child-unknown says so.
    const parents = startedBy.get(id);
    if (parents !== undefined && engineOf(id) === 'langgraph') {
      errors.push(childOnEngine(parents, byId, id));
      continue;
    }
    if (!entry.definition) {
      errors.push(cannotRun(entry.file.name, entry.diagnostics));
      continue;
    }
    const compiled = compileAsl(entry.definition, { children });
    for (const child of compiled.children) {
      startedBy.set(child, [...(startedBy.get(child) ?? []), id]);
      queue.push(child);
    }
    if (!compiled.machine) {
      const located = locatedProblems(entry.file.name, entry.file.text, compiled.problems);
      errors.push(cannotRun(entry.file.name, sortDiagnostics([...entry.diagnostics, ...located])));
      continue;
    }
    deployed.push({
      workflowId: id,
      initialContext: entry.definition.initial_context ?? [],
      asl: JSON.stringify(compiled.machine),
      children: compiled.children,
      topLevel: entry.topLevel,
    });
  }
  if (errors.length > 0) throw new Error(errors.join('\n\n'));
  return deployed.sort((a, b) => (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0));
}

function readEntry(file: DefinitionFile): Entry {
  const topLevel = !file.name.includes('/');
  const { definition, diagnostics } = validateDefinition(file.name, file.text);
  if (definition) return { file, workflowId: definition.workflow_id, topLevel, definition, diagnostics };
  // An invalid definition still answers to the workflow id it declares (so a parent finds it and reports
  // its diagnostics), else to its file name.
  const raw = SourceDocument.parse(file.name, file.text).source.value;
  const declared = (raw as { workflow_id?: unknown } | null | undefined)?.workflow_id;
  const workflowId =
    typeof declared === 'string' && declared !== ''
      ? declared
      : (file.name.split('/').pop() ?? file.name).replace(/\.ya?ml$/, '');
  return { file, workflowId, topLevel, diagnostics };
}

function cannotRun(file: string, diagnostics: readonly Diagnostic[]): string {
  return `${file} cannot run on Step Functions:\n${diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n')}`;
}

function childOnEngine(
  parents: readonly string[],
  byId: ReadonlyMap<string, Entry[]>,
  child: string,
): string {
  const starts = parents.map((parent) => {
    const entry = byId.get(parent)?.[0];
    const nodes = Object.entries(entry?.definition?.nodes ?? {})
      .filter(([, n]) => (n.type === 'sub_workflow' || n.type === 'map') && n.workflow_id === child)
      .map(([name]) => name);
    return `${entry?.file.name ?? parent}: workflow ${parent}, on Step Functions, starts ${child} (node ${nodes.join(', ')})`;
  });
  return `${starts.join('\n')}\nbut a Step Functions parent starts its children as nested executions; child ${child} runs on the engine in this deployment (CDK context 'engines'), so it has no state machine. Run the child on stepfunctions too, or the parent on langgraph.`;
}
