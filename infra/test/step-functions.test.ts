import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { STEP_FUNCTIONS_FIXTURE_ENTRIES, synthStack } from './support/synth-stack';
import { permissionsOf } from './support/template-helpers';

/**
 * Step Functions mode (context engine=stepfunctions): a Standard state machine per definition with
 * logging and X-Ray, the bridging Lambdas on the unchanged queues with least-privilege grants, all named
 * by the naming module, and cdk-nag clean (synthStack runs the AwsSolutions pack: a finding throws).
 */
interface Resource {
  readonly Type: string;
  readonly Properties: {
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
    readonly Roles?: unknown;
    readonly PolicyDocument?: unknown;
  };
}
const { stack, template } = synthStack(
  { engine: 'stepfunctions' },
  { stepFunctionsEntries: STEP_FUNCTIONS_FIXTURE_ENTRIES },
);

describe('Step Functions mode', () => {
  it('deploys one Standard state machine per definition, logged and traced, named by the naming module', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    for (const id of ['export_screening_v1', 'fanout_a_b_c_v1', 'import_vn_memphis_v1']) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `cch-dev-alice-wf-${id}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
        DefinitionSubstitutions: {
          RequestFunctionArn: Match.anyValue(),
          StepsFunctionArn: Match.anyValue(),
        },
        // What `wf status`/`wf list` read a machine's workflow id from.
        Tags: Match.arrayWith([{ Key: 'cch:workflow-id', Value: id }]),
      });
    }
  });

  it('lets a state machine invoke exactly the request and steps functions', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies)
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      )
      .filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(s.Resource).toHaveLength(2);
  });

  it('puts the bridges on the command and reply queues and disables the LangGraph orchestrator there', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'cch-dev-alice-sfn-command-function',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'cch-dev-alice-sfn-reply-function',
    });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as {
      Properties: { Enabled?: boolean; FunctionName: unknown };
    }[];
    const orchestrator = stack.resolve(stack.orchestrator.function.functionName) as unknown;
    const ofOrchestrator = mappings.filter(
      (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify(orchestrator),
    );
    expect(ofOrchestrator.map((m) => m.Properties.Enabled)).toEqual([false, false]);
    expect(mappings.filter((m) => m.Properties.Enabled !== false).length).toBeGreaterThanOrEqual(2);
  });

  it('lets the reply Lambda complete tasks and the command Lambda start and stop executions', () => {
    const actions = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    for (const action of [
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:StartExecution',
      'states:StopExecution',
    ]) {
      expect(actions).toContain(action);
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'cch-dev-alice-sfn-task-token-table',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it("gives the request and reply Lambdas the engine's reply security: the keys, the senders, the reply DLQ", () => {
    const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
    const variablesOf = (fn: lambda.IFunction) =>
      resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)]?.Properties.Environment
        ?.Variables ?? {};
    const statementsOf = (role: iam.IRole) => {
      const name = JSON.stringify(stack.resolve(role.roleName));
      return JSON.stringify(
        Object.values(resources)
          .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(name))
          .map((r) => r.Properties.PolicyDocument),
      );
    };
    const sfn = stack.stepFunctions;
    if (!sfn) throw new Error('no Step Functions engine in the stack');
    const secret = stack.resolve(stack.replyKeys.secret.secretArn) as unknown;
    const senders = variablesOf(stack.orchestrator.function).CCH_REPLY_SENDERS;
    expect(senders).toBeDefined();
    expect(variablesOf(sfn.request.function).CCH_REPLY_KEYS_SECRET_ARN).toEqual(secret);
    expect(variablesOf(sfn.reply.function).CCH_REPLY_KEYS_SECRET_ARN).toEqual(secret);
    // The orchestrator's own value: one definition of who may answer each domain.
    expect(variablesOf(sfn.reply.function).CCH_REPLY_SENDERS).toEqual(senders);
    expect(variablesOf(sfn.steps.function).CCH_REPLY_KEYS_SECRET_ARN).toBeUndefined();
    // The reply keys' secret, read by the two that tag or verify ids (the steps Lambda reads workflow secrets).
    expect(statementsOf(sfn.request.role)).toContain(JSON.stringify(secret));
    expect(statementsOf(sfn.reply.role)).toContain(JSON.stringify(secret));
    expect(statementsOf(sfn.steps.role)).not.toContain(JSON.stringify(secret));
    // A refused reply is dead-lettered at once, as the orchestrator does it.
    expect(statementsOf(sfn.reply.role)).toContain(
      JSON.stringify(stack.resolve(stack.queues.reply.dlq.queueArn)),
    );
  });

  it("has the stuck check judge the executions too, reading only this deployment's machines and executions", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: stack.names.stuckCheckFunction,
      Environment: { Variables: Match.objectLike({ CCH_STEP_FUNCTIONS: 'on' }) },
    });
    const permissions = permissionsOf(template, stack.resolve(stack.stuckCheck.lambda.role.roleName));
    const granted = (action: string) => [...(permissions.get(action) ?? [])].join(' ');
    expect([...permissions.keys()].filter((a) => a.startsWith('states:')).sort()).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:ListStateMachines',
      'states:ListTagsForResource',
    ]);
    expect(granted('states:ListStateMachines')).toBe('"*"');
    for (const action of ['states:ListTagsForResource', 'states:ListExecutions']) {
      expect(granted(action)).toContain(':stateMachine:cch-dev-alice-wf-*');
    }
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory']) {
      expect(granted(action)).toContain(':execution:cch-dev-alice-wf-*:*');
    }
  });

  it('is off by default: the LangGraph engine alone', () => {
    const { stack: plainStack } = synthStack();
    const plain = Template.fromStack(plainStack);
    plain.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    // The stuck check reads the engine's instances only, with no Step Functions permission.
    const stuckCheck: unknown = plainStack.resolve(plainStack.stuckCheck.lambda.role.roleName);
    expect([...permissionsOf(plain, stuckCheck).keys()].filter((a) => a.startsWith('states:'))).toEqual([]);
    plain.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: plainStack.names.stuckCheckFunction,
      Environment: { Variables: Match.not(Match.objectLike({ CCH_STEP_FUNCTIONS: Match.anyValue() })) },
    });
  });
});
