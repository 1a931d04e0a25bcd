import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { lambdaCode } from './bundling/local-lambda-bundling';
import { acknowledgeWildcards } from './nag';

/**
 * The only actions granted on `Resource: *`. Active X-Ray tracing needs these two, and X-Ray has no
 * resource-level permissions. (Metrics need no `cloudwatch:PutMetricData`: they are written as Embedded
 * Metric Format log lines, which CloudWatch extracts from the function's log group.)
 */
export const WILDCARD_RESOURCE_ACTIONS: readonly string[] = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

export interface NodeLambdaProps {
  readonly functionName: string;
  /** TypeScript entry exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /** Log group name; Lambda's default `/aws/lambda/<function name>` keeps the console links working. */
  readonly logGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The Parameters and Secrets extension layer, for a function that reads a secret. @default none */
  readonly paramsAndSecrets?: lambda.ParamsAndSecretsLayerVersion;
}

/**
 * A TypeScript Lambda bundled locally by esbuild (no Docker; settings and plugins in
 * bundling/lambda-bundle.ts, which the bundle tests and the bench build with too): Node.js 22 on arm64,
 * active X-Ray tracing, its own log group with a retention, and its own role holding nothing but what is
 * granted to it: write to its log group, X-Ray, plus the grants its owner adds (no AWS managed policies).
 */
export class NodeLambda extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeLambdaProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this one log group only.
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      code: lambdaCode(props.entry),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.paramsAndSecrets ? { paramsAndSecrets: props.paramsAndSecrets } : {}),
    });
    // Tracing.ACTIVE adds the X-Ray statement to the role's default policy: the one `Resource: *` grant.
    acknowledgeWildcards(this.role, [
      {
        finding: 'Resource::*',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords are granted on *: X-Ray has no ' +
          'resource-level permissions (the IAM test checks that nothing else is).',
      },
    ]);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: it is the Node.js major the engine is built, bundled (target node22) ' +
        'and tested for; moving to a newer runtime is a deliberate upgrade, not a side effect of a CDK release.',
    });
  }
}
