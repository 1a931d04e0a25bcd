import type { Diagnostic } from '../definition/diagnostic';
import { formatPath, sortDiagnostics } from '../definition/diagnostic';
import { SourceDocument } from '../definition/source-document';
import { validateDefinition, type ValidateOptions } from '../definition/validate-definition';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { BranchStructure, TOP, type Scope } from '../graph/branch-structure';
import type { AslProblem } from './asl-problem';
import { MAX_STATE_NAME_LENGTH, WORKFLOW_COUNTS_STATE } from './asl-names';
import { VisitCounting } from './visit-counting';
import type { StateMachineBody, StateMachineDefinition } from './asl-types';
import { compileAsyncRequest } from './async-request-states';
import { compileChoice } from './choice-states';
import { compileMap, compileSubWorkflow, type ChildDefinitions } from './child-states';
import { ScopeStates } from './compile-scope';
import { compileEnd } from './end-states';
import { compileParallel } from './parallel-states';
import { compileSet } from './set-states';
import { compileSyncCall } from './sync-call-states';
import { compileWait } from './wait-states';

export interface AslCompilation {
  /** Present only when nothing stood in the way. */
  readonly machine?: StateMachineDefinition;
  readonly problems: readonly AslProblem[];
  /**
   * The workflow ids whose state machines the machine starts (its sub_workflow and map children), each
   * ARN a `childMachinePlaceholder` the deployment replaces.
   */
  readonly children: readonly string[];
}

export interface AslOptions {
  /**
   * The definitions of the children it starts, by workflow id: each child's `initial_context` is
   * checked when it starts, as the engine's START checks it. A child the compiler cannot find is a
   * problem (`asl-child-unknown`): its state machine must be deployed with this one.
   */
  readonly children?: ChildDefinitions;
}

/**
 * Compiles a validated definition to an Amazon States Language state machine that runs it as the engine
 * does (see the node compilers for how each kind maps, and docs/step-functions.md for the whole
 * contract). Whatever ASL cannot express is a problem naming its node, and then there is no machine:
 * never a state machine that would run a different workflow.
 */
export function compileAsl(definition: WorkflowDefinition, options: AslOptions = {}): AslCompilation {
  const problems: AslProblem[] = [];
  const children = childWorkflowIds(definition);
  const known: ChildDefinitions = options.children ?? (() => undefined);
  if (options.children) {
    for (const [name, node] of Object.entries(definition.nodes)) {
      if ((node.type === 'sub_workflow' || node.type === 'map') && !known(node.workflow_id)) {
        problems.push({
          code: 'asl-child-unknown',
          node: name,
          path: ['nodes', name, 'workflow_id'],
          message: `node ${name}: no valid definition of workflow ${node.workflow_id} was found beside this one, and its child runs on that workflow's own state machine, deployed with it`,
        });
      }
    }
  }
  for (const name of Object.keys(definition.nodes)) {
    if (name.length > MAX_STATE_NAME_LENGTH) {
      problems.push({
        code: 'asl-state-name-too-long',
        node: name,
        path: ['nodes', name],
        message: `node ${name}: a Step Functions state name has at most ${MAX_STATE_NAME_LENGTH} characters, this one ${name.length}`,
      });
    }
  }
  const branches = new BranchStructure(definition);
  const counting = new VisitCounting(definition);
  const top = compileScope(definition, branches, TOP, definition.entry_point, problems, known, counting);
  const counts = counting.initialState(definition.entry_point);
  if (problems.length > 0) return { problems: dedupe(problems), children };
  const version = definition.version === undefined ? '' : ` version ${definition.version}`;
  return {
    machine: {
      Comment: `${definition.workflow_name} (${definition.workflow_id}${version}), compiled by wf asl`,
      QueryLanguage: 'JSONPath',
      ...(counts
        ? { StartAt: WORKFLOW_COUNTS_STATE, States: { [WORKFLOW_COUNTS_STATE]: counts, ...top.States } }
        : top),
    },
    problems: [],
    children,
  };
}

function compileScope(
  definition: WorkflowDefinition,
  branches: BranchStructure,
  scope: Scope,
  first: string,
  problems: AslProblem[],
  children: ChildDefinitions,
  counting: VisitCounting,
): StateMachineBody {
  const states = new ScopeStates(definition, branches, scope, first, problems, counting);
  for (const name of branches.nodesIn(scope)) {
    const node = definition.nodes[name];
    if (!node) continue;
    switch (node.type) {
      case 'async_request':
        compileAsyncRequest(states, name, node, definition.workflow_id);
        break;
      case 'sync_call':
        compileSyncCall(states, name, node);
        break;
      case 'choice':
        compileChoice(states, name, node);
        break;
      case 'parallel':
        compileParallel(states, name, node, (branch) =>
          compileScope(
            definition,
            branches,
            { kind: 'branch', parallel: name, branch },
            branch,
            problems,
            children,
            counting,
          ),
        );
        break;
      case 'end':
        compileEnd(states, name, node);
        break;
      case 'set':
        compileSet(states, name, node);
        break;
      case 'wait':
        compileWait(states, name, node);
        break;
      case 'sub_workflow':
        compileSubWorkflow(states, name, node, children);
        break;
      case 'map':
        compileMap(states, name, node, children);
        break;
      default: {
        const unknown: never = node;
        throw new Error(`no ASL form for node ${name} (${JSON.stringify(unknown)})`);
      }
    }
    states.countVisits(name);
  }
  return states.body();
}

/** The child workflow ids a definition starts, each once, in definition order. */
function childWorkflowIds(definition: WorkflowDefinition): string[] {
  const ids = Object.values(definition.nodes).flatMap((node) =>
    node.type === 'sub_workflow' || node.type === 'map' ? [node.workflow_id] : [],
  );
  return [...new Set(ids)];
}

function dedupe(problems: readonly AslProblem[]): AslProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}:${formatPath(p.path)}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface AslSourceCompilation {
  readonly machine?: StateMachineDefinition;
  /** The definition's own diagnostics (errors and warnings), then the compiler's, each located. */
  readonly diagnostics: readonly Diagnostic[];
  /** The child workflow ids the machine starts (empty when the definition is invalid). */
  readonly children: readonly string[];
}

/**
 * Validates a definition's text, then compiles it; every problem is a diagnostic with its file, line and
 * column, as `wf validate` reports them. No machine unless the definition is valid and compiles.
 */
export function compileAslSource(
  file: string,
  text: string,
  options: ValidateOptions & AslOptions = {},
): AslSourceCompilation {
  const { definition, diagnostics } = validateDefinition(file, text, options);
  if (!definition) return { diagnostics, children: [] };
  const { machine, problems, children } = compileAsl(definition, options);
  if (!machine) {
    return {
      diagnostics: sortDiagnostics([...diagnostics, ...locatedProblems(file, text, problems)]),
      children,
    };
  }
  return { machine, diagnostics, children };
}

/** The compiler's problems as diagnostics of `file`: one with the node itself at its name, one with a field at its value. */
export function locatedProblems(file: string, text: string, problems: readonly AslProblem[]): Diagnostic[] {
  const { source } = SourceDocument.parse(file, text);
  return problems.map((p) => {
    const { line, column } = p.path.length === 2 ? source.locateEntry(p.path) : source.locate(p.path);
    return {
      severity: 'error',
      code: p.code,
      message: p.message,
      file,
      line,
      column,
      path: formatPath(p.path),
    };
  });
}
