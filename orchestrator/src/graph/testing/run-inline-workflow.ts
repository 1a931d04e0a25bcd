import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { validateDefinition } from '../../definition/validate-definition';
import type { InstanceRecord, WaitView } from '../../runtime/instance-record';
import type { Logger } from '../../runtime/ports';
import type { AsyncRequestMessage } from '../../runtime/messages';
import type { CapabilityMocks } from '../../capability-mocks/capability-mocks';
import { FakeClock } from '../../runtime/memory/fake-clock';
import { simulatedRequestId } from '../../runtime/memory/simulation-request-ids';
import { WorkflowSimulation } from '../../runtime/memory/workflow-simulation';
import { builtinSyncCapabilities, type SyncCapability } from '../../sync-capabilities/registry';

/**
 * Runs a workflow written inline in a test, as YAML, on the in-memory orchestrator: the YAML must validate
 * without errors, is uploaded under its `workflow_id` and started as instance `INSTANCE`; then the test
 * either drains the simulation (`runInlineWorkflow`) or steps it itself (`startInlineWorkflow`).
 */

/** The instance id every inline workflow runs as. */
export const INSTANCE = 'inst-1';

/** The simulation clock's start (epoch ms); `at(ms)` is the ISO time `ms` after it. */
export const T0 = new FakeClock().now().getTime();
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const at = (ms: number): string => new Date(T0 + ms).toISOString();

export interface InlineWorkflowOptions {
  /** The START_WORKFLOW context; none by default. */
  readonly context?: Record<string, unknown>;
  /** Capability replies, as in `SimulationOptions`: by default each replies SUCCESS at once; `false`: none do. */
  readonly mocks?: CapabilityMocks | false;
  /** The sync capabilities the definition is validated against and the runtime calls; the built-ins by default. */
  readonly syncCapabilities?: Readonly<Record<string, SyncCapability>>;
  /** The logger; a RecordingLogger by default. */
  readonly logger?: Logger;
  /** The checkpointer; a MemorySaver by default. */
  readonly checkpointer?: BaseCheckpointSaver;
  /** Timers that a closed wait withdraws, as EventBridge Scheduler's (see `SimulationOptions`). */
  readonly withdrawableTimers?: boolean;
}

/** Validates `yaml`, uploads it and queues its START_WORKFLOW; nothing is delivered yet. */
export function startInlineWorkflow(yaml: string, options: InlineWorkflowOptions = {}): WorkflowSimulation {
  const { context = {}, ...simulationOptions } = options;
  const syncCapabilities = options.syncCapabilities ?? builtinSyncCapabilities;
  const { diagnostics } = validateDefinition('test.yaml', yaml, { syncCapabilities });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const workflowId = /^workflow_id: (\S+)$/m.exec(yaml)?.[1] ?? 'missing';
  const sim = new WorkflowSimulation(simulationOptions);
  sim.definitions.put(`${workflowId}.yaml`, yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: INSTANCE, context });
  return sim;
}

/** Starts the workflow and drains the simulation: every message and timer is delivered. */
export async function runInlineWorkflow(
  yaml: string,
  options: InlineWorkflowOptions = {},
): Promise<{ sim: WorkflowSimulation; record: InstanceRecord }> {
  const sim = startInlineWorkflow(yaml, options);
  await sim.drain();
  return { sim, record: await recordOf(sim) };
}

/** The status record of `INSTANCE`; throws if there is none. */
export async function recordOf(sim: WorkflowSimulation): Promise<InstanceRecord> {
  const record = await sim.instances.get(INSTANCE);
  if (!record) throw new Error(`no record for ${INSTANCE}`);
  return record;
}

/** The history as `[node, status]` pairs. */
export const steps = (record: InstanceRecord) => record.history.map((h) => [h.node, h.status]);

/** The history entries of one node. */
export const runsOf = (record: InstanceRecord, node: string) => record.history.filter((h) => h.node === node);

/** The one run of `node` in the history; fails the test, naming the node, when it ran more or less often. */
export function onlyRunOf(record: InstanceRecord, node: string) {
  const runs = runsOf(record, node);
  expect([node, runs.length]).toEqual([node, 1]);
  return runs[0] as (typeof runs)[number];
}

/** The id of the request that the `visit`-th run of an async node sends. */
export const requestId = (node: string, visit = 1): string => simulatedRequestId(INSTANCE, node, visit);

/** Every request the node has sent, in order. */
export const requestsOf = (sim: WorkflowSimulation, node: string): AsyncRequestMessage[] =>
  sim.dispatcher.sent.filter((r) => r.node === node);

/** The last request the node sent; throws if there is none. */
export function lastRequestOf(sim: WorkflowSimulation, node: string): AsyncRequestMessage {
  const request = requestsOf(sim, node).at(-1);
  if (!request) throw new Error(`no request sent by ${node}`);
  return request;
}

/** Queues a SUCCESS reply with `outputs` to the request. */
export function sendSuccessReply(
  sim: WorkflowSimulation,
  request_id: string,
  outputs: Record<string, unknown>,
): void {
  sim.send({ type: 'ASYNC_RESP', instance_id: INSTANCE, request_id, status: 'SUCCESS', outputs });
}

/** The record's view of the first visit's open wait on an async node. */
export const firstWait = (
  node: string,
  capability_id: string,
  since: string,
  deadline: string | null,
): WaitView => ({ request_id: requestId(node), node, capability_id, since, deadline });

/** `yaml` without the node `name` (its key and the lines indented under it). */
export const withoutNode = (yaml: string, name: string): string =>
  yaml.replace(new RegExp(`^ {2}${name}:\\n(?: {4}.*\\n)*`, 'm'), '');
