import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { childMachinePlaceholder } from '../../orchestrator/src/asl/asl-names';
import { stepFunctionsNames } from '../../orchestrator/src/step-functions/step-functions-names';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { definitionsFolder, leafDefinition, parentDefinition } from './support/definitions-folder';
import { STEP_FUNCTIONS_FIXTURE_ENTRIES, synthStack } from './support/synth-stack';
import { permissionsOf, resolvedJson } from './support/template-helpers';

/**
 * Step Functions mode over a definitions folder whose parent starts children (a sub_workflow, a map) kept
 * in a subfolder: every child gets its state machine, the parent's definition gets their ARNs and its role
 * AWS's policy for nested `startExecution.sync:2` executions. synthStack runs cdk-nag (a finding throws).
 */
const folders: { remove(): void }[] = [];
afterAll(() => folders.forEach((folder) => folder.remove()));

function synthOver(files: Record<string, string>, context: Record<string, unknown> = {}) {
  const folder = definitionsFolder(files);
  folders.push(folder);
  return synthStack(
    { engine: 'stepfunctions', ...context },
    { definitionsDir: folder.dir, stepFunctionsEntries: STEP_FUNCTIONS_FIXTURE_ENTRIES },
  );
}

const family = {
  'order.yaml': parentDefinition('order_v1', { subWorkflow: 'screen.v1', map: 'classify_v1' }),
  'children/screen.yaml': leafDefinition('screen.v1'),
  'children/classify.yaml': leafDefinition('classify_v1'),
};

interface MachineProperties {
  readonly StateMachineName: string;
  readonly DefinitionString: unknown;
  readonly DefinitionSubstitutions: Record<string, unknown>;
  readonly RoleArn: { 'Fn::GetAtt': [string, string] };
}
function machinesOf(template: Template): Map<string, MachineProperties> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: MachineProperties;
  }[];
  return new Map(machines.map((m) => [m.Properties.StateMachineName, m.Properties]));
}
const machineName = (id: string) => stepFunctionsNames({ env: 'dev', owner: 'alice' }).stateMachine(id);
/** `arn:<partition>:<service>:<region>:<account>:<resource>` as CloudFormation gets it. */
const arn = (service: string, resource: string) =>
  JSON.stringify({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  });

function environmentOf(stack: WorkflowEngineStack, template: Template, fn: CfnFunction) {
  const resources = (template.toJSON() as { Resources: Record<string, { Properties: unknown }> }).Resources;
  return (
    resources[stack.getLogicalId(fn)]?.Properties as { Environment: { Variables: Record<string, unknown> } }
  ).Environment.Variables;
}

describe('Step Functions mode with children in a subfolder', () => {
  const { stack, template } = synthOver(family);
  const machines = machinesOf(template);
  const parent = machines.get(machineName('order_v1'));

  it('deploys one state machine per parent and per child', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    expect([...machines.keys()].sort()).toEqual(
      ['classify_v1', 'order_v1', 'screen.v1'].map(machineName).sort(),
    );
  });

  it("substitutes each child's ARN, built from its name, for the child's placeholder in the parent's definition", () => {
    const definition = JSON.stringify(parent?.DefinitionString);
    const substitutions = parent?.DefinitionSubstitutions ?? {};
    for (const child of ['screen.v1', 'classify_v1']) {
      expect(definition).toContain(`\${${childMachinePlaceholder(child)}}`);
      expect(JSON.stringify(substitutions[childMachinePlaceholder(child)])).toBe(
        arn('states', `stateMachine:${machineName(child)}`),
      );
    }
    // Every placeholder of the definition has its substitution: CloudFormation leaves none behind.
    const placeholders = [...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    expect(placeholders.length).toBeGreaterThan(0);
    expect(Object.keys(substitutions)).toEqual(expect.arrayContaining(placeholders));
  });

  it("gives the parent's role AWS's policy for nested executions, and the children's roles none", () => {
    const permissions = permissionsOf(template, { Ref: parent?.RoleArn['Fn::GetAtt'][0] });
    const children = ['screen.v1', 'classify_v1'].map(machineName);
    expect([...(permissions.get('states:StartExecution') ?? [])].sort()).toEqual(
      children.map((name) => arn('states', `stateMachine:${name}`)).sort(),
    );
    const executions = children.map((name) => arn('states', `execution:${name}:*`)).sort();
    expect([...(permissions.get('states:DescribeExecution') ?? [])].sort()).toEqual(executions);
    expect([...(permissions.get('states:StopExecution') ?? [])].sort()).toEqual(executions);
    const rule = arn('events', 'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule');
    for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect([...(permissions.get(action) ?? [])]).toEqual([rule]);
    }
    const child = machines.get(machineName('classify_v1'));
    const childPermissions = permissionsOf(template, { Ref: child?.RoleArn['Fn::GetAtt'][0] });
    expect(childPermissions.has('states:StartExecution')).toBe(false);
    expect(childPermissions.has('events:PutRule')).toBe(false);
  });

  it('lets callers start the top-level parent only: the children are not in CCH_WORKFLOWS', () => {
    const sfn = stack.stepFunctions;
    if (!sfn) throw new Error('no Step Functions engine in the stack');
    const workflows = JSON.stringify(
      environmentOf(stack, template, sfn.command.function.node.defaultChild as CfnFunction).CCH_WORKFLOWS,
    );
    expect(workflows).toContain('order_v1');
    expect(workflows).not.toContain('classify_v1');
    expect(workflows).not.toContain('screen.v1');
    const command = permissionsOf(template, stack.resolve(sfn.command.role.roleName));
    expect(command.get('states:StartExecution')).toEqual(
      new Set([resolvedJson(stack, sfn.stateMachines.get('order_v1')?.stateMachineArn)]),
    );
  });
});

it("fails the synth with the compiler's diagnostics when a child's definition is missing", () => {
  const { 'children/classify.yaml': _classify, ...withoutClassify } = family;
  expect(() => synthOver(withoutClassify)).toThrow(
    /^order\.yaml cannot run on Step Functions:\norder\.yaml:\d+:\d+: node Classify: no valid definition of workflow classify_v1 was found beside this one/,
  );
});

it('synthesizes a cycle: A starts B, B starts A, and a map of itself, with no reference between the machines', () => {
  const { stack, template } = synthOver({
    'a.yaml': parentDefinition('a_v1', { subWorkflow: 'b_v1', map: 'a_v1' }),
    'b/b.yaml': parentDefinition('b_v1', { subWorkflow: 'a_v1' }),
  });
  const machines = machinesOf(template);
  expect(machines.size).toBe(2);
  const sfn = stack.stepFunctions;
  const a = sfn?.stateMachines.get('a_v1');
  const b = sfn?.stateMachines.get('b_v1');
  expect(JSON.stringify(machines.get(machineName('a_v1')))).not.toContain(
    resolvedJson(stack, b?.stateMachineArn),
  );
  expect(JSON.stringify(machines.get(machineName('b_v1')))).not.toContain(
    resolvedJson(stack, a?.stateMachineArn),
  );
  expect(Object.keys(machines.get(machineName('a_v1'))?.DefinitionSubstitutions ?? {})).toEqual(
    expect.arrayContaining([childMachinePlaceholder('a_v1'), childMachinePlaceholder('b_v1')]),
  );
});

describe('a mixed deployment with children', () => {
  it('fails the synth when a Step Functions parent starts a child the context puts on the engine', () => {
    expect(() => synthOver(family, { engines: JSON.stringify({ classify_v1: 'langgraph' }) })).toThrow(
      'order.yaml: workflow order_v1, on Step Functions, starts classify_v1 (node Classify)\nbut a Step Functions parent starts its children as nested executions; child classify_v1 runs on the engine in this deployment',
    );
  });

  it('fails the synth as well for a top-level child that runs on the engine by default', () => {
    expect(() =>
      synthOver(
        {
          ...family,
          'classify.yaml': leafDefinition('classify_top_v1'),
          'order.yaml': parentDefinition('order_v1', { map: 'classify_top_v1' }),
        },
        { engine: 'langgraph', engines: { order_v1: 'stepfunctions' } },
      ),
    ).toThrow(/child classify_top_v1 runs on the engine in this deployment/);
  });

  it('deploys a subfolder child of a Step Functions parent even when the engine is the default, and forwards the parent only', () => {
    const { stack, template } = synthOver(
      { ...family, 'other.yaml': leafDefinition('other_v1') },
      { engine: 'langgraph', engines: { order_v1: 'stepfunctions' } },
    );
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    const fn = stack.orchestrator.lambda.function.node.defaultChild as CfnFunction;
    expect(environmentOf(stack, template, fn).CCH_SFN_WORKFLOW_IDS).toBe('["order_v1"]');
  });
});
