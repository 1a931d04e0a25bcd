import type { CapabilityMocks } from '../../capability-mocks/capability-mocks';
import type { AsyncRequestMessage } from '../../runtime/messages';
import type { Context, HistoryEntry, WorkflowError } from '../../graph/workflow-state';
import { WorkflowSimulation } from '../../runtime/memory/workflow-simulation';
import type { SyncCapability } from '../../sync-capabilities/registry';

/** What the parity tests compare between the two modes. */
export interface RunView {
  readonly status: string;
  readonly context: Context;
  readonly output?: Context;
  readonly error?: WorkflowError;
  readonly history: readonly (readonly [string, HistoryEntry['status']])[];
}

export interface EngineRunResult extends RunView {
  /** ASYNC_REQ messages the engine sent, in order. */
  readonly requests: number;
  /** The same messages, as the capabilities received them. */
  readonly sent: readonly AsyncRequestMessage[];
  /** Duplicate and stale replies the engine acknowledged. */
  readonly ignoredReplies: number;
}

/**
 * Runs a definition on the LangGraph engine's in-memory orchestrator (the runtime `wf run --memory` uses,
 * with a simulated clock, so timeouts fire without waiting) under scripted capability replies.
 */
export async function runOnEngine(
  yaml: string,
  workflowId: string,
  options: {
    readonly context: Context;
    readonly mocks?: CapabilityMocks;
    readonly syncCapabilities?: Readonly<Record<string, SyncCapability>>;
    readonly instanceId?: string;
    /** Other definitions (the children its sub_workflow and map nodes start), by workflow id. */
    readonly definitions?: Readonly<Record<string, string>>;
  },
): Promise<EngineRunResult> {
  const instanceId = options.instanceId ?? 'inst-1';
  const sim = new WorkflowSimulation({
    mocks: options.mocks ?? {},
    ...(options.syncCapabilities ? { syncCapabilities: options.syncCapabilities } : {}),
  });
  sim.definitions.put(`${workflowId}.yaml`, yaml);
  for (const [id, text] of Object.entries(options.definitions ?? {})) sim.definitions.put(`${id}.yaml`, text);
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: workflowId,
    instance_id: instanceId,
    context: options.context,
  });
  await sim.drain();
  const record = await sim.instances.get(instanceId);
  if (!record) throw new Error(`the engine created no instance ${instanceId}`);
  return {
    status: record.status,
    context: record.context,
    ...(record.output ? { output: record.output } : {}),
    ...(record.error ? { error: record.error } : {}),
    history: record.history.map((h) => [h.node, h.status as HistoryEntry['status']] as const),
    requests: sim.dispatcher.sent.filter((m) => m.type === 'ASYNC_REQ').length,
    sent: sim.dispatcher.sent.filter((m) => m.type === 'ASYNC_REQ'),
    ignoredReplies: sim.metrics.total('DuplicateReplies') + sim.metrics.total('StaleReplies'),
  };
}
