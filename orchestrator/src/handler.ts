import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsOrchestrator } from './aws/aws-orchestrator';
import { workflowSecretIdsFromEnv } from './aws/aws-sync-capabilities';
import { ExtensionSecretSource } from './aws/secrets-extension-secret-source';
import type { TimerSchedulerOptions } from './aws/eventbridge-timer-scheduler';
import { type RefreshingReplyKeys, replySendersFromEnv, senderIdsFromEnv } from './aws/reply-keys';
import { replyKeysFromEnv } from './aws/reply-keys-from-env';
import type { SqsBatchProcessor } from './aws/sqs-batch-processor';

/**
 * The orchestrator Lambda, on the command and reply queues. Configuration: CCH_ENV and CCH_OWNER name
 * every resource (see naming/resource-names.ts); CCH_LEASE_TTL_SECONDS bounds how long a crashed
 * invocation blocks its instance; CCH_RETENTION_SECONDS is how long a finished instance is kept;
 * CCH_TIMER_SCHEDULER=eventbridge (with CCH_TIMER_ROLE_ARN, CCH_TIMER_QUEUE_ARN, CCH_TIMER_SCHEDULE_GROUP)
 * puts waits over 15 minutes on EventBridge Scheduler, else timers are SQS delays; AWS_REGION and the
 * SDK's own AWS_ENDPOINT_URL_* variables do the rest.
 * Reply security (issue 15, docs/security.md): CCH_REPLY_KEYS_SECRET_ARN names the Secrets Manager secret
 * of the reply keys, read through the Parameters and Secrets extension (PARAMETERS_SECRETS_EXTENSION_*,
 * set by the stack) at the first invocation, then every REPLY_KEYS_REFRESH_MS (reply-keys-from-env.ts; CCH_REPLY_KEYS, the same
 * JSON, instead of it off AWS); CCH_REPLY_SENDERS says who may answer each capability domain and
 * CCH_RELAY_SENDER_IDS is the orchestrator's own role id (see reply-keys.ts).
 * CCH_SFN_WORKFLOW_IDS (a mixed deployment, CDK context `engines`): JSON list of the workflows deployed as
 * state machines, whose START goes on to Step Functions' command queue (StepFunctionsRouting).
 * Built once per container.
 */
let processor: Promise<SqsBatchProcessor> | undefined;
let replyKeys: RefreshingReplyKeys | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  replyKeys ??= replyKeysFromEnv();
  // Before anything is tagged or verified: a container that cannot read the keys processes nothing.
  await replyKeys.refresh();
  processor ??= createAwsOrchestrator({
    stage: stageFromEnv(),
    leaseTtlMs: leaseTtlFromEnv(),
    retentionSeconds: positiveNumberFromEnv('CCH_RETENTION_SECONDS'),
    timers: timersFromEnv(),
    replyKeys,
    replySenders: replySendersFromEnv(process.env),
    relaySenderIds: senderIdsFromEnv(process.env.CCH_RELAY_SENDER_IDS),
    stepFunctionsWorkflowIds: stepFunctionsWorkflowIdsFromEnv(),
    secrets: new ExtensionSecretSource(),
    workflowSecretIds: workflowSecretIdsFromEnv(),
  }).processor();
  try {
    return await (await processor).process(event);
  } catch (error) {
    processor = undefined;
    throw error;
  }
}

/** CCH_SFN_WORKFLOW_IDS: a JSON list of the workflows a mixed deployment runs on Step Functions. */
function stepFunctionsWorkflowIdsFromEnv(): string[] {
  const ids: unknown = JSON.parse(process.env.CCH_SFN_WORKFLOW_IDS ?? '[]');
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new Error('CCH_SFN_WORKFLOW_IDS must be a JSON list of workflow ids');
  }
  return ids;
}

/** Set by the stack to the function timeout plus a margin; without it, the runtime's default. */
function leaseTtlFromEnv(): number | undefined {
  const seconds = positiveNumberFromEnv('CCH_LEASE_TTL_SECONDS');
  return seconds === undefined ? undefined : seconds * 1000;
}

/** CCH_TIMER_SCHEDULER: `sqs` (default) or `eventbridge`, which needs the role and queue ARNs. */
export function timersFromEnv(env: NodeJS.ProcessEnv = process.env): TimerSchedulerOptions {
  const kind = env.CCH_TIMER_SCHEDULER || 'sqs';
  if (kind === 'sqs') return { kind };
  if (kind !== 'eventbridge') throw new Error(`CCH_TIMER_SCHEDULER '${kind}' must be sqs or eventbridge`);
  const roleArn = env.CCH_TIMER_ROLE_ARN;
  const commandQueueArn = env.CCH_TIMER_QUEUE_ARN;
  if (!roleArn || !commandQueueArn) {
    throw new Error('CCH_TIMER_SCHEDULER=eventbridge needs CCH_TIMER_ROLE_ARN and CCH_TIMER_QUEUE_ARN');
  }
  return { kind, roleArn, commandQueueArn, groupName: env.CCH_TIMER_SCHEDULE_GROUP || undefined };
}

function positiveNumberFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function stageFromEnv() {
  const env = process.env.CCH_ENV;
  const owner = process.env.CCH_OWNER;
  if (!env || !owner) throw new Error('CCH_ENV and CCH_OWNER must be set (they name every resource)');
  return { env, owner };
}
