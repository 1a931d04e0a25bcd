import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { capabilityDomainsIn } from '../../orchestrator/src/naming/capability-domains';
import { resourceNames } from '../../orchestrator/src/naming/resource-names';
import { QUEUE_SETTINGS } from '../../scripts/local-aws/provision-local';
import { InvalidAppContextError, readAppContext } from '../src/app-context';
import { definitionsDir, infraRoot, lambdaEntries } from '../src/paths';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { buildApp, synthStack } from './support/synth-stack';

const context = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readAppContext', () => {
  it('requires env and owner, saying how to pass them', () => {
    expect(() => readAppContext(context({ owner: 'alice' }))).toThrow(
      new InvalidAppContextError(
        "Missing CDK context 'env': pass it as `cdk synth --context env=dev --context owner=<you>`",
      ),
    );
    expect(() => readAppContext(context({ env: 'dev' }))).toThrow(/^Missing CDK context 'owner': pass it as/);
    expect(() => readAppContext(context({ env: '', owner: 'alice' }))).toThrow(/Missing CDK context 'env'/);
  });

  it.each([
    [
      { env: 'Dev', owner: 'alice' },
      /^Invalid CDK context: env 'Dev' must be 1-8 lower-case letters, digits or -/,
    ],
    [{ env: 'development', owner: 'alice' }, /env 'development' must be 1-8 lower-case/],
    [
      { env: 'dev', owner: 'Dvan97_nike' },
      /owner 'Dvan97_nike' must be 1-16 lower-case letters, digits, - or _/,
    ],
    [{ env: 'de_v', owner: 'alice' }, /env 'de_v' must be 1-8 lower-case letters, digits or -.*S3/],
    [{ env: 'dev', owner: 'a-very-long-owner-name' }, /owner 'a-very-long-owner-name' must be 1-16/],
    [{ env: 3, owner: 'alice' }, /CDK context 'env' must be a string, got 3/],
  ])('rejects %j with a clear message', (values, message) => {
    expect(() => readAppContext(context(values))).toThrow(message);
  });

  it('defaults the capability mock on, except for prod', () => {
    expect(readAppContext(context({ env: 'dev', owner: 'a' })).capabilityMock).toBe(true);
    expect(readAppContext(context({ env: 'local', owner: 'a' })).capabilityMock).toBe(true);
    expect(readAppContext(context({ env: 'prod', owner: 'a' })).capabilityMock).toBe(false);
  });

  it('reads capabilityMock as true or false (strings from the CLI, booleans from cdk.json)', () => {
    for (const [value, expected] of [
      ['true', true],
      ['false', false],
      [true, true],
      [false, false],
    ] as const) {
      expect(readAppContext(context({ env: 'prod', owner: 'a', capabilityMock: value })).capabilityMock).toBe(
        expected,
      );
    }
    expect(() => readAppContext(context({ env: 'dev', owner: 'a', capabilityMock: 'yes' }))).toThrow(
      `CDK context 'capabilityMock' must be true or false, got "yes"`,
    );
  });

  it('reads extra capability domains as a comma-separated list or an array', () => {
    const extras = (value: unknown) =>
      readAppContext(context({ env: 'dev', owner: 'a', capabilityDomains: value })).extraCapabilityDomains;
    expect(extras(' billing, ,tax ')).toEqual(['billing', 'tax']);
    expect(extras(['billing'])).toEqual(['billing']);
    expect(extras(undefined)).toEqual([]);
  });
});

describe('the CDK app', () => {
  it('fails on missing or invalid context before creating anything', () => {
    expect(() => buildApp({ owner: undefined })).toThrow(/Missing CDK context 'owner'/);
    expect(() => buildApp({ env: 'Prod' })).toThrow(/Invalid CDK context: env 'Prod'/);
    expect(() => buildApp({ capabilityDomains: 'Bad_Domain' })).toThrow(
      /Invalid CDK context 'capabilityDomains': capability domain 'Bad_Domain'/,
    );
  });

  it('bin/app.ts prints the message and exits 1 without a stack trace', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-'));
    const result = spawnSync(join(infraRoot, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: infraRoot,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ env: 'dev' }),
        CDK_OUTDIR: outdir,
      },
      encoding: 'utf8',
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      "Missing CDK context 'owner': pass it as `cdk synth --context env=dev --context owner=<you>`",
    );
  });

  it('bundles the real handlers by default', () => {
    expect(lambdaEntries.orchestrator).toBe(join(infraRoot, '..', 'orchestrator', 'src', 'handler.ts'));
    expect(lambdaEntries.capabilityMock).toBe(join(infraRoot, '..', 'capability-mock', 'src', 'handler.ts'));
  });
});

// `dvan97_nike` is the seed's own owner id: `_` kept in queue, table and function names, mapped in buckets.
describe.each(['dev', 'dvan97_nike'])('resource names (owner %s)', (owner) => {
  let stack: WorkflowEngineStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthStack({ env: 'local', owner, capabilityDomains: 'billing' }));
  });

  const propertyValues = (type: string, property: string): string[] =>
    Object.values(template.findResources(type)).map(
      (resource) => (resource as { Properties: Record<string, string> }).Properties[property]!,
    );

  it('equal resourceNames() for the same env and owner, as the local stack provisions them', () => {
    // What scripts/local-aws/provision-local.ts creates for env `local`: the same module, the same domains.
    // The retention DLQ and function exist on AWS only (the local stack sweeps expired records in process).
    const names = resourceNames({ env: 'local', owner });
    const domains = capabilityDomainsIn(definitionsDir, ['billing']);
    expect(domains).toContain('billing');
    expect(propertyValues('AWS::SQS::Queue', 'QueueName').sort()).toEqual(
      [
        names.commandQueue,
        names.commandDlq,
        names.replyQueue,
        names.replyDlq,
        names.retentionDlq,
        ...domains.flatMap((domain) => [
          names.capabilityRequestQueue(domain),
          names.capabilityRequestDlq(domain),
        ]),
      ].sort(),
    );
    expect(propertyValues('AWS::S3::Bucket', 'BucketName').sort()).toEqual(
      [names.accessLogsBucket, names.definitionsBucket, names.eventDataBucket].sort(),
    );
    expect(propertyValues('AWS::DynamoDB::Table', 'TableName')).toEqual([names.stateTable]);
    expect(propertyValues('AWS::Lambda::Function', 'FunctionName').filter(Boolean).sort()).toEqual(
      [
        names.orchestratorFunction,
        names.capabilityMockFunction,
        names.retentionFunction,
        names.stuckCheckFunction,
      ].sort(),
    );
    expect(propertyValues('AWS::Logs::LogGroup', 'LogGroupName')).toContain(names.orchestratorLogGroup);
    expect(propertyValues('AWS::CloudWatch::Dashboard', 'DashboardName')).toEqual([names.dashboard]);
    expect(stack.stackName).toBe(names.stackName);
    expect(propertyValues('AWS::SQS::Queue', 'QueueName')).toContain(
      `cch-local-${owner}-capability-import-request-queue`,
    );
    for (const bucket of propertyValues('AWS::S3::Bucket', 'BucketName'))
      expect(bucket).toMatch(/^cch-local-[a-z0-9-]+-bucket$/);
    const { capabilityRequestQueue, capabilityRequestDlq, capabilityTeamRole, ...plain } = stack.names;
    const { capabilityRequestQueue: q, capabilityRequestDlq: d, capabilityTeamRole: r, ...expected } = names;
    expect(plain).toEqual(expected);
    expect(domains.map(capabilityRequestQueue)).toEqual(domains.map(q));
    expect(domains.map(capabilityRequestDlq)).toEqual(domains.map(d));
    expect(domains.map(capabilityTeamRole)).toEqual(domains.map(r));
  });

  it('redrive like the local stack: same max receive count and DLQ retention', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: stack.names.commandQueue,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: QUEUE_SETTINGS.maxReceiveCount }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: stack.names.commandDlq,
      MessageRetentionPeriod: QUEUE_SETTINGS.dlqRetentionSeconds,
    });
  });
});

describe('capabilityMock context', () => {
  const mockFunctions = (template: Template) =>
    template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: Match.stringLikeRegexp('capability-mock-function$') },
    });

  it('deploys the mock by default outside prod, and not in prod', () => {
    const dev = synthStack({ env: 'dev', owner: 'm1' });
    expect(dev.stack.capabilityMock).toBeDefined();
    expect(Object.keys(mockFunctions(dev.template))).toHaveLength(1);

    const prod = synthStack({ env: 'prod', owner: 'm1' });
    expect(prod.stack.capabilityMock).toBeUndefined();
    expect(mockFunctions(prod.template)).toEqual({});
    // Nothing consumes the capability queues but the capability teams: the orchestrator's two mappings
    // and the retention function's stream mapping only.
    prod.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    prod.template.resourceCountIs('AWS::SQS::Queue', 2 * (2 + prod.stack.queues.capability.size) + 1);
  });

  it('switches the mock off in dev with capabilityMock=false, and on in prod with capabilityMock=true', () => {
    const off = buildApp({ env: 'dev', owner: 'm2', capabilityMock: 'false' });
    expect(off.stack.capabilityMock).toBeUndefined();
    expect(off.stack.node.tryFindChild('CapabilityMock')).toBeUndefined();
    const on = buildApp({ env: 'prod', owner: 'm2', capabilityMock: 'true' });
    expect(on.stack.capabilityMock).toBeDefined();
  });

  it('retains storage and protects the table in prod', () => {
    const { stack, template } = synthStack({ env: 'prod', owner: 'm3' });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: { TableName: stack.names.stateTable, DeletionProtectionEnabled: true },
      DeletionPolicy: 'Retain',
    });
  });
});
