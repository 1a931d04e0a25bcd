import { edgesOf } from '../definition/node-edges';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { visitLimitOf } from '../graph/compile-workflow';
import { visitLimitError } from '../graph/visit-limit';
import { helperState } from './asl-names';
import type { ChoiceState, PassState } from './asl-types';

/**
 * The engine's `max_visits` rule in the state machine: a node that runs once more than its limit fails
 * the scope with MAX_VISITS_EXCEEDED (past its `on_failure`). Only a node that can run again (one on a
 * cycle of the definition's graph) can exceed it, so only those are counted, and a workflow without a
 * loop pays nothing. sub_workflow and map nodes are counted by their start step instead (their visit
 * names the child), and parallel and end nodes are not counted by the engine either.
 *
 * A counted node X is entered through Choice `X.visit` (its count so far at or over the limit:
 * Pass `X.too-many-visits`, which records the engine's error, then the scope's failure), then Pass
 * `X.count` (the count plus one, with `States.MathAdd`), then X. Counts live at `$.counts.<X>.n`, set to 0
 * by the machine's first state (`workflow.counts`), carried through Parallel states by their merge.
 */
export class VisitCounting {
  /** Each counted node and its limit. */
  readonly limits: ReadonlyMap<string, number>;

  constructor(definition: WorkflowDefinition) {
    const limits = new Map<string, number>();
    for (const name of onCycles(definition)) {
      const kind = definition.nodes[name]?.type;
      if (kind === undefined || UNCOUNTED.has(kind)) continue;
      limits.set(name, visitLimitOf(definition, name));
    }
    this.limits = limits;
  }

  /** The state a step into `node` goes to: its count's check when it is counted, else the node. */
  entryOf(node: string): string {
    return this.limits.has(node) ? helperState.visit(node) : node;
  }

  /** The first state of the machine, which sets every count to 0; none when nothing is counted. */
  initialState(first: string): PassState | undefined {
    if (this.limits.size === 0) return undefined;
    return {
      Type: 'Pass',
      Comment: 'Visits of the nodes on a loop, for their max_visits',
      Result: Object.fromEntries([...this.limits.keys()].map((node) => [node, { n: 0 }])),
      ResultPath: '$.counts',
      Next: this.entryOf(first),
    };
  }

  /** The check, the error and the count of `node` (it must be counted), by state name. */
  statesOf(node: string, failure: string): Record<string, ChoiceState | PassState> {
    const limit = this.limits.get(node);
    if (limit === undefined) return {};
    const error = visitLimitError(node, limit + 1, limit);
    return {
      [helperState.visit(node)]: {
        Type: 'Choice',
        Comment: `${node} may run ${limit} times (max_visits)`,
        Choices: [
          {
            Variable: `$.counts.${node}.n`,
            NumericGreaterThanEquals: limit,
            Next: helperState.tooManyVisits(node),
          },
        ],
        Default: helperState.count(node),
      },
      [helperState.tooManyVisits(node)]: {
        Type: 'Pass',
        Comment: `${node} would run once more than its max_visits`,
        Result: { Error: 'MAX_VISITS_EXCEEDED', Cause: JSON.stringify(error) },
        ResultPath: '$.last_error',
        Next: failure,
      },
      [helperState.count(node)]: {
        Type: 'Pass',
        Comment: `${node} runs once more`,
        Parameters: { 'n.$': `States.MathAdd($.counts.${node}.n, 1)` },
        ResultPath: `$.counts.${node}`,
        Next: node,
      },
    };
  }
}

/** The engine counts no visits of these kinds, or counts them in their own step. */
const UNCOUNTED = new Set(['parallel', 'end', 'sub_workflow', 'map']);

/** The nodes from which some path of the definition's graph leads back to themselves. */
function onCycles(definition: WorkflowDefinition): Set<string> {
  const successors = new Map<string, string[]>();
  for (const [name, node] of Object.entries(definition.nodes)) {
    successors.set(
      name,
      edgesOf(name, node).map((e) => e.to),
    );
  }
  const cyclic = new Set<string>();
  for (const start of successors.keys()) {
    const seen = new Set<string>();
    const stack = [...(successors.get(start) ?? [])];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      if (current === start) {
        cyclic.add(start);
        break;
      }
      if (seen.has(current)) continue;
      seen.add(current);
      stack.push(...(successors.get(current) ?? []));
    }
  }
  return cyclic;
}
