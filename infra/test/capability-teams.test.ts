import type { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidAppContextError } from '../src/app-context';
import { readCapabilityTeams } from '../src/capability-teams';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';
import { permissionsOf, resolvedJson } from './support/template-helpers';

/** Issue 15: each capability team reaches exactly its own queues; replies are checked against it. */

const TEAMS = {
  import: 'arn:aws:iam::111122223333:role/import-capability',
  // A domain no definition uses yet: the team's configuration provisions its queue.
  billing: '444455556666',
};

describe('readCapabilityTeams', () => {
  const read = (value: unknown) =>
    readCapabilityTeams((key) => (key === 'capabilityTeams' ? value : undefined));

  it('reads a JSON string (the command line) or an object (cdk.json); none when absent', () => {
    expect([...read(JSON.stringify(TEAMS))]).toEqual(Object.entries(TEAMS));
    expect([...read(TEAMS)]).toEqual(Object.entries(TEAMS));
    expect(read(undefined).size).toBe(0);
  });

  it.each([
    ['not JSON', '{import:'],
    ['a list', '["import"]'],
    ['a domain that cannot name a queue', { 'Bad Domain': '111122223333' }],
    ['a principal that is not an account or IAM ARN', { import: 'import-team' }],
    ['a wildcard principal', { import: '*' }],
  ])('refuses %s', (_label, value) => {
    expect(() => read(value)).toThrow(InvalidAppContextError);
  });
});

// One synthesis for the whole file (each takes seconds): a dev stack with two teams.
let app: App;
let stack: WorkflowEngineStack;
let template: Template;
beforeAll(() => {
  ({ app, stack, template } = synthStack({ capabilityTeams: JSON.stringify(TEAMS) }));
});

describe('a stack with capability teams', () => {
  const arn = (token: unknown) => resolvedJson(stack, token);

  it('gives each team a role its principal assumes, named after the domain', () => {
    const role = stack.capabilityTeams.roles.get('import')!;
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'cch-dev-alice-team-import',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: TEAMS.import },
          }),
        ],
      },
    });
    expect(stack.resolve(role.roleName)).toEqual({ Ref: expect.any(String) as unknown });
    const billing = Object.values(
      template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'cch-dev-alice-team-billing' } }),
    );
    expect(billing).toHaveLength(1);
    expect(JSON.stringify(billing[0])).toContain(':iam::444455556666:root');
  });

  it.each(Object.keys(TEAMS))(
    'lets team %s receive on its own request queue and send to the reply queue, and nothing else',
    (domain) => {
      const role = stack.capabilityTeams.roles.get(domain)!;
      const granted = permissionsOf(template, stack.resolve(role.roleName));
      const own = arn(stack.queues.capability.get(domain)!.queue.queueArn);
      const reply = arn(stack.queues.reply.queue.queueArn);
      expect(Object.fromEntries([...granted].map(([action, on]) => [action, [...on].sort()]))).toEqual({
        'sqs:ReceiveMessage': [own],
        'sqs:ChangeMessageVisibility': [own],
        'sqs:DeleteMessage': [own],
        'sqs:GetQueueUrl': [own, reply].sort(),
        'sqs:GetQueueAttributes': [own, reply].sort(),
        'sqs:SendMessage': [reply],
      });
    },
  );

  it("tells the orchestrator each team role's id (its SenderId), the mock's for the other domains, and its own", () => {
    const env = orchestratorEnvironment(template, stack);
    const senders = JSON.stringify(env.CCH_REPLY_SENDERS);
    for (const domain of Object.keys(TEAMS)) {
      expect(senders).toContain(`"${domain}\\":[\\""`);
      expect(senders).toContain(
        JSON.stringify(stack.resolve(stack.capabilityTeams.roles.get(domain)!.roleId)),
      );
    }
    expect(senders).toContain(JSON.stringify(stack.resolve(stack.capabilityMock!.lambda.role.roleId)));
    expect(env.CCH_RELAY_SENDER_IDS).toEqual(stack.resolve(stack.orchestrator.lambda.role.roleId));
  });

  it("leaves a team's queue to the team: the capability mock consumes only the other domains", () => {
    const mockSources = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { FunctionName: stack.resolve(stack.capabilityMock!.function.functionName) as unknown },
      }),
    ).map((r) =>
      JSON.stringify((r as { Properties: { EventSourceArn: unknown } }).Properties.EventSourceArn),
    );
    for (const domain of Object.keys(TEAMS)) {
      expect(mockSources).not.toContain(arn(stack.queues.capability.get(domain)!.queue.queueArn));
    }
    expect(mockSources).toHaveLength(stack.queues.capability.size - Object.keys(TEAMS).length);
    expect(mockSources.length).toBeGreaterThan(0);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('the reply keys and the refused-replies alarm', () => {
  it('creates the keys in Secrets Manager, generated there (never in the template)', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'cch-dev-alice-reply-keys',
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'current',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
      SecretString: Match.absent(),
    });
  });

  it('lets the orchestrator alone read them, and tells it where they are', () => {
    const secret = JSON.stringify(stack.resolve(stack.replyKeys.secret.secretArn));
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes('secretsmanager:GetSecretValue'),
    );
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain(secret);
    const granted = permissionsOf(template, stack.resolve(stack.orchestrator.lambda.role.roleName));
    // Besides the reply keys, only the workflow secrets (cch-<env>/*, which the reply keys are not under).
    expect([...(granted.get('secretsmanager:GetSecretValue') ?? [])].sort()).toEqual(
      [secret, resolvedJson(stack, stack.workflowSecrets.prefixArn)].sort(),
    );
    const env = orchestratorEnvironment(template, stack);
    expect(env.CCH_REPLY_KEYS_SECRET_ARN).toEqual(stack.resolve(stack.replyKeys.secret.secretArn));
    // Read through the Parameters and Secrets extension (a layer), which caches it for a minute.
    expect(env.SECRETS_MANAGER_TTL).toBe('60');
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.orchestratorFunction,
      Layers: [Match.objectLike({ 'Fn::FindInMap': Match.anyValue() })],
    });
  });

  it('alarms on any refused reply of this deployment in 5 minutes, to the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stack.names.prefix}replies-refused`,
      Namespace: 'CCH/WorkflowEngine',
      MetricName: 'RepliesRefused',
      Dimensions: [
        { Name: 'env', Value: 'dev' },
        { Name: 'owner', Value: 'alice' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(stack.monitoring.alarmTopic.topicArn)],
    });
  });
});

function orchestratorEnvironment(template: Template, stack: WorkflowEngineStack): Record<string, unknown> {
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: stack.names.orchestratorFunction },
    }),
  ) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];
  return fn?.Properties.Environment?.Variables ?? {};
}
