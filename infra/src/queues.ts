import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResourceNames } from '../../orchestrator/src/naming/resource-names';

export interface QueuesProps {
  /** Every queue name comes from here. */
  readonly names: ResourceNames;
  /** Capability domains: each gets `capability-<domain>-request-queue` and its DLQ. */
  readonly capabilityDomains: readonly string[];
  /**
   * Visibility timeout of the command and reply queues. Must be at least six times the timeout of the
   * orchestrator Lambda consuming them (AWS's guidance for SQS event sources), so that a message is not
   * redelivered while a batch holding it is still being processed or retried.
   */
  readonly orchestratorVisibilityTimeout: Duration;
  /** Visibility timeout of the capability request queues (six times their consumer's timeout). */
  readonly capabilityVisibilityTimeout: Duration;
  /**
   * Receives before SQS moves a message to its DLQ. Only a backstop: consumers dead-letter a message that
   * keeps failing themselves, with its reason, on its fifth receive (SqsBatchProcessor's maxReceives), so
   * this must stay above that. @default 10
   */
  readonly maxReceiveCount?: number;
  /** How long a message waits in a work queue. @default 4 days */
  readonly retentionPeriod?: Duration;
  /** How long a message waits in a DLQ (the SQS maximum, to leave time to inspect and redrive). @default 14 days */
  readonly dlqRetentionPeriod?: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/** A work queue and the dead-letter queue its poison messages end in. */
export interface QueueWithDlq {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
}

/**
 * The engine's queues. Callers send commands (START_WORKFLOW, CANCEL_WORKFLOW; timers arrive here too as
 * delayed TIMER_FIRED) to the command queue; capability teams send ASYNC_RESP to the reply queue; the
 * orchestrator sends ASYNC_REQ to one request queue per capability domain. Every queue has a DLQ, encrypts
 * with SQS-managed keys and denies requests that are not TLS.
 */
export class Queues extends Construct {
  public readonly command: QueueWithDlq;
  public readonly reply: QueueWithDlq;
  /** Request queues by capability domain (`import#enrichment` -> `import`). */
  public readonly capability: ReadonlyMap<string, QueueWithDlq>;
  private readonly added: { label: string; dlq: sqs.Queue }[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: QueuesProps,
  ) {
    super(scope, id);
    const { names } = props;
    this.command = this.queueWithDlq(
      'Command',
      names.commandQueue,
      names.commandDlq,
      props.orchestratorVisibilityTimeout,
    );
    this.reply = this.queueWithDlq(
      'Reply',
      names.replyQueue,
      names.replyDlq,
      props.orchestratorVisibilityTimeout,
    );
    this.capability = new Map(
      props.capabilityDomains.map((domain) => [
        domain,
        this.queueWithDlq(
          `Capability-${domain}`,
          names.capabilityRequestQueue(domain),
          names.capabilityRequestDlq(domain),
          props.capabilityVisibilityTimeout,
        ),
      ]),
    );
  }

  /**
   * A queue with its DLQ, with the settings of the orchestrator's queues (Step Functions mode's own reply
   * queue in a mixed deployment); its DLQ joins `deadLetterQueues`, so it is alarmed like the others.
   */
  addQueue(id: string, label: string, queueName: string, dlqName: string): QueueWithDlq {
    const added = this.queueWithDlq(id, queueName, dlqName, this.props.orchestratorVisibilityTimeout);
    this.added.push({ label, dlq: added.dlq });
    return added;
  }

  /** Every DLQ of the stack, labelled by the queue that feeds it. */
  get deadLetterQueues(): { readonly label: string; readonly dlq: sqs.Queue }[] {
    return [
      { label: 'command', dlq: this.command.dlq },
      { label: 'reply', dlq: this.reply.dlq },
      ...this.added,
      ...[...this.capability].map(([domain, { dlq }]) => ({ label: `capability-${domain}`, dlq })),
    ];
  }

  private queueWithDlq(
    id: string,
    queueName: string,
    dlqName: string,
    visibilityTimeout: Duration,
  ): QueueWithDlq {
    const common = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: this.props.removalPolicy,
    } satisfies sqs.QueueProps;
    const dlq = new sqs.Queue(this, `${id}Dlq`, {
      ...common,
      queueName: dlqName,
      retentionPeriod: this.props.dlqRetentionPeriod ?? Duration.days(14),
    });
    const queue = new sqs.Queue(this, `${id}Queue`, {
      ...common,
      queueName,
      visibilityTimeout,
      retentionPeriod: this.props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: dlq, maxReceiveCount: this.props.maxReceiveCount ?? 10 },
    });
    return { queue, dlq };
  }
}
