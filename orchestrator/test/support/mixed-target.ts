import type { OperatorTarget } from '../../src/cli/operator-target';
import type { StepFunctionsDeployment } from '../../src/step-functions/testing/step-functions-deployment';
import type { IndexedTable } from './instance-index-fixtures';

/**
 * What an operator command reaches in a mixed deployment under test: the engine's table (and its queues
 * and bucket) on the embedded AWS, Step Functions mode's executions on the embedded Step Functions
 * endpoint.
 */
export function mixedTarget(
  table: IndexedTable,
  sfn: StepFunctionsDeployment,
  stage: OperatorTarget['stage'],
): OperatorTarget {
  return {
    stage,
    clients: {
      dynamodb: table.aws.clientConfig.dynamodb,
      sqs: table.aws.clientConfig.sqs,
      s3: table.aws.clientConfig.s3,
      sfn: sfn.sfnConfig,
    },
  };
}
