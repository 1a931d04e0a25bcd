import type { PathSegment } from '../definition/diagnostic';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { sameScope, type BranchStructure, type Scope } from '../graph/branch-structure';
import type { AslProblem } from './asl-problem';
import type { AslState, JsonValue, StateMachineBody } from './asl-types';
import type { TerminatePayload } from '../step-functions/step-payloads';
import {
  FUNCTION_ARN_PLACEHOLDERS,
  helperState,
  LAMBDA_INVOKE,
  MAX_STATE_NAME_LENGTH,
  placeholder,
  terminateError,
  WORKFLOW_FAILED_STATE,
} from './asl-names';
import { TRANSIENT_RETRIER } from './lambda-retries';
import { sharedEndProblem } from './shared-end-guard';
import type { VisitCounting } from './visit-counting';
import { wholeSeconds } from './whole-seconds';

/** Where a step goes next, as a Task or Pass state says it. */
export type Flow = { readonly Next: string } | { readonly End: true };

/**
 * The states of one scope being compiled: the top level, or one branch of a parallel (a Parallel state's
 * branch is a state machine of its own, and a state can only go to a state of its own machine).
 */
export class ScopeStates {
  readonly states: Record<string, AslState> = {};

  constructor(
    readonly definition: WorkflowDefinition,
    readonly branches: BranchStructure,
    readonly scope: Scope,
    /** The scope's first node: the entry point, or the branch's first node. */
    readonly first: string,
    private readonly problems: AslProblem[],
    /** The nodes on a loop, entered through their visit check. */
    private readonly counting: VisitCounting,
  ) {}

  /** The scope as a state machine body: each node's state followed by its helpers, in definition order. */
  body(): StateMachineBody {
    const ordered: Record<string, AslState> = {};
    const names = Object.keys(this.states);
    for (const node of this.branches.nodesIn(this.scope)) {
      for (const name of [node, ...names.filter((n) => n.startsWith(`${node}.`))]) {
        if (!(name in this.states)) continue;
        ordered[name] = this.states[name] as AslState;
      }
    }
    for (const name of names) ordered[name] ??= this.states[name] as AslState;
    return { StartAt: this.counting.entryOf(this.first), States: ordered };
  }

  add(name: string, state: AslState): void {
    this.states[name] = state;
  }

  /**
   * A node's `timeout` as a task's TimeoutSeconds; one that is not whole seconds is a problem (Step
   * Functions times a task out after whole seconds only, and rounding would run another workflow).
   */
  timeoutSeconds(node: string, timeout: string): number | undefined {
    const seconds = wholeSeconds(timeout);
    if (seconds === undefined) {
      this.problem({
        code: 'asl-duration-not-whole-seconds',
        node,
        path: ['nodes', node, 'timeout'],
        message: `node ${node}: timeout ${timeout} is not a whole number of seconds, and a Step Functions task times out after whole seconds only`,
      });
    }
    return seconds;
  }

  /** The visit check and count of `node`, if it is on a loop (see VisitCounting). */
  countVisits(node: string): void {
    if (!this.counting.limits.has(node)) return;
    for (const [name, state] of Object.entries(this.counting.statesOf(node, this.failure()))) {
      this.add(this.helper(node, name), state);
    }
  }

  problem(problem: AslProblem): void {
    this.problems.push(problem);
  }

  /** A helper state's name for `node`, reported once if it is longer than a state name may be. */
  helper(node: string, name: string): string {
    if (
      name.length > MAX_STATE_NAME_LENGTH &&
      !this.problems.some((p) => p.code === NAME_TOO_LONG && p.node === node)
    ) {
      this.problem({
        code: NAME_TOO_LONG,
        node,
        path: ['nodes', node],
        message: `node ${node}: its Step Functions state '${name}' would be ${name.length} characters, more than the ${MAX_STATE_NAME_LENGTH} a state name may have; shorten the node name`,
      });
    }
    return name;
  }

  /**
   * How a step of `from` goes to `to`: to the node's state, or the end of this branch when `to` is the
   * parallel's join (the Parallel state then goes on to it). A step into another scope (into a branch
   * other than at the parallel, or out of one other than to its join) is a problem: ASL has no such
   * transition.
   */
  flow(from: string, to: string, path: readonly PathSegment[]): Flow {
    if (this.scope.kind === 'branch' && this.joinOf(this.scope.parallel) === to) return { End: true };
    if (this.scope.kind === 'branch' && this.definition.nodes[to]?.type === 'end') {
      const problem = sharedEndProblem(this.definition, this.branches, from, to, path);
      if (problem) this.problem(problem);
      return { Next: this.terminate(to) };
    }
    if (!sameScope(this.branches.scopeOf(to), this.scope)) {
      this.problem({
        code: 'asl-cross-scope-step',
        node: from,
        path,
        message: `node ${from} goes to ${to}, which is ${describeScope(this.branches.scopeOf(to))} while ${from} is ${describeScope(this.scope)}; a Step Functions state can only go to a state of its own branch (leave a branch through its join)`,
      });
    }
    return { Next: this.counting.entryOf(to) };
  }

  /** As `flow`, for a Catch or a Choice rule, which must name a state: the end of a branch is one. */
  target(from: string, to: string, path: readonly PathSegment[]): string {
    const flow = this.flow(from, to, path);
    if ('Next' in flow) return flow.Next;
    const done = this.helper(this.first, helperState.branchDone(this.first));
    this.states[done] ??= { Type: 'Succeed', Comment: `The branch reached ${to}` };
    return done;
  }

  /**
   * Where this branch goes to the shared end `end`: a Task (steps Lambda) that writes the branch's whole
   * state as JSON text, then a Fail state with `terminateError(end)` and that text as its cause. Failing is the
   * only way a Step Functions branch stops its siblings (as the engine stops them); each enclosing
   * Parallel's Catch carries the error on to `end` (see `endedAt`).
   */
  private terminate(end: string): string {
    const record = this.helper(this.first, helperState.toEnd(this.first, end));
    const fail = this.helper(this.first, helperState.toEndFail(this.first, end));
    const payload: Omit<TerminatePayload, 'state'> & { readonly 'state.$': '$' } = {
      action: 'terminate',
      end,
      'state.$': '$',
    };
    this.states[record] ??= {
      Type: 'Task',
      Comment: `The branch reached end node ${end}: its state as JSON text, the cause of the error that ends it`,
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: placeholder(FUNCTION_ARN_PLACEHOLDERS.steps),
        Payload: payload as unknown as JsonValue,
      },
      ResultSelector: { 'state.$': '$.Payload.cause' },
      ResultPath: '$.terminate',
      Retry: [TRANSIENT_RETRIER],
      Next: fail,
    };
    this.states[fail] ??= {
      Type: 'Fail',
      Comment: `Stops the other branches and carries this one's state to ${end}`,
      Error: terminateError(end),
      CausePath: '$.terminate.state',
    };
    return record;
  }

  /**
   * Where Parallel `parallel` (a state of this scope) goes when one of its branches reached the shared
   * end `end` (its Catch of `terminateError(end)`, written at `$.terminated`): outside every parallel, or
   * when `end` is this branch's join, a Pass state that restores the terminating branch's state, then
   * `end` (or the end of this branch); otherwise a Fail state that re-raises the same error and cause, so
   * the termination climbs to the next Parallel past this one's own `on_failure`.
   */
  endedAt(parallel: string, end: string): string {
    const name = this.helper(parallel, helperState.endedAt(parallel, end));
    const flows =
      this.scope.kind === 'top' || this.joinOf(this.scope.parallel) === end
        ? this.flow(parallel, end, ['nodes', parallel])
        : undefined;
    if (flows === undefined) {
      this.states[name] ??= {
        Type: 'Fail',
        Comment: `A branch of ${parallel} reached end node ${end}: on to the parallel enclosing this one`,
        Error: terminateError(end),
        CausePath: '$.terminated.Cause',
      };
      return name;
    }
    this.states[name] ??= {
      Type: 'Pass',
      Comment: `A branch of ${parallel} reached end node ${end}: on with that branch's state`,
      Parameters: { 'state.$': 'States.StringToJson($.terminated.Cause)' },
      ResultPath: '$.terminated',
      OutputPath: '$.terminated.state',
      ...flows,
    };
    return name;
  }

  /**
   * The state that fails this scope with `$.last_error`: the execution, or this branch (then its Parallel
   * state's Catch routes on, as the engine's gate routes a failed branch to `on_failure`).
   */
  failure(): string {
    const name =
      this.scope.kind === 'top'
        ? WORKFLOW_FAILED_STATE
        : this.helper(this.first, helperState.branchFailed(this.first));
    this.states[name] ??= {
      Type: 'Fail',
      Comment: this.scope.kind === 'top' ? 'The workflow fails' : 'The branch fails',
      ErrorPath: '$.last_error.Error',
      CausePath: '$.last_error.Cause',
    };
    return name;
  }

  private joinOf(parallel: string): string | undefined {
    const node = this.definition.nodes[parallel];
    return node?.type === 'parallel' ? node.join : undefined;
  }
}

const NAME_TOO_LONG = 'asl-state-name-too-long';

function describeScope(scope: Scope): string {
  return scope.kind === 'top' ? 'outside every parallel' : `in branch ${scope.branch} of ${scope.parallel}`;
}
