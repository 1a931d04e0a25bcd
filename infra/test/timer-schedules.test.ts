import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { readAppContext, readTimerScheduler } from '../src/app-context';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';
import { permissionsOf, policyStatements, resolvedJson } from './support/template-helpers';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('timerScheduler context', () => {
  it('defaults to eventbridge for deployed envs and to sqs for local (no Scheduler emulator)', () => {
    expect(readTimerScheduler(context({}), 'dev')).toBe('eventbridge');
    expect(readTimerScheduler(context({}), 'prod')).toBe('eventbridge');
    expect(readTimerScheduler(context({}), 'local')).toBe('sqs');
    expect(readAppContext(context({ env: 'dev', owner: 'a' })).timerScheduler).toBe('eventbridge');
  });

  it('takes eventbridge or sqs and refuses anything else', () => {
    expect(readTimerScheduler(context({ timerScheduler: 'sqs' }), 'prod')).toBe('sqs');
    expect(readTimerScheduler(context({ timerScheduler: 'eventbridge' }), 'local')).toBe('eventbridge');
    expect(() => readTimerScheduler(context({ timerScheduler: 'EventBridge' }), 'dev')).toThrow(
      /CDK context 'timerScheduler' must be eventbridge or sqs, got "EventBridge"/,
    );
  });
});

describe('timerScheduler=eventbridge', () => {
  let stack: WorkflowEngineStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthStack({ env: 'dev', owner: 'alice', timerScheduler: 'eventbridge' }));
  });

  const arn = (token: unknown) => resolvedJson(stack, token);
  const timers = () => {
    if (!stack.timers) throw new Error('no TimerSchedules on an eventbridge stack');
    return stack.timers;
  };
  const scheduleArns = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':scheduler:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':schedule/cch-dev-alice-timer-schedules/*',
      ],
    ],
  };

  it('creates the schedule group named by the naming module', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: stack.names.timerScheduleGroup });
  });

  it('has a role only scheduler.amazonaws.com assumes, for this account and this group', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': scheduleArns },
            },
          },
        ],
      },
    });
    const roleLogicalId = (stack.resolve(timers().targetRole.roleArn) as { 'Fn::GetAtt': [string] })[
      'Fn::GetAtt'
    ][0];
    const role = template.findResources('AWS::IAM::Role')[roleLogicalId] as {
      Properties: { AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] } };
    };
    expect(role.Properties.AssumeRolePolicyDocument.Statement.map((s) => s.Principal)).toEqual([
      { Service: 'scheduler.amazonaws.com' },
    ]);
  });

  it('lets that role send to the command queue and do nothing else', () => {
    const granted = permissionsOf(template, stack.resolve(timers().targetRole.roleName));
    expect([...granted].map(([action, resources]) => [action, [...resources]])).toEqual([
      ['sqs:SendMessage', [arn(stack.queues.command.queue.queueArn)]],
    ]);
    // The queue is SQS-managed encrypted: no KMS key to grant.
    expect(stack.queues.command.queue.encryptionMasterKey).toBeUndefined();
  });

  it('lets the orchestrator create and delete schedules in the group and pass that role, to the scheduler only', () => {
    const granted = permissionsOf(template, stack.resolve(stack.orchestrator.lambda.role.roleName));
    expect([...(granted.get('scheduler:CreateSchedule') ?? [])]).toEqual([JSON.stringify(scheduleArns)]);
    expect([...(granted.get('iam:PassRole') ?? [])]).toEqual([arn(timers().targetRole.roleArn)]);
    expect([...(granted.get('scheduler:DeleteSchedule') ?? [])]).toEqual([JSON.stringify(scheduleArns)]);
    expect([...granted.keys()].filter((a) => a.startsWith('scheduler:'))).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
    ]);
    const passRole = policyStatements(template).find(({ statement }) => statement.Action === 'iam:PassRole');
    expect(passRole?.statement.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
  });

  it('tells the orchestrator which scheduler, role, target queue and group to use', () => {
    const variables = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.orchestratorFunction,
      Environment: { Variables: variables },
    });
    expect(variables.asObject()).toMatchObject({
      CCH_TIMER_SCHEDULER: 'eventbridge',
      CCH_TIMER_ROLE_ARN: stack.resolve(timers().targetRole.roleArn) as unknown,
      CCH_TIMER_QUEUE_ARN: stack.resolve(stack.queues.command.queue.queueArn) as unknown,
      CCH_TIMER_SCHEDULE_GROUP: stack.names.timerScheduleGroup,
    });
  });

  it('keeps the group (and its pending timers) when a prod stack is deleted', () => {
    const prod = synthStack({ env: 'prod', owner: 'ops' });
    prod.template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: { Name: prod.stack.names.timerScheduleGroup },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('timerScheduler=sqs', () => {
  it('adds no schedule group, no scheduler role and no scheduler permission; env says sqs', () => {
    const { stack, template } = synthStack({ env: 'dev', owner: 'alice', timerScheduler: 'sqs' });
    expect(stack.timers).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      {
        AssumeRolePolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } }),
          ]),
        },
      },
      0,
    );
    const actions = policyStatements(template).flatMap(({ statement }) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
    expect(actions.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole')).toEqual([]);
    const variables = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.orchestratorFunction,
      Environment: { Variables: variables },
    });
    const env = variables.asObject();
    expect(env.CCH_TIMER_SCHEDULER).toBe('sqs');
    expect(Object.keys(env).filter((k) => k.startsWith('CCH_TIMER_') && k !== 'CCH_TIMER_SCHEDULER')).toEqual(
      [],
    );
  });
});
