import { Validations } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { resourceNames } from '../../orchestrator/src/naming/resource-names';
import { logicalIdOf } from '../src/nag';
import { SQS_PAYLOAD_ACTIONS } from '../src/storage';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';

/**
 * The grants and settings the SQS message plane needs (orchestrator/src/aws/sqs-claim-check.ts,
 * sqs-dead-letter.ts, sqs-batch-processor.ts; capability-mock/src/capability-mock.ts): the claim check's
 * objects, deferred copies, dead letters with a reason, and the expiry of offloaded bodies. Every resource
 * is found through its construct, never by a logical id.
 */

const DAY = 24 * 3600;

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const json = (value: unknown): string => JSON.stringify(value);

describe.each([
  { env: 'dev', owner: 'alice', mock: true },
  { env: 'prod', owner: 'ops', mock: false },
])('message plane, env $env', ({ env, owner, mock }) => {
  let stack: WorkflowEngineStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthStack({ env, owner }));
  });

  const resolve = (token: unknown): unknown => stack.resolve(token);
  const payloadObjects = (): unknown =>
    resolve(stack.storage.eventDataBucket.arnForObjects(`${stack.names.sqsPayloadPrefix}*`));

  /** Every statement of every IAM policy attached to `role`, captured from the template. */
  function statementsOf(role: iam.Role): Statement[] {
    const statements = new Capture();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([resolve(role.roleName)]),
      PolicyDocument: { Statement: statements },
    });
    const all: Statement[] = [];
    do all.push(...(statements.asArray() as Statement[]));
    while (statements.next());
    return all;
  }

  /** The allowed actions on `resource` (resolved), over every statement of `role`. */
  function actionsOn(role: iam.Role, resource: unknown): string[] {
    return statementsOf(role)
      .filter((s) => s.Effect === 'Allow' && asArray(s.Resource).some((r) => json(r) === json(resource)))
      .flatMap((s) => asArray(s.Action))
      .sort();
  }

  /** Proves the role may get and put objects under the payload prefix, and nothing else of the bucket. */
  function expectPayloadAccessOnly(role: iam.Role): void {
    // The grant itself, as one statement: the two actions on the prefix's objects.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([resolve(role.roleName)]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: [...SQS_PAYLOAD_ACTIONS].sort(),
            Resource: payloadObjects(),
            Condition: Match.absent(),
          }),
        ]),
      },
    });
    // Scoped to the prefix: the resource is the bucket ARN joined with `/sqs-payloads/*`, not `/*`.
    const resource = new Capture();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([resolve(role.roleName)]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:PutObject']),
            Resource: { 'Fn::Join': ['', [resolve(stack.storage.eventDataBucket.bucketArn), resource]] },
          }),
        ]),
      },
    });
    expect(resource.asString()).toBe(`/${stack.names.sqsPayloadPrefix}*`);
    expect(stack.names.sqsPayloadPrefix).toMatch(/^[a-z0-9-]+\/$/);
    // Nothing else in the event-data bucket: no other statement names it (bucket, `/*` or another prefix).
    const bucketArn = json(resolve(stack.storage.eventDataBucket.bucketArn));
    const onBucket = statementsOf(role).filter((s) => json(s.Resource).includes(bucketArn));
    expect(onBucket.map((s) => asArray(s.Resource).map(json))).toEqual([[json(payloadObjects())]]);
    expect(actionsOn(role, payloadObjects())).toEqual(['s3:GetObject', 's3:PutObject']);
  }

  /**
   * Proves the role's one cdk-nag acknowledgement about the event-data bucket is the wildcard under the
   * payload prefix, with a reason (security.test.ts proves each acknowledgement answers a real finding).
   */
  function expectPrefixAcknowledgementOnly(role: iam.Role): void {
    const bucketId = logicalIdOf(stack.storage.eventDataBucket);
    const acknowledged = role.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason }))
      .filter(({ id }) => id.includes(bucketId));
    expect(acknowledged.map(({ id }) => id)).toEqual([
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${stack.names.sqsPayloadPrefix}*]`,
    ]);
    expect(acknowledged[0]?.reason).toMatch(/claim check/i);
  }

  /** Proves the role may send to and look up each DLQ, and do nothing else with it. */
  function expectDeadLettering(role: iam.Role, dlqs: readonly sqs.Queue[]): void {
    expect(dlqs.length).toBeGreaterThan(0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([resolve(role.roleName)]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: ['sqs:GetQueueUrl', 'sqs:SendMessage'],
            Resource: Match.arrayWith(dlqs.map((dlq) => resolve(dlq.queueArn))),
          }),
        ]),
      },
    });
    for (const dlq of dlqs) {
      expect(actionsOn(role, resolve(dlq.queueArn))).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    }
  }

  /** The DLQs on which `role` holds any permission. */
  function dlqsReachableBy(role: iam.Role): string[] {
    return stack.queues.deadLetterQueues
      .filter(({ dlq }) => actionsOn(role, resolve(dlq.queueArn)).length > 0)
      .map(({ label }) => label)
      .sort();
  }

  describe('orchestrator role', () => {
    const role = () => stack.orchestrator.lambda.role;

    it('gets and puts claim-check objects under the payload prefix of the event-data bucket, nothing more there', () => {
      expectPayloadAccessOnly(role());
      expectPrefixAcknowledgementOnly(role());
    });

    it('builds the claim check with the prefix the stack grants and expires (one naming module)', () => {
      expect(stack.storage.sqsPayloadPrefix).toBe(resourceNames({ env, owner }).sqsPayloadPrefix);
      expect(stack.names.eventDataBucket).toBe(resourceNames({ env, owner }).eventDataBucket);
    });

    it('sends deferred copies back to the queue they came from: the command and the reply queue', () => {
      for (const queue of [stack.queues.command.queue, stack.queues.reply.queue]) {
        template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: Match.arrayWith([resolve(role().roleName)]),
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Allow',
                Action: Match.arrayWith(['sqs:GetQueueUrl', 'sqs:SendMessage']),
                Resource: Match.arrayWith([resolve(queue.queueArn)]),
              }),
            ]),
          },
        });
      }
    });

    it('dead-letters to the command and reply DLQs (SendMessage, GetQueueUrl) and to no other DLQ', () => {
      expectDeadLettering(role(), [stack.queues.command.dlq, stack.queues.reply.dlq]);
      expect(dlqsReachableBy(role())).toEqual(['command', 'reply']);
    });
  });

  if (mock) {
    describe('capability-mock role', () => {
      const role = (): iam.Role => {
        if (!stack.capabilityMock) throw new Error('no capability mock in this stack');
        return stack.capabilityMock.lambda.role;
      };

      it('gets and puts claim-check objects under the payload prefix only', () => {
        expectPayloadAccessOnly(role());
        expectPrefixAcknowledgementOnly(role());
      });

      it('dead-letters malformed requests to every capability request DLQ (SendMessage, GetQueueUrl), no other DLQ', () => {
        const capabilityDlqs = [...stack.queues.capability.values()].map(({ dlq }) => dlq);
        expectDeadLettering(role(), capabilityDlqs);
        expect(dlqsReachableBy(role())).toEqual(
          [...stack.queues.capability.keys()].map((domain) => `capability-${domain}`).sort(),
        );
      });
    });
  } else {
    it('has no capability mock, so no role of it reaches the bucket or the DLQs', () => {
      expect(stack.capabilityMock).toBeUndefined();
      template.resourcePropertiesCountIs(
        'AWS::Lambda::Function',
        { FunctionName: stack.names.capabilityMockFunction },
        0,
      );
    });
  }

  describe('event-data bucket', () => {
    /** Every MessageRetentionPeriod of the queues matching `props`, in seconds. */
    function retentions(props: Record<string, unknown>): number[] {
      const retention = new Capture();
      template.hasResourceProperties('AWS::SQS::Queue', { ...props, MessageRetentionPeriod: retention });
      const all: number[] = [];
      do all.push(retention.asNumber());
      while (retention.next());
      return all;
    }

    it('expires offloaded bodies under the payload prefix after 21 days, and nothing else', () => {
      const rules = new Capture();
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: stack.names.eventDataBucket,
        LifecycleConfiguration: { Rules: rules },
      });
      const [rule, ...others] = rules.asArray() as Record<string, unknown>[];
      expect(others).toEqual([]);
      const { Id: id, ...settings } = rule ?? {};
      expect(typeof id).toBe('string');
      expect(settings).toEqual({
        Prefix: stack.names.sqsPayloadPrefix,
        ExpirationInDays: 21,
        Status: 'Enabled',
      });
    });

    it('keeps an offloaded body as long as a message, then a dead-lettered copy of it, can point at it', () => {
      const expiration = new Capture();
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: stack.names.eventDataBucket,
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: stack.names.sqsPayloadPrefix, ExpirationInDays: expiration }),
          ]),
        },
      });
      // A message may wait its full retention on a work queue, then be dead-lettered as a new message
      // that waits the DLQ's full retention: the object must outlive both.
      const workQueue = Math.max(...retentions({ RedrivePolicy: Match.objectLike({}) }));
      const deadLetterQueue = Math.max(...retentions({ RedrivePolicy: Match.absent() }));
      expect(workQueue).toBe(4 * DAY);
      expect(deadLetterQueue).toBe(14 * DAY);
      expect(expiration.asNumber() * DAY).toBeGreaterThanOrEqual(workQueue + deadLetterQueue);
    });
  });
});
