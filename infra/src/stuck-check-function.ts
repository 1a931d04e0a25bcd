import { join } from 'node:path';
import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INSTANCE_INDEX } from '../../orchestrator/src/aws/instance-index-layout';
import type { ResourceNames, Stage } from '../../orchestrator/src/naming/resource-names';
import { DEFAULT_STUCK_AFTER_MS } from '../../orchestrator/src/operations/stuck-instances';
import { stepFunctionsNames } from '../../orchestrator/src/step-functions/step-functions-names';
import { acknowledgeWildcards } from './nag';
import { NodeLambda } from './node-lambda';
import { repoRoot } from './paths';
import type { Storage } from './storage';

/** The stuck check's entry (exports `handler`: a scheduled event -> the counts it published). */
export const STUCK_CHECK_ENTRY = join(repoRoot, 'orchestrator', 'src', 'stuck-check-handler.ts');

export interface StuckCheckFunctionProps {
  readonly stage: Stage;
  readonly names: ResourceNames;
  readonly storage: Storage;
  /** How often it runs; also the period its alarms evaluate. @default 5 minutes */
  readonly rate?: Duration;
  /**
   * How long a wait may stay open past its deadline, or a RUNNING instance show no activity, before it
   * counts as stuck. @default 15 minutes (the longest an orchestrator step can take)
   */
  readonly stuckAfter?: Duration;
  /** TypeScript entry exporting `handler`. @default STUCK_CHECK_ENTRY */
  readonly entry?: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Runs orchestrator/src/stuck-check-handler.ts on a schedule: it reads the candidates among the live
 * instances from the instance indexes (open waits past their deadline from `by-deadline`, RUNNING
 * instances live for longer than the grace from `by-change`; never every live instance) and publishes the `WaitsOverdue` and `InstancesStuck` gauges (EMF) that Monitoring alarms
 * on. Neither can come from the orchestrator: an instance is stuck precisely when nothing invokes it.
 *
 * Environment contract: `CCH_ENV`, `CCH_OWNER` (name the table), `CCH_STUCK_AFTER_SECONDS`, `LOG_LEVEL`.
 *
 * Permissions: Query on the state table's `by-deadline` and `by-change` indexes and BatchGetItem on the table (status records
 * and leases, read only); its log group; X-Ray. With Step Functions mode (`judgeStepFunctionsExecutions`),
 * reading this deployment's state machines and their executions.
 */
export class StuckCheckFunction extends Construct {
  public readonly lambda: NodeLambda;
  public readonly function: lambda.IFunction;
  public readonly rule: events.Rule;
  public readonly rate: Duration;

  constructor(scope: Construct, id: string, props: StuckCheckFunctionProps) {
    super(scope, id);
    const { names, stage, storage } = props;
    this.rate = props.rate ?? Duration.minutes(5);
    const stuckAfter = props.stuckAfter ?? Duration.millis(DEFAULT_STUCK_AFTER_MS);
    this.lambda = new NodeLambda(this, 'StuckCheck', {
      functionName: names.stuckCheckFunction,
      description: 'Counts overdue waits and stuck instances (WaitsOverdue, InstancesStuck) for their alarms',
      entry: props.entry ?? STUCK_CHECK_ENTRY,
      memorySize: 256,
      // A run stops examining 10 s before this and publishes what it counted.
      timeout: Duration.minutes(4),
      logGroupName: `/aws/lambda/${names.stuckCheckFunction}`,
      logRetention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
      environment: {
        CCH_ENV: stage.env,
        CCH_OWNER: stage.owner,
        CCH_STUCK_AFTER_SECONDS: String(stuckAfter.toSeconds()),
        LOG_LEVEL: 'info',
      },
    });
    this.function = this.lambda.function;

    storage.grantStateTable(this.lambda.role, 'dynamodb:BatchGetItem');
    this.lambda.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [INSTANCE_INDEX.byDeadline, INSTANCE_INDEX.byChange].map(
          (index) => `${storage.stateTable.tableArn}/index/${index.name}`,
        ),
      }),
    );

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Runs ${names.stuckCheckFunction}`,
      schedule: events.Schedule.rate(this.rate),
      // A missed run is made up by the next one: no retries that would overlap it.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }

  /**
   * The stack deploys Step Functions mode: the check judges the RUNNING executions of its state machines
   * too (`CCH_STEP_FUNCTIONS=on`), as `wf list --stuck` does, so their stuck instances reach the same
   * gauges and alarms. Reads only: the machines named with this deployment's prefix (`<prefix>wf-`) and
   * their executions; ListStateMachines has no resource to scope it to.
   */
  judgeStepFunctionsExecutions(stage: Stage): void {
    this.lambda.function.addEnvironment('CCH_STEP_FUNCTIONS', 'on');
    const stack = Stack.of(this);
    const machines = `${stepFunctionsNames(stage).stateMachine('')}*`;
    const arn = (resource: 'stateMachine' | 'execution', resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const role = this.lambda.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:ListTagsForResource', 'states:ListExecutions'],
        resources: [arn('stateMachine', machines)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [arn('execution', `${machines}:*`)],
      }),
    );
    const partitioned = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>';
    acknowledgeWildcards(role, [
      {
        finding: 'Resource::*',
        reason:
          'states:ListStateMachines takes no resource: it finds the state machines of this deployment by their name prefix.',
      },
      {
        finding: `Resource::${partitioned}:stateMachine:${machines}`,
        reason:
          "The deployment's state machines (one per workflow in Step Functions mode), by their name prefix: tags and executions, read only.",
      },
      {
        finding: `Resource::${partitioned}:execution:${machines}:*`,
        reason:
          "The executions of the deployment's state machines, named at run time: described and their history read, read only.",
      },
    ]);
  }
}
