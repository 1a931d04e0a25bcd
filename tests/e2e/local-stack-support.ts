import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDbInstanceStore } from '../../orchestrator/src/aws/dynamodb-instance-store';
import { systemClock } from '../../orchestrator/src/graph/engine-dependencies';
import { RequestIds } from '../../orchestrator/src/graph/request-ids';
import type { InstanceRecord } from '../../orchestrator/src/runtime/instance-record';
import {
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '../../scripts/local-aws/local-stack';
import { startLocalServers, type LocalServersOptions } from '../../scripts/local-aws/local-servers';
import { LOCAL_PRINCIPALS, sendAs } from '../../scripts/local-aws/local-principals';
import { fileLogSink } from '../../scripts/local-aws/log-sink';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { WorkerProcess, workerEnvironment } from '../../scripts/local-aws/worker-process';

export const SHIPMENT = { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' };

/** A local stack on free ports with its own log file, plus the small client-side moves tests make. */
export async function startTestStack(options: LocalStackOptions = {}) {
  const logFile = join(REPO_ROOT, '.local-aws', `test-${process.pid}-${Date.now()}.log`);
  const stack: LocalStack = await startLocalStack({
    ports: { dynamodb: 0, sqs: 0, s3: 0 },
    logFile,
    ...options,
  });
  const sqs = new SQSClient(stack.aws.clientConfig.sqs);
  const s3 = new S3Client(stack.aws.clientConfig.s3);
  const { names, commandQueue, replyQueue } = stack.resources;
  // Replies as a capability team sends them: the local stack's mock principal (local-principals.ts).
  const capability = sendAs(
    new SQSClient(stack.aws.clientConfig.sqs),
    LOCAL_PRINCIPALS.capabilityMock,
    'test',
  );
  const requestIds = new RequestIds(stack.resources.replyKeys);

  const helpers = {
    stack,
    sqs,
    async upload(
      workflowId: string,
      text = readFileSync(join(REPO_ROOT, 'workflow-definitions', `${workflowId}.yaml`), 'utf8'),
    ) {
      await s3.send(
        new PutObjectCommand({ Bucket: names.definitionsBucket, Key: `${workflowId}.yaml`, Body: text }),
      );
    },
    async send(queueUrl: string, body: unknown) {
      const MessageBody = typeof body === 'string' ? body : JSON.stringify(body);
      return (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody })))
        .MessageId as string;
    },
    start(workflowId: string, instanceId: string, context: Record<string, unknown> = SHIPMENT) {
      return helpers.send(commandQueue.url, {
        type: 'START_WORKFLOW',
        workflow_id: workflowId,
        instance_id: instanceId,
        context,
      });
    },
    /** The id the stack gives the `visit`-th request of `node` in `instanceId` (tagged with its key). */
    requestId(instanceId: string, node: string, visit = 1): string {
      return requestIds.issue(instanceId, node, visit);
    },
    /** Sends a reply as the capability that received the request would: from its principal. */
    async reply(body: unknown) {
      const MessageBody = typeof body === 'string' ? body : JSON.stringify(body);
      return (await capability.send(new SendMessageCommand({ QueueUrl: replyQueue.url, MessageBody })))
        .MessageId as string;
    },
    record(instanceId: string): Promise<InstanceRecord | undefined> {
      return stack.orchestrator.instances.get(instanceId);
    },
    /** Polls the status record until `done` holds (or fails after `timeoutMs`). */
    async waitFor(
      instanceId: string,
      done: (r: InstanceRecord) => boolean,
      timeoutMs = 30_000,
    ): Promise<InstanceRecord> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await helpers.record(instanceId);
        if (record && done(record)) return record;
        if (Date.now() > deadline) {
          throw new Error(
            `instance ${instanceId} did not get there in ${timeoutMs} ms: ${JSON.stringify(record?.status)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    ended: (r: InstanceRecord) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status),
    /** Every JSON line the stack logged so far. */
    logs(): Record<string, unknown>[] {
      if (!existsSync(stack.logFile)) return [];
      return readFileSync(stack.logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    /** Polls the stack's log until a line matches (or fails after `timeoutMs`, naming what it waited for). */
    async waitForLog(
      what: string,
      matches: (line: Record<string, unknown>) => boolean,
      timeoutMs = 20_000,
    ): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = helpers.logs().find(matches);
        if (line) return line;
        if (Date.now() > deadline) throw new Error(`no log line ${what} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async approximateMessages(queueUrl: string): Promise<number> {
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    async receiveAll(queueUrl: string): Promise<string[]> {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          AttributeNames: ['All'],
        }),
      );
      return (response.Messages ?? []).map((m) => m.Body ?? '');
    },
    async stop() {
      sqs.destroy();
      capability.destroy();
      s3.destroy();
      await stack.stop();
    },
  };
  return helpers;
}

export type TestStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The servers of a local stack on free ports, with no orchestrator or capability mock in this process
 * (`pnpm local --no-workers`), and `scripts/worker.ts` child processes run against them.
 */
export async function startTestServers(options: LocalServersOptions = {}) {
  const logFile = join(REPO_ROOT, '.local-aws', `test-workers-${process.pid}-${Date.now()}.log`);
  const servers = await startLocalServers({
    ports: { dynamodb: 0, sqs: 0, s3: 0 },
    log: fileLogSink(logFile),
    ...options,
  });
  const { aws, resources } = servers;
  const sqs = new SQSClient(aws.clientConfig.sqs);
  const s3 = new S3Client(aws.clientConfig.s3);
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  const instances = new DynamoDbInstanceStore(dynamodb, resources.names.stateTable, systemClock);
  const workers: WorkerProcess[] = [];

  const helpers = {
    servers,
    logFile,
    /** Starts a worker process against these servers and resolves once it polls its queues. */
    async spawnWorker(env: Record<string, string> = {}, args: string[] = []): Promise<WorkerProcess> {
      const worker = new WorkerProcess({
        env: workerEnvironment(aws, resources.stage, { CCH_LOG_FILE: logFile, ...env }),
        args,
      });
      workers.push(worker);
      await worker.ready;
      return worker;
    },
    async upload(workflowId: string) {
      const text = readFileSync(join(REPO_ROOT, 'workflow-definitions', `${workflowId}.yaml`), 'utf8');
      await s3.send(
        new PutObjectCommand({
          Bucket: resources.names.definitionsBucket,
          Key: `${workflowId}.yaml`,
          Body: text,
        }),
      );
    },
    async start(workflowId: string, instanceId: string, context: Record<string, unknown> = SHIPMENT) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: resources.commandQueue.url,
          MessageBody: JSON.stringify({
            type: 'START_WORKFLOW',
            workflow_id: workflowId,
            instance_id: instanceId,
            context,
          }),
        }),
      );
    },
    record: (instanceId: string) => instances.get(instanceId),
    /** Polls the status record until `done` holds (or fails after `timeoutMs`). */
    async waitFor(instanceId: string, done: (r: InstanceRecord) => boolean, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await instances.get(instanceId);
        if (record && done(record)) return record;
        if (Date.now() > deadline) {
          throw new Error(
            `instance ${instanceId} did not get there in ${timeoutMs} ms: ${JSON.stringify(record?.status)}\n` +
              workers.map((w) => `worker ${w.pid}:\n${w.recentOutput}`).join('\n'),
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    ended: (r: InstanceRecord) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status),
    /** Kills every worker still running (SIGKILL: nothing of theirs matters), then stops the servers. */
    async stop() {
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      sqs.destroy();
      s3.destroy();
      dynamodb.destroy();
      await servers.stop();
    },
  };
  return helpers;
}

export type TestServers = Awaited<ReturnType<typeof startTestServers>>;
