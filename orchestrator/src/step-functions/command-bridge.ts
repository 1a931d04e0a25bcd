import type { Logger } from '../runtime/ports';
import type { CancelWorkflow, StartWorkflow } from '../runtime/messages';
import { EngineError } from '../errors/engine-error';
import { initialMachineState } from './machine-state';

/** Starts and stops executions (Step Functions' StartExecution / StopExecution). */
export interface ExecutionControl {
  /** `exists`: an execution of that name exists already (Step Functions keeps names 90 days). */
  start(stateMachineArn: string, name: string, input: string): Promise<'started' | 'exists'>;
  /** `gone`: no such execution, or it has ended. */
  stop(executionArn: string, cause: string): Promise<'stopped' | 'gone'>;
}

/** A deployed workflow: its state machine and the keys START must carry. */
export interface DeployedWorkflow {
  readonly stateMachineArn: string;
  readonly initialContext: readonly string[];
}

/** Step Functions' rule for execution names; instance ids are execution names in this mode. */
const EXECUTION_NAME = /^[A-Za-z0-9_.-]{1,80}$/;

/** A command that can never be carried out; the caller dead-letters it with this reason. */
export class RefusedCommandError extends EngineError {
  constructor(code: string, message: string) {
    super(code, message, false);
  }
}

/**
 * START_WORKFLOW and CANCEL_WORKFLOW in Step Functions mode: the command queue's messages are unchanged.
 * START starts an execution of the workflow's state machine named by the instance id, so a second START
 * with that id is acknowledged and ignored (Step Functions refuses the name); CANCEL stops it. A START for
 * an unknown workflow, with an instance id Step Functions cannot use as a name, or missing a key of
 * `initial_context` is refused (dead-lettered with the reason) and starts nothing.
 */
export class CommandBridge {
  constructor(
    private readonly deps: {
      readonly control: ExecutionControl;
      /** By workflow_id: the state machines of this deployment. */
      readonly workflows: ReadonlyMap<string, DeployedWorkflow>;
      readonly newId: () => string;
      readonly logger: Logger;
    },
  ) {}

  async start(command: StartWorkflow): Promise<'started' | 'exists'> {
    const workflow = this.deps.workflows.get(command.workflow_id);
    if (!workflow) {
      throw new RefusedCommandError(
        'UNKNOWN_WORKFLOW',
        `no state machine for workflow ${command.workflow_id}`,
      );
    }
    const instanceId = command.instance_id ?? this.deps.newId();
    if (!EXECUTION_NAME.test(instanceId)) {
      throw new RefusedCommandError(
        'INVALID_INSTANCE_ID',
        `instance id '${instanceId}' cannot name a Step Functions execution (1-80 letters, digits, _, . or -)`,
      );
    }
    const missing = workflow.initialContext.filter((key) => !(key in command.context));
    if (missing.length > 0) {
      throw new RefusedCommandError('MISSING_CONTEXT', `the start context lacks ${missing.join(', ')}`);
    }
    const result = await this.deps.control.start(
      workflow.stateMachineArn,
      instanceId,
      JSON.stringify(initialMachineState(command.context)),
    );
    this.deps.logger.info(
      { instance_id: instanceId, workflow_id: command.workflow_id },
      result === 'started' ? 'instance started' : 'instance exists; START ignored',
    );
    return result;
  }

  /**
   * Stops the instance's execution. CANCEL names no workflow, so each state machine's execution of that
   * name is asked in turn (one per workflow of the deployment; the others answer that none exists).
   */
  async cancel(command: CancelWorkflow): Promise<'stopped' | 'gone'> {
    for (const workflow of this.deps.workflows.values()) {
      const arn = `${workflow.stateMachineArn.replace(':stateMachine:', ':execution:')}:${command.instance_id}`;
      if ((await this.deps.control.stop(arn, command.reason ?? 'cancelled')) === 'stopped') {
        this.deps.logger.info({ instance_id: command.instance_id }, 'instance cancelled');
        return 'stopped';
      }
    }
    this.deps.logger.warn(
      { instance_id: command.instance_id },
      'CANCEL for no running instance; acknowledged',
    );
    return 'gone';
  }
}
