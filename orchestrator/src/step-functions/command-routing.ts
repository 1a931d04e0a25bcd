import { ack, type HandleOutcome } from '../runtime/handle-outcome';
import type { CancelWorkflow, StartWorkflow } from '../runtime/messages';
import type { OrchestratorRuntime } from '../runtime/orchestrator-runtime';

type Runtime = Pick<OrchestratorRuntime, 'handle'>;

/** Where a mixed deployment's Step Functions commands go, and what the engine knows. */
export interface StepFunctionsRoute {
  /** The workflows deployed as state machines. */
  readonly workflowIds: ReadonlySet<string>;
  /** Puts the command on the Step Functions command queue (its bridge starts or stops the execution). */
  forward(command: StartWorkflow | CancelWorkflow): Promise<void>;
  /** Whether the engine has an instance of this id. */
  engineHas(instanceId: string): Promise<boolean>;
}

/**
 * The command queue of a mixed deployment (some definitions on Step Functions, the rest on the engine;
 * CDK context `engines`). SQS gives a queue's messages to whichever consumer polls, and a Lambda event
 * filter deletes what it does not match, so the public command queue keeps ONE consumer, the
 * orchestrator, whose runtime this wraps. After the orchestrator's own checks (sender ids, claim check,
 * poison messages):
 * - START_WORKFLOW of a workflow deployed as a state machine is forwarded, unchanged, to the Step
 *   Functions command queue, whose bridge starts the execution (named by the instance id, idempotent),
 *   unless it starts a child of a sub_workflow or map (then the engine runs it, to answer its parent);
 * - CANCEL_WORKFLOW of an instance the engine has, or from a parent to its child, goes to the engine; any
 *   other is forwarded (the bridge stops the execution of that name, or acknowledges that none runs);
 * - everything else (the engine's START, its timers and redrives, replies) reaches the engine unchanged.
 * A forward that fails throws: the message comes back, as any failed message does.
 */
export class StepFunctionsRouting implements Runtime {
  constructor(
    private readonly engine: Runtime,
    private readonly route: StepFunctionsRoute,
  ) {}

  async handle(...args: Parameters<Runtime['handle']>): Promise<HandleOutcome> {
    const [message] = args;
    // A child of a sub_workflow or map stays on the engine, whatever its definition's engine: its end
    // must reach its parent's wait, which only the engine reports.
    if (
      message.type === 'START_WORKFLOW' &&
      message.parent === undefined &&
      this.route.workflowIds.has(message.workflow_id)
    ) {
      await this.route.forward(message);
      return ack('forwarded to Step Functions');
    }
    // A parent's cancel of its child stays on the engine too: the child may not have started yet (its
    // START still queued), and no execution of that name is the parent's to stop.
    if (
      message.type === 'CANCEL_WORKFLOW' &&
      message.parent === undefined &&
      !(await this.route.engineHas(message.instance_id))
    ) {
      await this.route.forward(message);
      return ack('forwarded to Step Functions');
    }
    return this.engine.handle(...args);
  }
}
