import { childEndError, missingStartContext, toleratedItemFailures } from '../graph/child-outcome';
import { childIdWithin } from '../graph/child-ids';
import { DEFAULT_EXPRESSION_LIMITS, evaluateValue, ExpressionError } from '../graph/expression';
import { pick, requestInput } from '../graph/request-input';
import { visitLimitError } from '../graph/visit-limit';
import type { Context, WorkflowError } from '../graph/workflow-state';
import { MAP_MAX_ITEMS } from '../definition/workflow-schema';
import {
  initialMachineState,
  ownFields,
  raisedErrorOf,
  workflowErrorOf,
  type MachineState,
  type RaisedError,
} from './machine-state';
import { mappedResult } from './result-mapping';
import { INPUT_MAPPING_FAILED, StepError } from './step-error';
import type {
  ChildFailedPayload,
  ChildOutputPayload,
  ChildStartedState,
  ChildStartPayload,
  MapCollectPayload,
  MapFailedPayload,
  MapItemsPayload,
  MapStartedState,
} from './step-payloads';

/** Step Functions' longest execution name: a child's name is the engine's child id within it. */
const EXECUTION_NAME_MAX = 80;

/**
 * The steps of sub_workflow and map nodes in Step Functions mode, each as the engine's node does it
 * (graph/node-kinds.ts `subWorkflowStart`, graph/map-node.ts), so a child has the same id, start context
 * and outcome in both modes. The nested executions themselves are Step Functions' own
 * (`startExecution.sync:2`); these steps prepare them and read how they ended.
 */
export class ChildSteps {
  /** Counts the visit, builds the child's start context and names it `<instance>.<node>.<visit>`. */
  async childStart(payload: ChildStartPayload): Promise<ChildStartedState> {
    const { node, state } = payload;
    const { visit, visits } = countVisit(payload, state);
    const built = await requestInput(node, payload, state.context, DEFAULT_EXPRESSION_LIMITS);
    if ('error' in built) throw new StepError(built.error, INPUT_MAPPING_FAILED);
    const name = childIdWithin(EXECUTION_NAME_MAX, payload.instance_id, [node, visit]);
    refuseMissingContext(payload, name, built.input);
    return { ...ownFields(state), visits, child: { name, input: initialMachineState(built.input) } };
  }

  /** The child's output (its end's `outcome.output`, else `{}`), merged as it is or through `result`. */
  async childOutput(payload: ChildOutputPayload): Promise<MachineState> {
    const { node, state } = payload;
    const output = outputOf(state.child_end.Output);
    if (payload.result === undefined) {
      return { ...ownFields(state), context: { ...state.context, ...structuredClone(output) } };
    }
    const mapped = await mappedResult(node, payload.result, output);
    return { ...ownFields(state), context: { ...state.context, ...mapped } };
  }

  /** The child's failure as the engine's CHILD_FAILED / CHILD_CANCELLED, the state's `last_error`. */
  childFailed(payload: ChildFailedPayload): MachineState {
    const { state } = payload;
    const error = childError(state.last_error, state.child.name, payload.workflow_id);
    return { ...ownFields(state), last_error: raisedErrorOf({ ...error, node: payload.node }) };
  }

  /** Counts the visit, evaluates `items` and builds each item's child (`<instance>.<node>.<visit>.<i>`). */
  async mapItems(payload: MapItemsPayload): Promise<MapStartedState> {
    const { node, state } = payload;
    const { visit, visits } = countVisit(payload, state);
    let value: unknown;
    try {
      value = await evaluateValue(payload.items, state.context, DEFAULT_EXPRESSION_LIMITS);
    } catch (thrown) {
      const code = thrown instanceof ExpressionError ? thrown.code : 'EXPRESSION_FAILED';
      throw new StepError({ code, message: `items: ${(thrown as Error).message}`, node });
    }
    // As the engine: a list as it is; nothing, an empty list; any other single value, a list of one.
    const items: readonly unknown[] = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if (items.length > MAP_MAX_ITEMS) {
      const message = `items: ${items.length} items, more than the ${MAP_MAX_ITEMS} a map runs (map ${node})`;
      throw new StepError({ code: 'MAP_TOO_MANY_ITEMS', message, node });
    }
    const shared = pick(state.context, payload.input_keys ?? []);
    const map = items.map((item, index) => {
      const name = childIdWithin(EXECUTION_NAME_MAX, payload.instance_id, [node, visit, index]);
      const input = { ...shared, [payload.item_key]: item, [payload.index_key]: index };
      refuseMissingContext(payload, name, input);
      return { name, input: initialMachineState(input) };
    });
    return { ...ownFields(state), visits, map };
  }

  /**
   * The engine's failure policy over every item's end, in item order (the engine judges in the order
   * items end, which is item order when they run one at a time), then the outputs at `output_key`.
   */
  mapCollect(payload: MapCollectPayload): MachineState {
    const { node, state } = payload;
    const total = state.results.length;
    const tolerated = toleratedItemFailures(payload, total);
    let failed = 0;
    const outputs = state.results.map((result, index) => {
      if (!('failed' in result)) return outputOf(result.Output);
      failed += 1;
      if (failed > tolerated) {
        const child = state.map[index]?.name ?? `item ${index}`;
        const error = childError(result.failed, child, payload.workflow_id);
        throw new StepError(mapItemFailed(node, failed, total, index, child, error));
      }
      return null;
    });
    return { ...ownFields(state), context: { ...state.context, [payload.output_key]: outputs } };
  }

  /** A map that tolerates no failure, stopped by an item's failure: the engine's MAP_ITEM_FAILED. */
  mapFailed(payload: MapFailedPayload): MachineState {
    const { node, state } = payload;
    const ended = describedExecution(state.last_error);
    const index = state.map.findIndex((child) => child.name === ended?.name);
    const child = ended?.name ?? 'an item';
    const error = childError(state.last_error, child, payload.workflow_id);
    const failure = mapItemFailed(node, 1, state.map.length, index, child, error);
    return { ...ownFields(state), last_error: raisedErrorOf(failure) };
  }
}

function countVisit(
  payload: { readonly node: string; readonly max_visits: number },
  state: MachineState,
): { visit: number; visits: Readonly<Record<string, number>> } {
  const visit = (state.visits?.[payload.node] ?? 0) + 1;
  const over = visitLimitError(payload.node, visit, payload.max_visits);
  if (over) throw new StepError(over);
  return { visit, visits: { ...state.visits, [payload.node]: visit } };
}

/**
 * The engine's START refuses a context without a key the child's `initial_context` requires, and the
 * child then ends FAILED: its parent's step fails with CHILD_FAILED saying so. A nested StartExecution
 * checks nothing, so the step does.
 */
function refuseMissingContext(
  payload: {
    readonly node: string;
    readonly workflow_id: string;
    readonly required_keys?: readonly string[];
  },
  name: string,
  context: Context,
): void {
  const missing = missingStartContext(payload.required_keys, context);
  if (!missing) return;
  const error = childEndError({
    instance_id: name,
    workflow_id: payload.workflow_id,
    status: 'FAILED',
    error: missing,
  });
  throw new StepError({ ...error, node: payload.node });
}

/** The `.sync:2` result's Output (the child's final state): its end's output, `{}` when it has none. */
function outputOf(output: unknown): Context {
  const outcome = isRecord(output) ? output.outcome : undefined;
  const own = isRecord(outcome) ? outcome.output : undefined;
  return isRecord(own) ? own : {};
}

interface DescribedExecution {
  readonly name?: string;
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The child's DescribeExecution, which a `.sync` task that failed because its child did not succeed
 * carries as its cause (AWS spells its fields in PascalCase there; either case is read).
 */
function describedExecution(raised: RaisedError | null): DescribedExecution | undefined {
  if (!raised) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raised.Cause);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const field = (name: string): string | undefined => {
    const value = parsed[name] ?? parsed[name.charAt(0).toLowerCase() + name.slice(1)];
    return typeof value === 'string' ? value : undefined;
  };
  const status = field('Status');
  if (status === undefined) return undefined;
  return {
    status,
    ...(field('Name') !== undefined ? { name: field('Name') } : {}),
    ...(field('Error') !== undefined ? { error: field('Error') } : {}),
    ...(field('Cause') !== undefined ? { cause: field('Cause') } : {}),
  };
}

/**
 * How a child that did not succeed reads to its parent, as the engine's `childEndError`: ABORTED (a
 * StopExecution) is CANCELLED, any other end FAILED with the child's own error. A task that failed for
 * another reason (the child could not start) is CHILD_FAILED with that reason.
 */
function childError(raised: RaisedError | null, name: string, workflowId: string): WorkflowError {
  const ended = describedExecution(raised);
  const child = ended?.name ?? name;
  const workflow = workflowId;
  if (!ended) {
    const reason = raised ? workflowErrorOf(raised) : { code: 'FAILED', message: 'failed' };
    return {
      code: 'CHILD_FAILED',
      message: `child ${child} (${workflow}) could not run: ${reason.code}: ${reason.message}`.slice(
        0,
        10_000,
      ),
    };
  }
  const status = ended.status === 'ABORTED' ? 'CANCELLED' : 'FAILED';
  const error =
    ended.error === undefined && ended.cause === undefined
      ? undefined
      : workflowErrorOf({ Error: ended.error, Cause: ended.cause ?? '' });
  return childEndError({ instance_id: child, workflow_id: workflow, status, error });
}

function mapItemFailed(
  node: string,
  failed: number,
  total: number,
  index: number,
  child: string,
  error: WorkflowError,
): WorkflowError {
  return {
    code: 'MAP_ITEM_FAILED',
    message:
      `${failed} of ${total} items failed, more than the map tolerates; item ${index} (${child}): ${error.code}: ${error.message}`.slice(
        0,
        2000,
      ),
    node,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
