import { Validations, type App } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { WILDCARD_RESOURCE_ACTIONS } from '../src/node-lambda';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { buildApp, synthStack } from './support/synth-stack';
import { permissionsOf, policyStatements, resolvedJson } from './support/template-helpers';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

/** AwsSolutions findings of a construct tree; with `ignoreAcknowledgements`, the raw ones. */
function nagFindings(scope: IConstruct, ignoreAcknowledgements = false): Finding[] {
  const pack = new AwsSolutionsChecks();
  // The raw findings prove that each acknowledgement answers a finding that really exists.
  if (ignoreAcknowledgements) Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  return pack.validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      path: resource.constructPath ?? '(no construct path)',
    })),
  );
}

interface Acknowledgement {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          rule: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  let dev: { app: App; stack: WorkflowEngineStack };
  let prod: { app: App; stack: WorkflowEngineStack };

  beforeAll(() => {
    dev = buildApp({ env: 'dev', owner: 'alice' });
    prod = buildApp({ env: 'prod', owner: 'ops' });
  });

  it('has no unacknowledged finding on a development stack (capability mock, destroyable storage)', () => {
    expect(nagFindings(dev.app)).toEqual([]);
  });

  it('has no unacknowledged finding on a production stack (no mock, retained storage)', () => {
    expect(nagFindings(prod.app)).toEqual([]);
  });

  it('justifies every acknowledgement where it is made, and each answers a real finding', () => {
    for (const { app } of [dev, prod]) {
      const raw = nagFindings(app, true);
      const acknowledged = acknowledgements(app);
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const ack of acknowledged) {
        if (ack.reason.trim().length < 60)
          throw new Error(`acknowledgement ${ack.rule} on ${ack.path}: no real reason`);
        const answered = raw.some(
          (finding) =>
            finding.rule === ack.rule &&
            (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
        );
        if (!answered) throw new Error(`acknowledgement ${ack.rule} on ${ack.path} answers no finding`);
      }
    }
  });

  it('fails synthesis on an unacknowledged finding (the plugin is registered on the app)', () => {
    const { app, stack } = buildApp({ env: 'dev', owner: 'nagcheck' });
    new s3.Bucket(stack, 'UnsafeBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  it('leaves no CDK error or warning annotation', () => {
    const { stack } = synthStack({ env: 'dev', owner: 'alice' });
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('IAM', () => {
  let stack: WorkflowEngineStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthStack({ env: 'dev', owner: 'alice' }));
  });

  const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

  it('grants no `*` action, and `*` resources only to the commented X-Ray actions', () => {
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const { statement } of statements) {
      const actions = asArray(statement.Action) as string[];
      expect(actions).not.toContain('*');
      expect(actions.filter((action) => action.endsWith(':*'))).toEqual([]);
      if (asArray(statement.Resource).includes('*')) {
        expect(WILDCARD_RESOURCE_ACTIONS).toEqual(expect.arrayContaining(actions));
      }
    }
  });

  it('gives the Lambda roles no AWS managed policy', () => {
    for (const role of [stack.orchestrator.lambda.role, stack.capabilityMock!.lambda.role]) {
      const roles = template.findResources('AWS::IAM::Role', {
        Properties: { RoleName: Match.absent(), ManagedPolicyArns: Match.absent() },
      });
      expect(Object.keys(roles)).toContain((stack.resolve(role.roleName) as { Ref: string }).Ref);
    }
  });

  it('lets the orchestrator use the table, read definitions, pin snapshots, offload bodies, and send where it must', () => {
    const granted = permissionsOf(template, stack.resolve(stack.orchestrator.lambda.role.roleName));
    const arn = (token: unknown) => resolvedJson(stack, token);
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']) {
      expect(granted.get(action)).toContain(arn(stack.storage.stateTable.tableArn));
    }
    expect(granted.get('s3:GetObject*')).toContain(arn(stack.storage.definitionsBucket.arnForObjects('*')));
    // Writes only under two prefixes: pinned snapshots, and claim-check bodies (see message-plane.test.ts).
    expect([...(granted.get('s3:PutObject') ?? [])].sort()).toEqual(
      [
        arn(stack.storage.definitionsBucket.arnForObjects('pinned/*')),
        arn(stack.storage.eventDataBucket.arnForObjects(`${stack.names.sqsPayloadPrefix}*`)),
      ].sort(),
    );
    // Requests, timers and deferred copies, and dead letters to the DLQs of the two queues it consumes.
    const sendTargets = [
      stack.queues.command.queue,
      stack.queues.reply.queue,
      stack.queues.command.dlq,
      stack.queues.reply.dlq,
      ...[...stack.queues.capability.values()].map((q) => q.queue),
    ];
    expect([...(granted.get('sqs:SendMessage') ?? [])].sort()).toEqual(
      sendTargets.map((queue) => arn(queue.queueArn)).sort(),
    );
    for (const queue of [stack.queues.command.queue, stack.queues.reply.queue]) {
      for (const action of [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
      ]) {
        expect(granted.get(action)).toContain(arn(queue.queueArn));
      }
    }
    for (const action of WILDCARD_RESOURCE_ACTIONS) expect([...(granted.get(action) ?? [])]).toEqual(['"*"']);
    expect(
      [...granted.keys()].filter((action) => action.startsWith('s3:') && action.includes('Delete')),
    ).toEqual([]);
    expect(granted.has('logs:PutLogEvents')).toBe(true);
    expect([...granted.keys()].some((action) => action.startsWith('cloudwatch:'))).toBe(false);
  });

  it('lets the capability mock send to the reply queue and the capability DLQs only, and touch no table and no object outside the payload prefix', () => {
    const granted = permissionsOf(template, stack.resolve(stack.capabilityMock!.lambda.role.roleName));
    expect([...(granted.get('sqs:SendMessage') ?? [])].sort()).toEqual(
      [stack.queues.reply.queue, ...[...stack.queues.capability.values()].map((q) => q.dlq)]
        .map((queue) => resolvedJson(stack, queue.queueArn))
        .sort(),
    );
    const payloads = resolvedJson(
      stack,
      stack.storage.eventDataBucket.arnForObjects(`${stack.names.sqsPayloadPrefix}*`),
    );
    const storageActions = [...granted].filter(([action]) => /^(s3|dynamodb):/.test(action));
    expect(storageActions.map(([action, resources]) => [action, [...resources]]).sort()).toEqual([
      ['s3:GetObject', [payloads]],
      ['s3:PutObject', [payloads]],
    ]);
  });
});
