import { RESERVED_CODE_ERROR } from './machine-state';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CapabilityMocks } from '../capability-mocks/capability-mocks';
import type { Context } from '../graph/workflow-state';
import type { AsyncRequestMessage } from '../runtime/messages';
import {
  builtinSyncCapabilities,
  SyncCapabilityError,
  type SyncCapability,
} from '../sync-capabilities/registry';
import { compiledWorkflow } from './testing/compiled-workflow';
import { runOnEngine, type RunView } from './testing/engine-run';
import { END_AS_OUTER_JOIN } from '../graph/testing/shared-end-workflows';
import {
  CHECK_LINE,
  CHECK_LINES,
  CHECK_ONE_LINE,
  RECHECK,
  LOOP,
  LOOP_THROUGH_PARALLEL,
  NESTED,
  NESTED_SHARED_END,
  REQUEST_MAPPINGS,
  RETRIED_REQUEST,
  SHARED_END,
  SET_VALUES,
  SYNC_RESULT,
  WAITS,
} from './testing/parity-workflows';
import { runOnLocalStepFunctions, type LocalRunResult } from './testing/local-step-functions-run';

// Each scenario runs a workflow on the engine and on the Step Functions interpreter: the language v2
// example takes seconds on a 2-core machine running other suites.
jest.setTimeout(60_000);

/**
 * Step Functions mode runs the same workflow as the engine: each example, compiled to ASL, executed by a
 * local ASL interpreter (aws-local-stepfunctions) with the project's Lambdas in-process, ends with the
 * same status, context, outputs, error and history as the LangGraph engine under the same scripted
 * replies. Every scenario also checks what it is about actually happened in the execution (a Choice took
 * its non-default rule, a Catch fired, a Retry ran), so an executor that ignored a state cannot pass.
 */

const REPO = resolve(__dirname, '..', '..', '..');
const example = (id: string) => readFileSync(join(REPO, 'workflow-definitions', `${id}.yaml`), 'utf8');
const v2 = (id: string) => example(`language-v2/${id}`);
const V2_ORDER = JSON.parse(
  readFileSync(join(REPO, 'sample-data', 'contexts', 'order-fulfilment-v2.json'), 'utf8'),
) as Context;

interface Scenario {
  readonly name: string;
  readonly yaml: string;
  readonly context?: Context;
  readonly mocks?: CapabilityMocks;
  /** Fresh per run: a capability with a memory (e.g. fails twice) must start over in each mode. */
  readonly sync?: () => Readonly<Record<string, SyncCapability>>;
  /** What must be true of the Step Functions run itself. */
  readonly proves: (run: LocalRunResult) => void;
  /**
   * A shared end: context keys only a stopped or completed sibling branch wrote, which the engine's
   * final context has and Step Functions' lacks (a Parallel left by a failing branch drops the others'
   * results; the end's outputs never include such a key, see asl/shared-end-guard.ts). Absent: none.
   */
  readonly siblingChangesLost?: readonly string[];
  /** The definitions its sub_workflow and map nodes start (each a state machine of its own). */
  readonly children?: readonly string[];
}

const compiled = (yaml: string) => compiledWorkflow(yaml, 'parity.yaml');

/** The engine's view, with what the Step Functions mode cannot say the same way normalised away. */
function comparable(view: RunView): RunView {
  return {
    status: view.status,
    context: view.context,
    ...(view.output ? { output: view.output } : {}),
    history: view.history,
    // A sync failure's message names its attempt in the engine only (see EngineSteps.syncCall).
    ...(view.error
      ? { error: { ...view.error, message: view.error.message.replace(/ \(attempt \d+ of \d+\)$/, '') } }
      : {}),
  };
}

function sfnView(run: LocalRunResult): RunView {
  return {
    status: run.status,
    context: run.context,
    ...(run.output ? { output: run.output } : {}),
    ...(run.error ? { error: run.error } : {}),
    history: run.history,
  };
}

const exited = (run: LocalRunResult, state: string) =>
  run.events.filter((e) => e.type === 'StateExited' && e.state?.name === state);
const failedWith = (run: LocalRunResult, state: string) =>
  run.events.filter((e) => e.type === 'StateFailed' && e.state?.name === state).map((e) => e.Error);
const caught = (run: LocalRunResult, state: string) =>
  run.events.filter((e) => e.type === 'StateCaught' && e.state?.name === state).length;
const retried = (run: LocalRunResult, state: string) =>
  run.events.filter((e) => e.type === 'StateRetried' && e.state?.name === state).length;

/**
 * Runs `run` under fake timers, jumping from one due timer to the next until it settles: the executor's
 * TimeoutSeconds and retry pauses and the scripted reply delays are all timers, so a 2-hour timeout
 * passes at once, in order. The engine needs none of this: its simulation has a clock of its own.
 */
async function inVirtualTime<T>(run: () => Promise<T>): Promise<T> {
  // The engine's simulated clock starts here too, so a wait's `until` is as far away in both modes.
  jest.useFakeTimers({ now: new Date(ENGINE_START) });
  try {
    let settled = false;
    const running = run().finally(() => {
      settled = true;
    });
    for (let step = 0; !settled && step < 100_000; step++) await jest.advanceTimersToNextTimerAsync();
    return await running;
  } finally {
    jest.clearAllTimers();
    jest.useRealTimers();
  }
}

/** Where the engine's in-memory simulation starts its clock (FakeClock's default). */
const ENGINE_START = '2026-01-01T00:00:00.000Z';

/** How long (virtual) time ran between entering `state` and exiting it (its first exit). */
function stayedMs(run: LocalRunResult, state: string): number {
  const at = (type: string) => run.events.find((e) => e.type === type && e.state?.name === state)?.timestamp;
  return (at('StateExited') ?? NaN) - (at('StateEntered') ?? NaN);
}

const HOUR_MS = 3600 * 1000;

/** Every request an execution and the children it started (theirs too) sent. */
function allRequests(run: LocalRunResult): AsyncRequestMessage[] {
  return [run, ...descendants(run)].flatMap((r) => r.requests);
}

function descendants(run: LocalRunResult): LocalRunResult[] {
  return run.childRuns.flatMap((child) => [child, ...descendants(child)]);
}

/** The names of the children an execution started, in the order they ended. */
const childNames = (run: LocalRunResult) => run.childRuns.map((c) => c.name);

/** How long (virtual) time ran between entering `state` and its first failure. */
function waitedMs(run: LocalRunResult, state: string): number {
  const at = (type: string) => run.events.find((e) => e.type === type && e.state?.name === state)?.timestamp;
  return (at('StateFailed') ?? NaN) - (at('StateEntered') ?? NaN);
}

const SHIPMENT = { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' };

/** A core-process-response that fails its first `failures` calls, then behaves as the built-in. */
const flakyCore = (failures: number) => () => {
  let calls = 0;
  const core = builtinSyncCapabilities['core-process-response'] as SyncCapability;
  return {
    'core-process-response': (call: Parameters<SyncCapability>[0]) =>
      ++calls <= failures
        ? Promise.reject(new SyncCapabilityError('store unavailable', 'STORE_DOWN'))
        : core(call),
  };
};

/** A core-process-response that returns `score` (and `extra`, which is not an output key). */
const scoring = (score: unknown) => () => ({
  'core-process-response': () => Promise.resolve({ score, extra: 'high' }),
});

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'export screening: CLEAR is filed and declared (the first choice rule)',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: { 'compliance#screening': { outputs: { screening_result: 'CLEAR' } } },
    proves: (run) => {
      expect(exited(run, 'Route_On_Screening')[0]?.state?.output).toMatchObject({ choice: { index: 0 } });
      expect(run.history.map(([n]) => n)).toContain('File_Declaration');
    },
  },
  {
    name: 'export screening: HIT is rejected (a non-default rule, not the default Manual_Review)',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: { 'compliance#screening': { outputs: { screening_result: 'HIT' } } },
    proves: (run) => {
      expect(exited(run, 'Route_On_Screening')[0]?.state?.output).toMatchObject({ choice: { index: 1 } });
      expect(run.history.map(([n]) => n)).not.toContain('Manual_Review');
      expect(run.status).toBe('FAILED');
    },
  },
  {
    name: 'export screening: an unsure result takes the default to a manual review, approved',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: {
      'compliance#screening': { outputs: { screening_result: 'UNSURE' } },
      'review#manual': { outputs: { review_decision: 'APPROVE' } },
    },
    proves: (run) => {
      expect(exited(run, 'Route_On_Screening')[0]?.state?.output).toMatchObject({ choice: { index: -1 } });
      expect(run.status).toBe('SUCCEEDED');
    },
  },
  {
    name: 'export screening: a FAILURE reply goes to on_failure with its code',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: {
      'compliance#screening': { status: 'FAILURE', error: { code: 'LIST_UNAVAILABLE', message: 'down' } },
    },
    proves: (run) => {
      expect(caught(run, 'Screen_Parties')).toBe(1);
      expect(run.error?.code).toBe('LIST_UNAVAILABLE');
    },
  },
  {
    name: "export screening: a FAILURE whose code is spelled as Step Functions' own (States.Timeout) still goes to on_failure, not on_timeout",
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: {
      'compliance#screening': { status: 'FAILURE', error: { code: 'States.Timeout', message: 'sneaky' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Screen_Parties')).toEqual([RESERVED_CODE_ERROR]);
      expect(run.error?.code).toBe('States.Timeout');
    },
  },
  {
    name: 'export screening: a sync call retried twice, then it succeeds',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: { 'compliance#screening': { outputs: { screening_result: 'CLEAR' } } },
    sync: flakyCore(2),
    proves: (run) => expect(retried(run, 'Record_Screening')).toBe(2),
  },
  {
    name: 'export screening: a sync call that fails every attempt goes to on_failure',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    sync: flakyCore(99),
    proves: (run) => {
      expect(failedWith(run, 'Record_Screening')).toEqual(['STORE_DOWN', 'STORE_DOWN', 'STORE_DOWN']);
      expect(run.error?.code).toBe('STORE_DOWN');
    },
  },
  {
    name: 'export screening: duplicate replies are acknowledged and ignored',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: { 'compliance#screening': { outputs: { screening_result: 'CLEAR' }, duplicates: 2 } },
    proves: (run) => expect(run.replies.filter((r) => r === 'duplicate')).toHaveLength(2),
  },
  {
    name: 'export screening: no screening reply within 2h times out to a manual review',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: {
      'compliance#screening': { reply: false },
      'review#manual': { outputs: { review_decision: 'OK' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Screen_Parties')).toEqual(['States.Timeout']);
      expect(waitedMs(run, 'Screen_Parties')).toBe(2 * 3600_000);
    },
  },
  {
    name: 'export screening: a reply after the timeout is stale, acknowledged and ignored',
    yaml: example('export_screening_v1'),
    context: SHIPMENT,
    mocks: {
      'compliance#screening': { delay: '3h' },
      'review#manual': { outputs: { review_decision: 'REJECT' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Screen_Parties')).toEqual(['States.Timeout']);
      expect(run.replies).toContain('stale');
    },
  },
  {
    name: 'fan-out: all branches reply, C runs once after them with every branch output',
    yaml: example('fanout_a_b_c_v1'),
    context: { shipmentId: 'SHP-2' },
    mocks: { 'duty#valuation': { delay: '2s' }, 'classify#goods': { delay: '1s' } },
    proves: (run) => {
      expect(run.history.filter(([n]) => n === 'Task_C')).toHaveLength(1);
      expect(Object.keys(run.output ?? {})).toEqual(expect.arrayContaining(['b1_result', 'b2_result']));
    },
  },
  {
    name: 'fan-out: a failing branch stops its siblings and goes to the parallel on_failure',
    yaml: example('fanout_a_b_c_v1'),
    context: { shipmentId: 'SHP-3' },
    mocks: {
      'classify#goods': { delay: '1h' },
      'duty#valuation': { status: 'FAILURE', error: { code: 'NO_TARIFF', message: 'no tariff for it' } },
      'licence#check': { delay: '1h' },
    },
    proves: (run) => {
      expect(caught(run, 'Fan_Out')).toBe(1);
      expect(run.history).toContainEqual(['Task_B1', 'CANCELLED']);
      expect(run.error).toMatchObject({ code: 'NO_TARIFF', node: 'Task_B2' });
    },
  },
  {
    name: 'fan-out: duplicate replies inside branches are ignored; C still runs once',
    yaml: example('fanout_a_b_c_v1'),
    context: { shipmentId: 'SHP-4' },
    mocks: { 'classify#goods': { duplicates: 1 }, 'licence#check': { duplicates: 1 } },
    proves: (run) => expect(run.replies.filter((r) => r === 'duplicate')).toHaveLength(2),
  },
  {
    name: 'fan-out: C never replies and times out to Timed_Out',
    yaml: example('fanout_a_b_c_v1'),
    context: { shipmentId: 'SHP-5' },
    mocks: { 'declaration#file': { reply: false } },
    proves: (run) => {
      expect(waitedMs(run, 'Task_C')).toBe(30 * 60_000);
      expect(run.error).toMatchObject({ code: 'TIMEOUT', node: 'Task_C' });
    },
  },
  {
    name: 'a FAILURE reply retried with its backoff (a new request each time), then a SUCCESS',
    yaml: RETRIED_REQUEST,
    mocks: { 'fetch#document': [{ status: 'FAILURE' }, { status: 'FAILURE' }, { outputs: { doc: 'd' } }] },
    proves: (run) => {
      expect(retried(run, 'Fetch')).toBe(2);
      expect(new Set(run.requests.map((r) => r.request_id)).size).toBe(3);
      const entered =
        run.events.find((e) => e.type === 'StateEntered' && e.state?.name === 'Fetch')?.timestamp ?? 0;
      const end =
        run.events.find((e) => e.type === 'StateExited' && e.state?.name === 'Fetch')?.timestamp ?? 0;
      expect(end - entered).toBe(60_000 + 180_000);
    },
  },
  {
    name: 'a FAILURE on every attempt goes to on_failure after the last',
    yaml: RETRIED_REQUEST,
    mocks: { 'fetch#document': { status: 'FAILURE', error: { code: 'GONE', message: 'no such document' } } },
    proves: (run) => expect(failedWith(run, 'Fetch')).toEqual(['GONE', 'GONE', 'GONE']),
  },
  {
    name: 'a loop: the choice sends the request again until the answer is yes',
    yaml: LOOP,
    mocks: {
      'review#ask': [
        { outputs: { answer: 'no' } },
        { outputs: { answer: 'no' } },
        { outputs: { answer: 'yes' } },
      ],
    },
    proves: (run) => expect(run.history.filter(([n]) => n === 'Ask')).toHaveLength(3),
  },
  {
    name: 'a loop that never exits: the third visit of a node with max_visits 2 fails the instance, past on_failure',
    yaml: LOOP.replace("capability_id: 'review#ask'", "capability_id: 'review#ask'\n    max_visits: 2"),
    mocks: { 'review#ask': { outputs: { answer: 'no' } } },
    proves: (run) => {
      expect(exited(run, 'Ask.too-many-visits')).toHaveLength(1);
      expect(run.requests).toHaveLength(2);
      expect(run.error).toMatchObject({ code: 'MAX_VISITS_EXCEEDED', node: 'Ask' });
    },
  },
  {
    name: "a loop under the definition's max_visits: the choice is counted too, and the loop ends within it",
    yaml: LOOP.replace('entry_point: Ask', 'entry_point: Ask\nmax_visits: 3'),
    mocks: {
      'review#ask': [
        { outputs: { answer: 'no' } },
        { outputs: { answer: 'no' } },
        { outputs: { answer: 'yes' } },
      ],
    },
    proves: (run) => {
      expect(exited(run, 'Approved.count')).toHaveLength(3);
      expect(exited(run, 'Ask.too-many-visits')).toEqual([]);
      expect(run.status).toBe('SUCCEEDED');
    },
  },
  {
    name: "a loop through a parallel: the branch's visits outlive each run of the parallel, the third is one too many",
    yaml: LOOP_THROUGH_PARALLEL,
    mocks: {
      'review#ask': { outputs: { answer: 'no' } },
    },
    proves: (run) => {
      expect(exited(run, 'Ask.count')).toHaveLength(2);
      expect(exited(run, 'Ask.too-many-visits')).toHaveLength(1);
      expect(run.error).toMatchObject({ code: 'MAX_VISITS_EXCEEDED', node: 'Ask' });
    },
  },
  {
    name: 'a parallel nested in a branch; the other branch reaches the join through its failure route',
    yaml: NESTED,
    mocks: {
      'left#work': { status: 'FAILURE', error: { code: 'LEFT_DOWN', message: 'down' } },
      'right#one': { outputs: { r1: 'same' }, delay: '2m' },
      'right#two': { outputs: { r2: 'same' }, delay: '1m' },
    },
    proves: (run) => {
      expect(caught(run, 'Left')).toBe(1);
      expect(exited(run, 'Check')[0]?.state?.output).toMatchObject({ choice: { index: 0 } });
    },
  },
  {
    name: 'import (the seed example): enrichment then processing succeed',
    yaml: example('import_vn_memphis_v1'),
    context: SHIPMENT,
    proves: (run) => expect(run.status).toBe('SUCCEEDED'),
  },
  {
    name: 'import (the seed example): a FAILURE reply with no on_failure fails the workflow',
    yaml: example('import_vn_memphis_v1'),
    context: SHIPMENT,
    mocks: { 'import#enrichment': { status: 'FAILURE', error: { code: 'NOT_FOUND', message: 'no ASN' } } },
    proves: (run) => {
      expect(failedWith(run, 'Prepare_Import_Enrichment')).toEqual(['NOT_FOUND']);
      expect(run.error).toMatchObject({ code: 'NOT_FOUND', node: 'Prepare_Import_Enrichment' });
    },
  },
  {
    name: 'set: every value over the context before the step; a key that selects nothing is kept',
    yaml: SET_VALUES,
    context: { lines: [{ amount: 1 }, { amount: 4 }, { amount: 7 }], note: 'kept' },
    proves: (run) => {
      expect(exited(run, 'Totals')[0]?.state?.output).toEqual({
        context: { lines: [{ amount: 4 }, { amount: 7 }], total: 12, count: 3, note: 'kept' },
        last_error: null,
      });
      expect(exited(run, 'Check.route')[0]?.state?.output).toMatchObject({ choice: { index: 0 } });
      expect(run.output).toEqual({
        total: 12,
        count: 3,
        lines: [{ amount: 4 }, { amount: 7 }],
        note: 'kept',
      });
    },
  },
  {
    name: 'set: a failing expression goes to on_failure with EXPRESSION_FAILED, nothing set',
    yaml: SET_VALUES,
    context: { lines: [{ amount: 'one' }], note: 'kept' },
    proves: (run) => {
      expect(failedWith(run, 'Totals')).toEqual(['EXPRESSION_FAILED']);
      expect(caught(run, 'Totals')).toBe(1);
      expect(run.context).toEqual({ lines: [{ amount: 'one' }], note: 'kept' });
      expect(run.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Totals' });
    },
  },
  {
    name: 'wait: 2h, then until a time 1h later (ISO-8601 with a zone)',
    yaml: WAITS,
    context: { due: '2026-01-01T04:00:00+01:00' },
    proves: (run) => {
      expect(stayedMs(run, 'Pause')).toBe(2 * HOUR_MS);
      expect(exited(run, 'Until')[0]?.state?.output).toMatchObject({
        wait: { until: '2026-01-01T03:00:00.000Z' },
      });
      expect(stayedMs(run, 'Until.wait')).toBe(HOUR_MS);
      expect(run.status).toBe('SUCCEEDED');
    },
  },
  {
    name: 'wait: until a past time (epoch milliseconds) goes straight on',
    yaml: WAITS,
    context: { due: Date.parse('2025-06-01T00:00:00Z') },
    proves: (run) => {
      expect(stayedMs(run, 'Pause')).toBe(2 * HOUR_MS);
      expect(exited(run, 'Until.wait')).toHaveLength(1);
      expect(stayedMs(run, 'Until.wait')).toBe(0);
      expect(run.status).toBe('SUCCEEDED');
    },
  },
  {
    name: 'wait: until something that is not a time goes to on_failure with INVALID_WAIT',
    yaml: WAITS,
    context: { due: 'tomorrow morning' },
    proves: (run) => {
      expect(failedWith(run, 'Until')).toEqual(['INVALID_WAIT']);
      expect(caught(run, 'Until')).toBe(1);
      expect(exited(run, 'Until.wait')).toEqual([]);
      expect(run.error).toMatchObject({ code: 'INVALID_WAIT', node: 'Until' });
    },
  },
  {
    name: 'wait: until a time more than a year away goes to on_failure with INVALID_WAIT',
    yaml: WAITS,
    context: { due: '2027-06-01T00:00:00Z' },
    proves: (run) => {
      expect(failedWith(run, 'Until')).toEqual(['INVALID_WAIT']);
      expect(run.error?.message).toMatch(/more than a year away/);
    },
  },
  {
    name: "sync_call: its result mapping sets the keys it selects, over the call's whole result",
    yaml: SYNC_RESULT,
    context: { absent: 'kept' },
    sync: scoring(7),
    proves: (run) => {
      expect(exited(run, 'Score')[0]?.state?.output).toEqual({
        context: { absent: 'kept', risk: 14, label: 'high' },
        last_error: null,
      });
      expect(run.output).toEqual({ risk: 14, label: 'high', absent: 'kept' });
    },
  },
  {
    name: 'sync_call: a failing result mapping is never retried and goes to on_failure',
    yaml: SYNC_RESULT,
    sync: scoring('seven'),
    proves: (run) => {
      expect(failedWith(run, 'Score')).toEqual(['RESULT_MAPPING_FAILED']);
      expect(retried(run, 'Score')).toBe(0);
      expect(caught(run, 'Score')).toBe(1);
      expect(run.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Score' });
      expect(run.error?.message).toMatch(/^result: /);
    },
  },
  {
    name: "async_request: the request's input is built by its input expression, the reply mapped by result",
    yaml: REQUEST_MAPPINGS,
    context: { shipmentId: 'SHP-1', lines: [{ kg: 2 }, { kg: 3 }] },
    mocks: { 'pricing#quote': { outputs: { price: 10, currency: 'EUR' } } },
    proves: (run) => {
      expect(run.requests.map((r) => r.input)).toEqual([{ id: 'SHP-1', kg: 5 }]);
      expect(exited(run, 'Quote')[0]?.state?.output).toMatchObject({ reply: { price: 10, currency: 'EUR' } });
      expect(exited(run, 'Quote.result')[0]?.state?.output).toEqual({
        context: { shipmentId: 'SHP-1', lines: [{ kg: 2 }, { kg: 3 }], total: 20, currency: 'EUR' },
        last_error: null,
      });
      // Only what the mapping selects is merged: the expected key itself is not.
      expect(run.output).toEqual({ total: 20, currency: 'EUR', shipmentId: 'SHP-1' });
    },
  },
  {
    name: 'async_request: a FAILURE reply is retried; the mapping runs on the reply that succeeded',
    yaml: REQUEST_MAPPINGS,
    context: { shipmentId: 'SHP-1', lines: [] },
    mocks: {
      'pricing#quote': [
        { status: 'FAILURE', error: { code: 'BUSY', message: 'later' } },
        { outputs: { price: 4, currency: 'USD' } },
      ],
    },
    proves: (run) => {
      expect(retried(run, 'Quote')).toBe(1);
      // $sum of no lines selects nothing, so the input has no kg (in both modes, as the last check says).
      expect(run.requests.map((r) => r.input)).toEqual([{ id: 'SHP-1' }, { id: 'SHP-1' }]);
      expect(run.output).toEqual({ total: 8, currency: 'USD', shipmentId: 'SHP-1' });
    },
  },
  {
    name: 'async_request: an input expression that fails sends nothing, is never retried, goes to on_failure',
    yaml: REQUEST_MAPPINGS,
    context: { shipmentId: 'SHP-1', lines: [{ kg: 'two' }] },
    proves: (run) => {
      expect(run.requests).toEqual([]);
      expect(failedWith(run, 'Quote')).toEqual(['INPUT_MAPPING_FAILED']);
      expect(retried(run, 'Quote')).toBe(0);
      expect(caught(run, 'Quote')).toBe(1);
      expect(run.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Quote' });
      expect(run.error?.message).toMatch(/^input: /);
    },
  },
  {
    name: 'async_request: an input that is no object is INVALID_INPUT, to on_failure',
    yaml: REQUEST_MAPPINGS.replace(`'{"id": shipmentId, "kg": $sum(lines.kg)}'`, `'shipmentId'`),
    context: { shipmentId: 'SHP-1', lines: [] },
    proves: (run) => {
      expect(run.requests).toEqual([]);
      expect(failedWith(run, 'Quote')).toEqual(['INPUT_MAPPING_FAILED']);
      expect(run.error).toEqual({
        code: 'INVALID_INPUT',
        message: 'input gave "SHP-1", not an object',
        node: 'Quote',
      });
    },
  },
  {
    name: 'async_request: a result mapping that fails is never retried and goes to on_failure',
    yaml: REQUEST_MAPPINGS,
    context: { shipmentId: 'SHP-1', lines: [] },
    mocks: { 'pricing#quote': { outputs: { price: 'ten', currency: 'EUR' } } },
    proves: (run) => {
      expect(run.requests).toHaveLength(1);
      expect(exited(run, 'Quote')).toHaveLength(1);
      expect(failedWith(run, 'Quote.result')).toEqual(['RESULT_MAPPING_FAILED']);
      expect(retried(run, 'Quote')).toBe(0);
      expect(caught(run, 'Quote.result')).toBe(1);
      expect(run.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Quote' });
      expect(run.error?.message).toMatch(/^result: /);
    },
  },
  {
    name: 'shared end: a branch failing to a FAILED end outside its parallel stops its waiting sibling, past the parallel on_failure',
    yaml: SHARED_END,
    mocks: {
      'b#one': { delay: '1h', outputs: { b1: 'late' } },
      'b#two': { delay: '1m', status: 'FAILURE', error: { code: 'REJECTED', message: 'no' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Split')).toEqual(['CCH.Terminate.Failed']);
      expect(exited(run, 'Split.ended-at-Failed')).toHaveLength(1);
      expect(run.history.map(([n]) => n)).not.toContain('Split_Failed');
      // The sibling is stopped when the branch ends (1 minute), not when its reply would have come.
      const stopped = run.events.find((e) => e.type === 'StateFailed' && e.state?.name === 'Split');
      expect(stopped?.timestamp).toBe(Date.parse(ENGINE_START) + 60_000);
      // B2's FAILURE completed its task; B1's reply, an hour later, finds its task gone.
      expect(run.replies).toEqual(['applied', 'stale']);
      expect(run.output).toEqual({ orderId: 'O-1' });
      expect(run.error).toMatchObject({ code: 'REJECTED', node: 'B2' });
    },
  },
  {
    name: 'shared end: a choice in a branch routes to a SUCCEEDED end outside the parallel, after its sibling completed',
    yaml: SHARED_END,
    mocks: {
      'b#one': { delay: '1m', outputs: { b1: 'B1' } },
      'b#two': { delay: '2m', outputs: { b2: 'enough' } },
    },
    siblingChangesLost: ['b1'],
    proves: (run) => {
      expect(exited(run, 'Check2.route')[0]?.state?.output).toMatchObject({ choice: { index: 0 } });
      expect(failedWith(run, 'Split')).toEqual(['CCH.Terminate.Enough']);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.output).toEqual({ orderId: 'O-1', b2: 'enough' });
      expect(run.requests.map((r) => r.node)).not.toContain('Join');
    },
  },
  {
    name: 'shared end: on_timeout to an end outside the parallel ends there with TIMEOUT',
    yaml: SHARED_END,
    mocks: { 'b#one': { delay: '1m', outputs: { b1: 'B1' } }, 'b#two': { reply: false } },
    siblingChangesLost: ['b1'],
    proves: (run) => {
      expect(failedWith(run, 'B2')).toEqual(['States.Timeout']);
      expect(failedWith(run, 'Split')).toEqual(['CCH.Terminate.Timed_Out']);
      expect(run.error).toMatchObject({ code: 'TIMEOUT', node: 'B2' });
    },
  },
  {
    name: 'shared end: with no branch going to one, the same machine joins',
    yaml: SHARED_END,
    mocks: {
      'b#one': { delay: '1m', outputs: { b1: 'B1' } },
      'b#two': { delay: '2m', outputs: { b2: 'little' } },
      'join#merge': { outputs: { merged: 'M' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Split')).toEqual([]);
      expect(run.output).toEqual({ orderId: 'O-1', merged: 'M' });
    },
  },
  {
    name: "shared end: from a nested parallel's branch, past the inner on_failure, stopping inner and outer siblings",
    yaml: NESTED_SHARED_END,
    mocks: {
      'a#one': { delay: '2h', outputs: { a: 'late' } },
      'b#one': { delay: '1m', status: 'FAILURE', error: { code: 'B_FAILED', message: 'b' } },
      'c#one': { reply: false },
    },
    proves: (run) => {
      expect(failedWith(run, 'Inner')).toEqual(['CCH.Terminate.Failed']);
      expect(exited(run, 'Inner.ended-at-Failed')).toEqual([]);
      expect(failedWith(run, 'Inner.ended-at-Failed')).toEqual(['CCH.Terminate.Failed']);
      expect(failedWith(run, 'Split')).toEqual(['CCH.Terminate.Failed']);
      expect(run.history.map(([n]) => n)).not.toContain('Inner_Failed');
      expect(run.error).toMatchObject({ code: 'B_FAILED', node: 'B' });
      // B's FAILURE completed its task; A's reply, two hours later, finds its task gone.
      expect(run.replies).toEqual(['applied', 'stale']);
    },
  },
  {
    name: "shared end that is the enclosing parallel's join: the inner branch's failure ends its outer branch, which joins",
    yaml: END_AS_OUTER_JOIN,
    mocks: {
      'customs#declaration': { delay: '1h', outputs: { declared: 'yes' } },
      'docs#invoice': { delay: '1m', status: 'FAILURE', error: { code: 'NO_INVOICE', message: 'none' } },
      'docs#packing-list': { delay: '2h', outputs: { packing: 'late' } },
    },
    proves: (run) => {
      expect(failedWith(run, 'Inner')).toEqual(['CCH.Terminate.Release']);
      // Caught in the outer branch, where Release is the join: that branch ends, Outer does not fail.
      expect(exited(run, 'Inner.ended-at-Release')).toHaveLength(1);
      expect(failedWith(run, 'Outer')).toEqual([]);
      expect(run.requests.map((r) => r.node)).not.toContain('Sign');
      expect(run.status).toBe('SUCCEEDED');
      expect(run.output).toEqual({ declared: 'yes' });
    },
  },
  {
    name: 'language v2 example: lines classified by a map of children, the buyer screened by a sub_workflow, a wait',
    yaml: v2('order_fulfilment_v2'),
    children: [v2('classify_line_v2'), v2('screen_buyer_v2')],
    context: V2_ORDER,
    mocks: {
      'classify#goods': { delay: '1m', outputs: { hs_code: '8471.30' } },
      'compliance#screening': { outputs: { screening_result: 'CLEAR' } },
    },
    proves: (run) => {
      expect(childNames(run).sort()).toEqual([
        'inst-1.Classify_Lines.1.0',
        'inst-1.Classify_Lines.1.1',
        'inst-1.Classify_Lines.1.2',
        'inst-1.Screen_Buyer.1',
      ]);
      expect(exited(run, 'Cooling_Off')).toHaveLength(1);
      expect(run.status).toBe('SUCCEEDED');
    },
  },
  {
    name: 'language v2 example: a line whose classification fails fails the map, to the shared Rejected end',
    yaml: v2('order_fulfilment_v2'),
    children: [v2('classify_line_v2'), v2('screen_buyer_v2')],
    context: V2_ORDER,
    mocks: {
      'classify#goods': [
        { delay: '2m', outputs: { hs_code: '8471.30' } },
        { delay: '1m', status: 'FAILURE', error: { code: 'NO_HS_CODE', message: 'unknown goods' } },
        { delay: '3m', outputs: { hs_code: '8471.30' } },
      ],
    },
    proves: (run) => {
      expect(failedWith(run, 'Classify_Lines.items')).toHaveLength(1);
      expect(run.error).toMatchObject({ code: 'MAP_ITEM_FAILED', node: 'Classify_Lines' });
      expect(run.childRuns.map((c) => c.raised?.Error)).toEqual([
        'NO_HS_CODE',
        'States.Aborted',
        'States.Aborted',
      ]);
    },
  },
  {
    name: 'language v2 example: a screening that never answers fails the child, the parent goes to Rejected',
    yaml: v2('order_fulfilment_v2'),
    children: [v2('classify_line_v2'), v2('screen_buyer_v2')],
    context: V2_ORDER,
    mocks: { 'compliance#screening': { reply: false } },
    proves: (run) => {
      expect(failedWith(run, 'Screen_Buyer.child')).toEqual(['States.TaskFailed']);
      expect(run.error).toMatchObject({ code: 'CHILD_FAILED', node: 'Screen_Buyer' });
    },
  },
  {
    name: "sub_workflow: the child runs as a nested execution named by the engine's child id, its output mapped",
    yaml: CHECK_ONE_LINE,
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A', ok: true }] } },
    mocks: { 'check#line': { delay: '1m', outputs: { verdict: 'fine' } } },
    proves: (run) => {
      expect(childNames(run)).toEqual(['inst-1.Check_Line.1']);
      expect(run.childRuns[0]?.status).toBe('SUCCEEDED');
      expect(exited(run, 'Check_Line.result')).toHaveLength(1);
      expect(run.output).toEqual({ first_verdict: 'fine' });
    },
  },
  {
    name: 'sub_workflow: a child that ends FAILED fails the step with CHILD_FAILED, to on_failure',
    yaml: CHECK_ONE_LINE,
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A', ok: false }] } },
    mocks: { 'check#line': { outputs: { verdict: 'fine' } } },
    proves: (run) => {
      expect(run.childRuns[0]?.status).toBe('FAILED');
      expect(failedWith(run, 'Check_Line.child')).toEqual(['States.TaskFailed']);
      expect(exited(run, 'Check_Line.child-failed')).toHaveLength(1);
      expect(run.error).toMatchObject({ code: 'CHILD_FAILED', node: 'Check_Line' });
      expect(run.error?.message).toBe(
        'child inst-1.Check_Line.1 (check_line_v1) FAILED: FAILED: ended at Rejected',
      );
    },
  },
  {
    name: 'sub_workflow: a child without a key its initial_context requires never starts, CHILD_FAILED',
    yaml: CHECK_ONE_LINE,
    children: [CHECK_LINE],
    context: { order: { lines: [] } },
    proves: (run) => {
      expect(run.childRuns).toEqual([]);
      expect(caught(run, 'Check_Line')).toBe(1);
      expect(run.error?.message).toBe(
        'child inst-1.Check_Line.1 (check_line_v1) FAILED: MISSING_CONTEXT: the start context lacks required key line (initial_context)',
      );
    },
  },
  {
    name: 'sub_workflow: a child that outlives the timeout is stopped, TIMEOUT to on_timeout',
    yaml: CHECK_ONE_LINE,
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A', ok: true }] } },
    mocks: { 'check#line': { delay: '3h', outputs: { verdict: 'late' } } },
    proves: (run) => {
      expect(failedWith(run, 'Check_Line.child')).toEqual(['States.Timeout']);
      expect(run.error).toMatchObject({ code: 'TIMEOUT', node: 'Check_Line' });
      expect(run.childRuns.map((c) => c.raised?.Error)).toEqual(['States.Aborted']);
    },
  },
  {
    name: 'sub_workflow in a loop: each visit a child of its own (.1, .2), the third past max_visits',
    yaml: RECHECK,
    children: [CHECK_LINE],
    context: { line: { sku: 'A', ok: true } },
    mocks: { 'check#line': { outputs: { verdict: 'fine' } } },
    proves: (run) => {
      expect(childNames(run)).toEqual(['inst-1.Check_Line.1', 'inst-1.Check_Line.2']);
      expect(run.error).toMatchObject({ code: 'MAX_VISITS_EXCEEDED', node: 'Check_Line' });
      expect(exited(run, 'Failed')).toEqual([]);
    },
  },
  {
    name: 'map: one child per item, two at a time, outputs in item order whatever order they end in',
    yaml: CHECK_LINES,
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A' }, { sku: 'B' }, { sku: 'C' }] } },
    mocks: {
      'check#line': [
        { delay: '3m', outputs: { verdict: 'a' } },
        { delay: '1m', outputs: { verdict: 'b' } },
        { delay: '1m', outputs: { verdict: 'c' } },
      ],
    },
    proves: (run) => {
      expect(childNames(run)).toEqual([
        'inst-1.Check_Lines.1.1',
        'inst-1.Check_Lines.1.2',
        'inst-1.Check_Lines.1.0',
      ]);
      expect(run.output).toEqual({
        verdicts: [
          { verdict: 'a', line: { sku: 'A' } },
          { verdict: 'b', line: { sku: 'B' } },
          { verdict: 'c', line: { sku: 'C' } },
        ],
      });
    },
  },
  {
    name: 'map: the first failure fails the map (MAP_ITEM_FAILED to on_failure), the items still running stopped',
    yaml: CHECK_LINES.replace('max_concurrency: 2', 'max_concurrency: 3'),
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A' }, { sku: 'B', ok: false }, { sku: 'C' }] } },
    mocks: {
      'check#line': [
        { delay: '3m', outputs: { verdict: 'a' } },
        { delay: '1m', outputs: { verdict: 'b' } },
        { delay: '3m', outputs: { verdict: 'c' } },
      ],
    },
    proves: (run) => {
      expect(failedWith(run, 'Check_Lines.items')).toHaveLength(1);
      expect(run.error).toMatchObject({ code: 'MAP_ITEM_FAILED', node: 'Check_Lines' });
      expect(run.error?.message).toBe(
        '1 of 3 items failed, more than the map tolerates; item 1 (inst-1.Check_Lines.1.1): CHILD_FAILED: child inst-1.Check_Lines.1.1 (check_line_v1) FAILED: FAILED: ended at Rejected',
      );
      // Items 0 and 2 were still waiting: stopped, they never end.
      expect(run.childRuns.map((c) => [c.name, c.raised?.Error])).toEqual([
        ['inst-1.Check_Lines.1.1', 'FAILED'],
        ['inst-1.Check_Lines.1.0', 'States.Aborted'],
        ['inst-1.Check_Lines.1.2', 'States.Aborted'],
      ]);
    },
  },
  {
    name: 'map: a tolerated failure is null among the outputs',
    yaml: CHECK_LINES.replace('max_concurrency: 2', 'max_concurrency: 1\n    tolerated_failures: 1'),
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A' }, { sku: 'B', ok: false }, { sku: 'C' }] } },
    mocks: { 'check#line': { outputs: { verdict: 'v' } } },
    proves: (run) => {
      expect(exited(run, 'Check_Lines.item-failed')).toHaveLength(1);
      expect(run.output).toEqual({
        verdicts: [{ verdict: 'v', line: { sku: 'A' } }, null, { verdict: 'v', line: { sku: 'C' } }],
      });
    },
  },
  {
    name: 'map: more failures than tolerated fail the map once every item has ended',
    yaml: CHECK_LINES.replace('max_concurrency: 2', 'max_concurrency: 1\n    tolerated_failures: 1'),
    children: [CHECK_LINE],
    context: { order: { lines: [{ sku: 'A' }, { sku: 'B', ok: false }, { sku: 'C', ok: false }] } },
    mocks: { 'check#line': { outputs: { verdict: 'v' } } },
    proves: (run) => {
      expect(failedWith(run, 'Check_Lines.collect')).toEqual(['MAP_ITEM_FAILED']);
      expect(run.error?.message).toMatch(/^2 of 3 items failed, more than the map tolerates; item 2 /);
    },
  },
  {
    name: 'map: no items, an empty list and one step',
    yaml: CHECK_LINES,
    children: [CHECK_LINE],
    context: { order: { lines: [] } },
    proves: (run) => {
      expect(run.childRuns).toEqual([]);
      expect(run.output).toEqual({ verdicts: [] });
    },
  },
];

describe('Step Functions mode runs each example as the engine does', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_, scenario) => {
    const children = Object.fromEntries(
      (scenario.children ?? []).map((yaml) => {
        const child = compiled(yaml);
        return [child.definition.workflow_id, { ...child, yaml }] as const;
      }),
    );
    const { definition, machine } = compiledWorkflow(
      scenario.yaml,
      'parity.yaml',
      scenario.children ? (id) => children[id]?.definition : undefined,
    );
    const context = scenario.context ?? {};
    const engine = await runOnEngine(scenario.yaml, definition.workflow_id, {
      context,
      ...(scenario.mocks ? { mocks: scenario.mocks } : {}),
      ...(scenario.sync ? { syncCapabilities: scenario.sync() } : {}),
      definitions: Object.fromEntries(Object.entries(children).map(([id, child]) => [id, child.yaml])),
    });
    const sfn = await inVirtualTime(() =>
      runOnLocalStepFunctions(definition, machine, {
        context,
        ...(scenario.mocks ? { mocks: scenario.mocks } : {}),
        ...(scenario.sync ? { syncCapabilities: scenario.sync() } : {}),
        children,
      }),
    );
    scenario.proves(sfn);
    const lost = scenario.siblingChangesLost ?? [];
    // Each key said to be lost must be one the engine has (else the scenario proves nothing about it).
    expect(lost.filter((key) => !(key in engine.context))).toEqual([]);
    const kept = Object.fromEntries(Object.entries(engine.context).filter(([key]) => !lost.includes(key)));
    expect(sfnView(sfn)).toEqual(comparable({ ...engine, context: kept }));
    const sent = allRequests(sfn);
    expect(sent).toHaveLength(engine.requests);
    // The capabilities receive the same requests (ids and reply queues are each mode's own).
    const contract = (r: AsyncRequestMessage) => ({
      workflow_id: r.workflow_id,
      node: r.node,
      capability_id: r.capability_id,
      input: r.input,
      expected_output_keys: r.expected_output_keys,
    });
    // Children run concurrently: their requests are compared as a set (each mode's own order of sends).
    const inOrder = (list: readonly AsyncRequestMessage[]) => {
      const mapped = list.map(contract);
      return scenario.children
        ? mapped.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
        : mapped;
    };
    expect(inOrder(sent)).toEqual(inOrder(engine.sent));
  });
});
