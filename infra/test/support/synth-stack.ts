import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createWorkflowEngineApp } from '../../src/app';
import type { WorkflowEngineStack, WorkflowEngineStackProps } from '../../src/workflow-engine-stack';

/** Stands in for every Lambda entry, so Template tests do not depend on the handlers' code. */
export const FIXTURE_ENTRY = join(__dirname, '..', 'fixtures', 'noop-handler.ts');

/** Step Functions mode's Lambda entries, all the fixture (`stepFunctionsEntries`). */
export const STEP_FUNCTIONS_FIXTURE_ENTRIES = {
  command: FIXTURE_ENTRY,
  reply: FIXTURE_ENTRY,
  request: FIXTURE_ENTRY,
  steps: FIXTURE_ENTRY,
} as const;

/** The feature flags of infra/cdk.json: tests synthesize under the same flags as `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: WorkflowEngineStack;
  readonly template: Template;
}

/**
 * Builds the app as `bin/app.ts` does, with bundling skipped (`aws:cdk:bundling-stacks: []`) and the
 * fixture entry, then synthesizes it (which also runs the cdk-nag plugin: a finding throws here).
 */
export function buildApp(
  context: Record<string, unknown> = {},
  stackProps: Partial<WorkflowEngineStackProps> = {},
): { app: App; stack: WorkflowEngineStack } {
  return createWorkflowEngineApp(
    {
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], env: 'dev', owner: 'alice', ...context },
    },
    {
      entries: { orchestrator: FIXTURE_ENTRY, capabilityMock: FIXTURE_ENTRY, retention: FIXTURE_ENTRY },
      ...stackProps,
    },
  );
}

export function synthStack(
  context: Record<string, unknown> = {},
  stackProps: Partial<WorkflowEngineStackProps> = {},
): SynthesizedStack {
  const { app, stack } = buildApp(context, stackProps);
  return { app, stack, template: Template.fromStack(stack) };
}
