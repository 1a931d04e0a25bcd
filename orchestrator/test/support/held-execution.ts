import {
  CreateStateMachineCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type SFNClientConfig,
} from '@aws-sdk/client-sfn';
import type { Stage } from '../../src/naming/resource-names';
import { stepFunctionsNames, WORKFLOW_ID_TAG } from '../../src/step-functions/step-functions-names';

/**
 * A Step Functions mode instance that is RUNNING with no task open: an execution of a state machine,
 * named and tagged as the stack names a workflow's, whose one state is an hour's Wait (what a workflow's
 * `wait` node compiles to). Created on a Step Functions endpoint (the embedded one of
 * startStepFunctionsDeployment); resolves once the execution sits in its Wait state.
 */
export async function startHeldExecution(
  config: SFNClientConfig,
  stage: Stage,
  workflowId: string,
  instanceId: string,
): Promise<string> {
  const sfn = new SFNClient(config);
  try {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: stepFunctionsNames(stage).stateMachine(workflowId),
        definition: JSON.stringify({
          StartAt: 'Hold',
          States: { Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Succeed' } },
        }),
        roleArn: 'arn:aws:iam::123456789012:role/local',
        tags: [{ key: WORKFLOW_ID_TAG, value: workflowId }],
      }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: instanceId, input: '{}' }),
    );
    for (let tries = 0; tries < 200; tries++) {
      const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      if ((events ?? []).some((e) => e.type === 'WaitStateEntered')) return executionArn ?? '';
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${instanceId} did not enter its Wait state`);
  } finally {
    sfn.destroy();
  }
}
