import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { readEngineChoices } from '../src/step-functions/engine-context';
import { STEP_FUNCTIONS_FIXTURE_ENTRIES, synthStack } from './support/synth-stack';

/**
 * A mixed deployment (context `engines`): export_screening_v1 on Step Functions, the other examples on the
 * engine, sharing the public command queue. The orchestrator stays its one consumer and forwards the
 * state machine's commands to the command bridge's own queue (StepFunctionsRouting); Step Functions'
 * replies come back on a queue of their own. cdk-nag runs in synthStack (a finding throws).
 */
const { stack, template } = synthStack(
  { engines: JSON.stringify({ export_screening_v1: 'stepfunctions' }) },
  { stepFunctionsEntries: STEP_FUNCTIONS_FIXTURE_ENTRIES },
);
const resolve = (value: unknown) => JSON.stringify(stack.resolve(value));

interface Mapping {
  readonly Properties: { Enabled?: boolean; FunctionName: unknown; EventSourceArn: unknown };
}
const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as Mapping[];
const consumersOf = (queueArn: unknown) =>
  mappings
    .filter((m) => JSON.stringify(m.Properties.EventSourceArn) === resolve(queueArn))
    .map((m) => ({ fn: JSON.stringify(m.Properties.FunctionName), enabled: m.Properties.Enabled !== false }));

describe('a mixed deployment', () => {
  const sfn = stack.stepFunctions;

  it('deploys a state machine for the Step Functions workflow only', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'cch-dev-alice-wf-export_screening_v1',
    });
  });

  it('keeps the orchestrator the one consumer of the shared command and reply queues, enabled', () => {
    const orchestrator = resolve(stack.orchestrator.function.functionName);
    expect(consumersOf(stack.queues.command.queue.queueArn)).toEqual([{ fn: orchestrator, enabled: true }]);
    expect(consumersOf(stack.queues.reply.queue.queueArn)).toEqual([{ fn: orchestrator, enabled: true }]);
  });

  it("forwards the state machine's commands: its id in the orchestrator's env, a queue the command bridge reads", () => {
    const fn = stack.orchestrator.lambda.function.node.defaultChild as CfnFunction;
    const resource = template.toJSON() as {
      Resources: Record<string, { Properties: { Environment: { Variables: Record<string, unknown> } } }>;
    };
    expect(
      resource.Resources[stack.getLogicalId(fn)]?.Properties.Environment.Variables.CCH_SFN_WORKFLOW_IDS,
    ).toBe('["export_screening_v1"]');
    const queue = sfn?.ownQueues?.command.queue;
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'cch-dev-alice-sfn-command-queue' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'cch-dev-alice-sfn-command-dlq' });
    // Alarmed like every other DLQ.
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).toContain(
      'sfn-command-dlq-not-empty',
    );
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).toContain(
      'sfn-reply-dlq-not-empty',
    );
    expect(consumersOf(queue?.queueArn)).toEqual([
      { fn: resolve(sfn?.command.function.functionName), enabled: true },
    ]);
    // The orchestrator may send there and look its URL up; only the command bridge starts executions.
    const orchestratorPolicies = JSON.stringify(
      Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p).includes(JSON.stringify(stack.resolve(stack.orchestrator.lambda.role.roleName))),
      ),
    );
    expect(orchestratorPolicies).toContain(JSON.stringify(stack.resolve(queue?.queueArn)));
    expect(orchestratorPolicies).toContain('sqs:GetQueueUrl');
    expect(orchestratorPolicies).not.toContain('states:StartExecution');
  });

  it("takes Step Functions' replies on a queue of their own, the requests' reply_to, that capabilities may send to", () => {
    const queue = sfn?.ownQueues?.reply.queue;
    expect(queue).toBeDefined();
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'cch-dev-alice-sfn-reply-queue' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'cch-dev-alice-sfn-reply-dlq' });
    expect(consumersOf(queue?.queueArn)).toEqual([
      { fn: resolve(sfn?.reply.function.functionName), enabled: true },
    ]);
    const request = template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'cch-dev-alice-sfn-request-function' },
    });
    expect(JSON.stringify(Object.values(request)[0])).toContain(
      JSON.stringify(stack.resolve(queue?.queueUrl)).slice(1, -1),
    );
    // The capability mock answers on reply_to: it may send there.
    const mockRole = JSON.stringify(stack.resolve(stack.capabilityMock?.lambda.role.roleName));
    const mockPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes(mockRole),
    );
    expect(JSON.stringify(mockPolicies)).toContain(JSON.stringify(stack.resolve(queue?.queueArn)));
  });
});

describe('context engines', () => {
  const ids = ['a_v1', 'b_v1'];
  const context = (values: Record<string, unknown>) => (key: string) => values[key];

  it('reads the default engine and the choices per workflow, as an object or JSON text', () => {
    expect(readEngineChoices(context({ engines: { a_v1: 'stepfunctions' } }), ids)).toEqual({
      fallback: 'langgraph',
      chosen: new Map([['a_v1', 'stepfunctions']]),
    });
    expect(
      readEngineChoices(context({ engine: 'stepfunctions', engines: '{"b_v1":"langgraph"}' }), ids),
    ).toEqual({ fallback: 'stepfunctions', chosen: new Map([['b_v1', 'langgraph']]) });
  });

  it('refuses a workflow no definition has, an unknown engine, and a map that is not one', () => {
    expect(() => readEngineChoices(context({ engines: { c_v1: 'stepfunctions' } }), ids)).toThrow(/c_v1/);
    expect(() => readEngineChoices(context({ engines: { a_v1: 'sfn' } }), ids)).toThrow(
      /langgraph or stepfunctions/,
    );
    expect(() => readEngineChoices(context({ engines: '["a_v1"]' }), ids)).toThrow(/map of workflow_id/);
    expect(() => readEngineChoices(context({ engines: '{' }), ids)).toThrow(/not JSON/);
  });
});

it('a deployment whose every workflow the map puts on Step Functions is plain Step Functions mode', () => {
  const all = synthStack(
    {
      engines: {
        export_screening_v1: 'stepfunctions',
        fanout_a_b_c_v1: 'stepfunctions',
        import_vn_memphis_v1: 'stepfunctions',
      },
    },
    { stepFunctionsEntries: STEP_FUNCTIONS_FIXTURE_ENTRIES },
  );
  expect(all.stack.stepFunctions?.ownQueues).toBeUndefined();
  Template.fromStack(all.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 3);
});
