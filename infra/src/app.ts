import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { capabilityDomainsIn } from '../../orchestrator/src/naming/capability-domains';
import { InvalidStageError, resourceNames } from '../../orchestrator/src/naming/resource-names';
import { InvalidAppContextError, readAppContext, type AppContext } from './app-context';
import { definitionsDir } from './paths';
import { workflowIdsIn } from './workflow-ids';
import { WorkflowEngineStack, type WorkflowEngineStackProps } from './workflow-engine-stack';

export interface WorkflowEngineApp {
  readonly app: App;
  readonly stack: WorkflowEngineStack;
  readonly context: AppContext;
}

/**
 * Builds the CDK app from its context: one `WorkflowEngineStack` named `cch-<env>-<owner>-workflow-engine`
 * (an owner with `_` as `dnsOwner` maps it: stack names allow no `_`),
 * checked by cdk-nag's AwsSolutions pack on every synth (a finding fails `cdk synth`).
 *
 * @param appProps e.g. `{ context: { env: 'dev', owner: 'alice' } }`; the CLI passes `--context` through.
 * @param stackProps overrides for tests (Lambda entries, tuning).
 */
export function createWorkflowEngineApp(
  appProps: AppProps = {},
  stackProps: Partial<WorkflowEngineStackProps> = {},
): WorkflowEngineApp {
  const app = new App(appProps);
  const context = readAppContext((key) => app.node.tryGetContext(key));
  let capabilityDomains: string[];
  try {
    capabilityDomains = capabilityDomainsIn(definitionsDir, context.extraCapabilityDomains);
  } catch (error) {
    if (error instanceof InvalidStageError) {
      throw new InvalidAppContextError(`Invalid CDK context 'capabilityDomains': ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const names = resourceNames(context.stage);
  const { stackName } = names;
  const stack = new WorkflowEngineStack(app, stackName, {
    stackName,
    description: `CCH workflow engine (${context.stage.env}/${context.stage.owner})`,
    stage: context.stage,
    capabilityDomains,
    capabilityMock: context.capabilityMock,
    workflowIds: workflowIdsIn(definitionsDir),
    ...(context.alarmTopicArn === undefined ? {} : { alarmTopicArn: context.alarmTopicArn }),
    ...stackProps,
  });
  Tags.of(app).add('project', 'cch-workflow-engine');
  Tags.of(app).add('env', context.stage.env);
  Tags.of(app).add('owner', context.stage.owner);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, context };
}
