import { createHash } from 'node:crypto';

/**
 * The one place resource names are made: the CDK app and the embedded local stack both call this, so the
 * two can never disagree. Every name is `cch-<env>-<owner>-<resource>`.
 *
 * An owner may contain `_` (the seed's own owner is `dvan97_nike`): SQS queues, DynamoDB tables, Lambda
 * functions, log groups, SNS topics, alarms, dashboards and Scheduler groups keep it as written. S3 bucket
 * names and CloudFormation stack names allow no `_`, so those use `dnsOwner` instead (see there).
 */
export interface Stage {
  /** Environment, e.g. `dev`, `prod`, `local`. */
  readonly env: string;
  /** Who owns this deployment, e.g. a user id; keeps parallel deployments apart. */
  readonly owner: string;
}

// Bounded so the longest name fits every service's limit: Lambda functions 64, S3 buckets 63 (with the
// owner as dnsOwner makes it, at most 21 characters), SQS queues 80 with a capability domain of up to 24
// characters.
const STAGE_LIMITS = { env: 8, owner: 16 } as const;
const STAGE_PATTERNS = {
  env: new RegExp(`^[a-z0-9][a-z0-9-]{0,${STAGE_LIMITS.env - 1}}$`),
  owner: new RegExp(`^[a-z0-9][a-z0-9_-]{0,${STAGE_LIMITS.owner - 1}}$`),
} as const;
const STAGE_RULES = {
  env: 'lower-case letters, digits or -',
  owner: 'lower-case letters, digits, - or _',
} as const;
const DOMAIN = /^[a-z][a-z0-9-]{0,23}$/;

export class InvalidStageError extends Error {
  override name = 'InvalidStageError';
}

/**
 * Checks `env` (at most 8 lower-case letters, digits or `-`) and `owner` (at most 16 lower-case letters,
 * digits, `-` or `_`), each starting with a letter or digit.
 */
export function validateStage(stage: Stage): Stage {
  for (const field of ['env', 'owner'] as const) {
    const value: unknown = stage[field];
    const max = STAGE_LIMITS[field];
    if (typeof value !== 'string' || !STAGE_PATTERNS[field].test(value)) {
      throw new InvalidStageError(
        `${field} '${String(value)}' must be 1-${max} ${STAGE_RULES[field]}, starting with a letter or digit` +
          (field === 'env' ? ' (it becomes part of S3 bucket and CloudFormation stack names)' : ''),
      );
    }
  }
  return stage;
}

/** Shortest hash suffix dnsOwner appends; more when the owner is short (see there). */
const MIN_HASH_CHARS = 4;

/**
 * The owner as S3 bucket names and CloudFormation stack names accept it (letters, digits, `-`; no `_`).
 * An owner without `_` is itself. Otherwise each `_` becomes `-` and `-<hash>` is appended, hex digits
 * of sha256(owner): `dvan97_nike` -> `dvan97-nike-` + 5 hex digits.
 *
 * Collision-safe: the hash tells apart owners that differ only in `_` versus `-`, and it is made long
 * enough that a mapped owner has at least 17 characters, more than any owner may have as written, so a
 * mapped owner is never another deployment's owner either. At most 16 + 1 + 4 = 21 characters.
 */
export function dnsOwner(owner: string): string {
  if (!owner.includes('_')) return owner;
  const hyphenated = owner.replace(/_/g, '-');
  const hashChars = Math.max(MIN_HASH_CHARS, STAGE_LIMITS.owner - hyphenated.length);
  const hash = createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, hashChars);
  return `${hyphenated}-${hash}`;
}

export function resourceNames(stage: Stage) {
  const { env, owner } = validateStage(stage);
  const name = (resource: string) => `cch-${env}-${owner}-${resource}`;
  // S3 buckets and CloudFormation stacks: no `_` (see dnsOwner).
  const dnsName = (resource: string) => `cch-${env}-${dnsOwner(owner)}-${resource}`;
  return {
    /** `cch-<env>-<owner>-`, as queues, tables, functions, log groups and alarms are named. */
    prefix: name(''),
    /** The CloudFormation stack (owner as dnsOwner makes it). */
    stackName: dnsName('workflow-engine'),
    commandQueue: name('orchestrator-command-queue'),
    commandDlq: name('orchestrator-command-dlq'),
    replyQueue: name('orchestrator-reply-queue'),
    replyDlq: name('orchestrator-reply-dlq'),
    /** Request queue of a capability domain: the part of `domain#operation` before `#`. */
    capabilityRequestQueue: (domain: string) => name(`capability-${checkDomain(domain)}-request-queue`),
    capabilityRequestDlq: (domain: string) => name(`capability-${checkDomain(domain)}-request-dlq`),
    /**
     * The role a capability team assumes to serve its domain: receive on its request queue, send on the
     * reply queue, nothing else (at most 4 + 8 + 16 + 2 + 5 + 24 = 59 characters; IAM allows 64).
     */
    capabilityTeamRole: (domain: string) => name(`team-${checkDomain(domain)}`),
    /** The Secrets Manager secret holding the reply keys that tag request ids (RequestIds). */
    replyKeysSecret: name('reply-keys'),
    /**
     * The prefix of the Secrets Manager names workflows may read (an `http` header from a secret), shared
     * by the stages of one env: `cch-<env>/`. The `/` keeps the engine's own secrets (`cch-<env>-...`) out.
     */
    workflowSecretsPrefix: `cch-${env}/`,
    /** S3 buckets: owner as dnsOwner makes it. */
    definitionsBucket: dnsName('workflow-definitions-bucket'),
    eventDataBucket: dnsName('eventdata-bucket'),
    /**
     * Where message bodies too large for SQS are kept (the claim check), inside the event-data bucket.
     * Objects here are never deleted by a consumer: a message may be delivered, deferred or dead-lettered
     * as several copies that all point at the same object.
     */
    sqsPayloadPrefix: 'sqs-payloads/',
    accessLogsBucket: dnsName('access-logs-bucket'),
    stateTable: name('workflow-state-table'),
    orchestratorFunction: name('workflow-orchestrator-function'),
    capabilityMockFunction: name('capability-mock-function'),
    /** Purges the checkpoints of instances whose status record expired (DynamoDB stream consumer). */
    retentionFunction: name('retention-function'),
    /** Counts overdue waits and stuck instances on a schedule (their alarms watch what it publishes). */
    stuckCheckFunction: name('stuck-check-function'),
    /** Where stream batches the retention function could not purge end, after their retries. */
    retentionDlq: name('retention-dlq'),
    /** EventBridge Scheduler group of the one-time schedules that deliver long timers (at most 64 characters). */
    timerScheduleGroup: name('timer-schedules'),
    orchestratorLogGroup: `/aws/lambda/${name('workflow-orchestrator-function')}`,
    dashboard: name('workflow-dashboard'),
    /** Created by the stack when no existing topic is given; every alarm notifies it. */
    alarmTopic: name('alarm-topic'),
    metricsNamespace: 'CCH/WorkflowEngine',
    /** Every metric carries these, so deployments sharing an account and region stay apart. */
    metricDimensions: { env, owner } as Readonly<Record<'env' | 'owner', string>>,
  };
}

export type ResourceNames = ReturnType<typeof resourceNames>;

/**
 * The dead-letter queue of a work queue: `...-orchestrator-command-queue` -> `...-orchestrator-command-dlq`,
 * `...-capability-<domain>-request-queue` -> `...-capability-<domain>-request-dlq`. Every work queue is
 * named `...-queue` and its DLQ `...-dlq` (see resourceNames), so the DLQ follows from the name alone.
 */
export function deadLetterQueueOf(queueName: string): string {
  if (!/-queue$/.test(queueName) || queueName.length <= '-queue'.length) {
    throw new InvalidStageError(`queue '${queueName}' is not named '...-queue'; its DLQ cannot be named`);
  }
  return queueName.replace(/-queue$/, '-dlq');
}

/** The domain of a capability id: `import#enrichment` -> `import`. */
export function capabilityDomain(capabilityId: string): string {
  const domain = capabilityId.split('#')[0] ?? '';
  return checkDomain(domain);
}

function checkDomain(domain: string): string {
  if (!DOMAIN.test(domain))
    throw new InvalidStageError(`capability domain '${domain}' is not a valid queue-name part`);
  return domain;
}
