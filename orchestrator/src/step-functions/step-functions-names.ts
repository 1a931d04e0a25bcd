import { createHash } from 'node:crypto';
import { resourceNames, type Stage } from '../naming/resource-names';

/** The tag the stack puts on each workflow's state machine: its workflow id, exactly. */
export const WORKFLOW_ID_TAG = 'cch:workflow-id';

/** Longest state machine name Step Functions accepts. */
const STATE_MACHINE_NAME_MAX = 80;

/**
 * Names of Step Functions mode's resources, built on the naming module's `cch-<env>-<owner>-` prefix so
 * they follow the same rule as every other resource (the CDK stack and the Lambdas both call this).
 */
export function stepFunctionsNames(stage: Stage) {
  const { prefix } = resourceNames(stage);
  return {
    taskTokenTable: `${prefix}sfn-task-token-table`,
    commandFunction: `${prefix}sfn-command-function`,
    replyFunction: `${prefix}sfn-reply-function`,
    requestFunction: `${prefix}sfn-request-function`,
    stepsFunction: `${prefix}sfn-steps-function`,
    /**
     * A mixed deployment's queues for Step Functions: its commands (forwarded by the orchestrator, the
     * public command queue's one consumer) and its replies (the `reply_to` of its requests), with DLQs.
     */
    commandQueue: `${prefix}sfn-command-queue`,
    commandDlq: `${prefix}sfn-command-dlq`,
    replyQueue: `${prefix}sfn-reply-queue`,
    replyDlq: `${prefix}sfn-reply-dlq`,
    /**
     * `<prefix>wf-<workflow_id>`: a workflow id may hold `.` and be 128 characters long, a state machine
     * name neither, so `.` becomes `-` and a name too long keeps its start and gets a hash of the id.
     */
    stateMachine: (workflowId: string) => {
      const name = `${prefix}wf-${workflowId.replace(/\./g, '-')}`;
      if (name.length <= STATE_MACHINE_NAME_MAX && !workflowId.includes('.')) return name;
      const hash = createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 8);
      return `${name.slice(0, STATE_MACHINE_NAME_MAX - hash.length - 1)}-${hash}`;
    },
    stateMachineLogGroup: (workflowId: string) => `/aws/vendedlogs/states/${prefix}wf-${workflowId}`,
  };
}
