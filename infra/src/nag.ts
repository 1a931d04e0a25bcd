import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The logical ID of the CloudFormation resource behind an L2 construct, as cdk-nag prints it in findings
 * (`Resource::<LogicalId.Arn>/*`). Computed, never hard-coded, so refactoring construct ids cannot leave a
 * stale acknowledgement behind.
 */
export function logicalIdOf(construct: IConstruct): string {
  const cfn = construct.node.defaultChild as CfnElement | undefined;
  if (cfn === undefined) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(cfn).getLogicalId(cfn);
}

/**
 * Acknowledges AwsSolutions-IAM5 (wildcard permission) findings on `principal`, one finding at a time
 * (cdk-nag v3 has no blanket acknowledgement): each names the exact action or resource it accepts and why.
 */
export function acknowledgeWildcards(
  principal: IConstruct,
  findings: readonly { readonly finding: string; readonly reason: string }[],
): void {
  for (const { finding, reason } of findings) {
    Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}
