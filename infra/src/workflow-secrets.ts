import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';
import type { NodeLambda } from './node-lambda';
import { acknowledgeWildcards } from './nag';

export interface WorkflowSecretsProps {
  readonly names: ResourceNames;
  /**
   * Secret ARNs workflows may read besides the names under `cch-<env>/` (CDK context
   * `workflowSecretArns`, comma-separated); each may end in `*`.
   */
  readonly extraSecretArns: readonly string[];
}

/**
 * The Secrets Manager secrets workflow definitions may read (an `http` sync_call's header from a
 * secret): every name under `names.workflowSecretsPrefix` (`cch-<env>/`), which teams create themselves,
 * plus the listed ARNs. Which ones the deployed definitions name is only known at run time, so the grant
 * is the prefix; the engine refuses any other id before reading (ScopedSecretSource), so the reply keys,
 * which the orchestrator's role may read, can never go into a header.
 */
export class WorkflowSecrets extends Construct {
  /** The ARN pattern of the secrets under the prefix. */
  public readonly prefixArn: string;
  public readonly extraSecretArns: readonly string[];

  constructor(scope: Construct, id: string, props: WorkflowSecretsProps) {
    super(scope, id);
    this.prefixArn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.names.workflowSecretsPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.extraSecretArns = props.extraSecretArns;
  }

  /** Lets `fn` read them (GetSecretValue only), and tells it the listed ARNs (CCH_WORKFLOW_SECRET_IDS). */
  grantRead(fn: NodeLambda): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.prefixArn, ...this.extraSecretArns],
      }),
    );
    if (this.extraSecretArns.length > 0) {
      fn.function.addEnvironment('CCH_WORKFLOW_SECRET_IDS', this.extraSecretArns.join(','));
    }
    const reason =
      'Workflow definitions name the secrets their http headers read, and which is only known at run ' +
      'time; the grant is GetSecretValue on the names teams keep under the env prefix (docs/sync-capabilities.md), ' +
      'and the engine refuses any other id before reading.';
    acknowledgeWildcards(fn.role, [
      {
        finding: `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.prefixArn.split(':secret:')[1] ?? ''}`,
        reason,
      },
      ...this.extraSecretArns
        .filter((arn) => arn.includes('*'))
        .map((arn) => ({
          finding: `Resource::${arn}`,
          reason: `${reason} This one is listed in workflowSecretArns.`,
        })),
    ]);
  }
}
