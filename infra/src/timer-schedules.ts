import { Arn, ArnFormat, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';
import { acknowledgeWildcards } from './nag';

export interface TimerSchedulesProps {
  readonly names: ResourceNames;
  /** The command queue: every schedule's target. */
  readonly commandQueue: sqs.IQueue;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * EventBridge Scheduler for long timers (orchestrator/src/aws/eventbridge-timer-scheduler.ts): the schedule
 * group the orchestrator creates one one-time schedule per wait in, and the role the scheduler assumes to
 * send the schedule's TIMER_FIRED to the command queue (sqs:SendMessage on that queue only, plus the
 * queue's KMS key when it has a customer-managed one; today it is SQS-managed and needs none).
 */
export class TimerSchedules extends Construct {
  public readonly group: scheduler.ScheduleGroup;
  /** Assumed by scheduler.amazonaws.com, for schedules in this group of this account only. */
  public readonly targetRole: iam.Role;
  /** The group's name, as a literal (the policies and cdk-nag's findings name it). */
  public readonly groupName: string;
  private readonly commandQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: TimerSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.commandQueue = props.commandQueue;
    this.groupName = props.names.timerScheduleGroup;
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: this.groupName,
      // Deleting a group deletes its schedules: a retained stage keeps its pending timers.
      removalPolicy: props.removalPolicy,
    });
    this.targetRole = new iam.Role(this, 'TargetRole', {
      description: 'EventBridge Scheduler sends timer schedules (TIMER_FIRED) to the command queue',
      // Confused-deputy guard: only schedules of this account, in this group, may use the role.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.scheduleArn('*') },
        },
      }),
    });
    props.commandQueue.grant(this.targetRole, 'sqs:SendMessage');
    props.commandQueue.encryptionMasterKey?.grant(this.targetRole, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** ARN of the schedule `name` in the group (`*`: every schedule in it). */
  scheduleArn(name: string): string {
    return Arn.format(
      {
        service: 'scheduler',
        resource: 'schedule',
        resourceName: `${this.groupName}/${name}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      },
      Stack.of(this),
    );
  }

  /**
   * Lets `role` create schedules in the group and delete them (a timer whose wait closed is withdrawn;
   * fired schedules delete themselves), and pass the target role to EventBridge Scheduler (that role only,
   * to that service only).
   */
  grantCreateSchedules(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        resources: [this.scheduleArn('*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.targetRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledgeWildcards(role, [
      {
        finding: `Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*`,
        reason:
          'One one-time schedule per timer, named by a hash of the timer at run time: CreateSchedule and ' +
          'DeleteSchedule only, limited to the timer schedule group.',
      },
    ]);
  }

  /** The orchestrator's environment (orchestrator/src/handler.ts, timersFromEnv). */
  get environment(): Record<string, string> {
    return {
      CCH_TIMER_SCHEDULER: 'eventbridge',
      CCH_TIMER_ROLE_ARN: this.targetRole.roleArn,
      CCH_TIMER_QUEUE_ARN: this.commandQueue.queueArn,
      CCH_TIMER_SCHEDULE_GROUP: this.group.scheduleGroupName,
    };
  }
}
