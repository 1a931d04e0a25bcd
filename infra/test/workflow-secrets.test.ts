import { AwsSolutionsChecks } from 'cdk-nag';
import { readWorkflowSecretArns } from '../src/app-context';
import { FIXTURE_ENTRY, synthStack } from './support/synth-stack';
import { permissionsOf, resolvedJson } from './support/template-helpers';

/*
 * The secrets workflow definitions may read (http headers from Secrets Manager): GetSecretValue on the
 * env's prefix and the listed ARNs, for the orchestrator and, in Step Functions mode, the steps Lambda
 * (which runs sync calls there); nothing else of Secrets Manager; cdk-nag clean. One synthesis.
 */
const SHARED = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shared/rates-*';
const entries = {
  command: FIXTURE_ENTRY,
  reply: FIXTURE_ENTRY,
  request: FIXTURE_ENTRY,
  steps: FIXTURE_ENTRY,
};
const { app, stack, template } = synthStack(
  { engine: 'stepfunctions', workflowSecretArns: SHARED },
  { stepFunctionsEntries: entries },
);

describe('workflow secrets', () => {
  it('the prefix is cch-<env>/, which the engine’s own secrets (cch-<env>-<owner>-...) are not under', () => {
    expect(stack.names.workflowSecretsPrefix).toBe('cch-dev/');
    expect(stack.names.replyKeysSecret.startsWith(stack.names.workflowSecretsPrefix)).toBe(false);
  });

  it.each([
    ['the orchestrator', () => stack.orchestrator.lambda],
    ['the steps Lambda', () => stack.stepFunctions!.steps],
  ])('%s may GetSecretValue on the prefix and the listed ARNs, and is told the ARNs', (_name, lambda) => {
    const fn = lambda();
    const granted = permissionsOf(template, stack.resolve(fn.role.roleName));
    expect([...(granted.get('secretsmanager:GetSecretValue') ?? [])]).toEqual(
      expect.arrayContaining([resolvedJson(stack, stack.workflowSecrets.prefixArn), JSON.stringify(SHARED)]),
    );
    const env = (
      stack.resolve((fn.function.node.defaultChild as { environment?: unknown }).environment) as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(env.CCH_WORKFLOW_SECRET_IDS).toBe(SHARED);
  });

  it('gives the steps Lambda no other Secrets Manager action', () => {
    const granted = permissionsOf(template, stack.resolve(stack.stepFunctions!.steps.role.roleName));
    expect([...granted.keys()].filter((action) => action.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('refuses a workflowSecretArns entry that is not a secret ARN', () => {
    expect(() => readWorkflowSecretArns(() => 'cch-dev/rates')).toThrow(
      `CDK context 'workflowSecretArns' must list Secrets Manager secret ARNs, got "cch-dev/rates"`,
    );
    expect(readWorkflowSecretArns(() => undefined)).toEqual([]);
  });
});
