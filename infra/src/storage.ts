import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { INSTANCE_INDEX, type InstanceIndexLayout } from '../../orchestrator/src/aws/instance-index-layout';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';
import { acknowledgeWildcards, logicalIdOf } from './nag';

export interface StorageProps {
  /** Every resource name comes from here. */
  readonly names: ResourceNames;
  /**
   * `RETAIN` keeps buckets, their objects and the table when the stack is deleted (production); `DESTROY`
   * empties and deletes them, so a developer stack can be destroyed and redeployed under the same names.
   */
  readonly removalPolicy: RemovalPolicy;
  /** How long S3 server access logs are kept. @default 90 days */
  readonly accessLogRetention?: Duration;
  /**
   * How long an offloaded SQS message body (the claim check, under `names.sqsPayloadPrefix` in the
   * event-data bucket) is kept. No consumer deletes one, since several copies of a message (duplicates,
   * deferred copies, a dead-lettered copy) may point at the same object; expiry is the only clean-up. It must
   * outlast the messages pointing at it: one can wait up to 4 days on its work queue and a dead-lettered copy
   * (a new message) up to 14 more days in the DLQ, plus 3 days for deferred copies, which restart a
   * message's queue clock without rewriting its object. @default 21 days
   */
  readonly sqsPayloadExpiration?: Duration;
}

/** What `Table.grantReadWriteData` grants on items (streams aside): the orchestrator's use of the table. */
export const STATE_TABLE_READ_WRITE_ACTIONS: readonly string[] = [
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:GetItem',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/** The only S3 actions the claim check performs: read a pointed-to body, write one it offloads. */
export const SQS_PAYLOAD_ACTIONS: readonly string[] = ['s3:GetObject', 's3:PutObject'];

/**
 * The state table's key schema and TTL attribute, as the orchestrator's DynamoDBSaver and instance store
 * expect them. Only the status records of finished instances carry the TTL attribute (see RetentionFunction).
 */
export const STATE_TABLE_KEYS = { partitionKey: 'PK', sortKey: 'SK', ttlAttribute: 'ttl' } as const;

/**
 * Durable storage: the workflow definitions bucket (versioned: every uploaded YAML is kept), the event-data
 * bucket (documents workflows refer to by `s3://` URI, and SQS message bodies too large for SQS under the
 * payload prefix, expired by a lifecycle rule), the bucket both log their access to, and the
 * workflow state table (LangGraph checkpoints, instance records and leases under `PK`/`SK`).
 *
 * Every bucket blocks public access, encrypts at rest and denies requests that are not TLS.
 */
export class Storage extends Construct {
  /**
   * Receives the S3 server access logs of the other two buckets. It logs itself nowhere (that would log the
   * log deliveries, without end); cdk-nag recognises a log target bucket and does not ask for it.
   */
  public readonly accessLogsBucket: s3.Bucket;
  /** Workflow YAML, plus the orchestrator's content-addressed snapshots under `pinned/`. */
  public readonly definitionsBucket: s3.Bucket;
  /**
   * Sample and business documents (ASN, deliveries) that workflow contexts point to, and offloaded SQS
   * message bodies under `sqsPayloadPrefix` (see `grantSqsPayloads`).
   */
  public readonly eventDataBucket: s3.Bucket;
  /**
   * Checkpoints, instance status records and per-instance leases; streams its changes (keys only); the
   * instance indexes `by-status`, `by-workflow`, `by-change` and `by-deadline` over status records.
   */
  public readonly stateTable: dynamodb.Table;
  /** Key prefix of offloaded SQS message bodies in the event-data bucket (`names.sqsPayloadPrefix`). */
  public readonly sqsPayloadPrefix: string;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { names, removalPolicy } = props;
    this.sqsPayloadPrefix = names.sqsPayloadPrefix;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3: S3 server access logs can only be delivered to an SSE-S3 bucket, and the others match it.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      // Empties the bucket on `cdk destroy`; only where the stack is meant to be thrown away.
      autoDeleteObjects: destroy,
    } satisfies s3.BucketProps;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...common,
      bucketName: names.accessLogsBucket,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(90) }],
    });

    this.definitionsBucket = new s3.Bucket(this, 'DefinitionsBucket', {
      ...common,
      bucketName: names.definitionsBucket,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'workflow-definitions/',
    });

    this.eventDataBucket = new s3.Bucket(this, 'EventDataBucket', {
      ...common,
      bucketName: names.eventDataBucket,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'eventdata/',
      lifecycleRules: [
        {
          id: 'ExpireSqsPayloads',
          prefix: names.sqsPayloadPrefix,
          expiration: props.sqsPayloadExpiration ?? Duration.days(21),
        },
      ],
    });

    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      tableName: names.stateTable,
      partitionKey: { name: STATE_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATE_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STATE_TABLE_KEYS.ttlAttribute,
      // The retention function purges an instance's checkpoints when TTL removes its status record; it
      // needs only the removed item's keys (the instance id and that it was a STATUS item).
      stream: dynamodb.StreamViewType.KEYS_ONLY,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !destroy,
      removalPolicy,
    });
    // The instance indexes (`wf list`, the stuck check): sparse, keys only (`by-change` with `ix_workflow`),
    // keyed so that only status changes, or a change of the earliest open deadline, write them; what that
    // costs a commit is worked out in instance-index-layout.ts. CloudFormation adds one index per update to
    // an existing table: a stack deployed before an index existed takes one deploy per missing index.
    for (const index of Object.values(INSTANCE_INDEX) as InstanceIndexLayout[]) {
      this.stateTable.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        ...(index.include
          ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
          : { projectionType: dynamodb.ProjectionType.KEYS_ONLY }),
      });
    }
  }

  /**
   * Grants `actions` on the state table's items, and not on its indexes: `Table.grant` would add
   * `<table>/index/*`, a wildcard no function needs (the orchestrator and the retention function address
   * items by key; only operators' tools query the instance indexes).
   */
  grantStateTable(role: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee: role, actions, resourceArns: [this.stateTable.tableArn] });
  }

  /**
   * Lets `role` read and write offloaded SQS message bodies (the claim check): GetObject and PutObject on
   * the payload prefix of the event-data bucket, nothing else of the bucket. Acknowledges the one wildcard
   * this needs on the role, since the keys (sha256 of each body) cannot be known in advance.
   */
  grantSqsPayloads(role: iam.Role): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...SQS_PAYLOAD_ACTIONS],
      resourceArns: [this.eventDataBucket.arnForObjects(`${this.sqsPayloadPrefix}*`)],
    });
    acknowledgeWildcards(role, [
      {
        finding: `Resource::<${logicalIdOf(this.eventDataBucket)}.Arn>/${this.sqsPayloadPrefix}*`,
        reason:
          'Claim check: message bodies over the SQS limit are stored under the payload prefix keyed by their ' +
          'sha256, unknowable in advance; only GetObject and PutObject, only under that prefix, and the ' +
          'lifecycle rule expires what is written there.',
      },
    ]);
    return grant;
  }
}
