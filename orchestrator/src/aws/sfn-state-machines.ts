import {
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  type SFNClient,
  type StateMachineListItem,
} from '@aws-sdk/client-sfn';
import type { Stage } from '../naming/resource-names';
import { stepFunctionsNames, WORKFLOW_ID_TAG } from '../step-functions/step-functions-names';
import { awsCall } from './aws-errors';

/** A workflow deployed as a state machine (Step Functions mode). */
export interface DeployedStateMachine {
  readonly workflowId: string;
  readonly stateMachineArn: string;
}

/**
 * The workflows of a deployment that run on Step Functions, found where they are: the state machines
 * named `<prefix>wf-...` (stepFunctionsNames), so an operator command needs no list of them and sees a
 * mixed deployment's split as the stack made it. The workflow id is the machine's `cch:workflow-id` tag;
 * a machine without it (deployed before the tag) is named after the id, which the name gives back
 * unless the id held a `.` or was too long for a name (then the name's tail is shown as the id).
 */
export async function deployedStateMachines(sfn: SFNClient, stage: Stage): Promise<DeployedStateMachine[]> {
  const prefix = stepFunctionsNames(stage).stateMachine('');
  const machines: StateMachineListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('SFN', 'ListStateMachines', () =>
      sfn.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken })),
    );
    machines.push(...(page.stateMachines ?? []).filter((m) => m.name?.startsWith(prefix)));
    nextToken = page.nextToken;
  } while (nextToken);
  return Promise.all(
    machines.map(async (machine) => {
      const arn = machine.stateMachineArn ?? '';
      const { tags } = await awsCall('SFN', 'ListTagsForResource', () =>
        sfn.send(new ListTagsForResourceCommand({ resourceArn: arn })),
      );
      const tagged = tags?.find((tag) => tag.key === WORKFLOW_ID_TAG)?.value;
      return { workflowId: tagged ?? (machine.name ?? '').slice(prefix.length), stateMachineArn: arn };
    }),
  );
}
