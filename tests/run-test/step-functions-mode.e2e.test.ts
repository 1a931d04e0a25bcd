import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { StartWorkflow } from '../../orchestrator/src/runtime/messages';
import {
  startStepFunctionsDeployment,
  type StepFunctionsDeployment,
} from '../../orchestrator/src/step-functions/testing/step-functions-deployment';
import { startLocalServers, type LocalServers } from '../../scripts/local-aws/local-servers';
import { runTest } from '../../scripts/run-test';
import { LocalFileLogSource } from '../../scripts/run-test/log-sources';

/**
 * run-test of a workflow deployed as a state machine: it sends START_WORKFLOW to the command queue of
 * the embedded stack as always; here the test forwards it to the Step Functions command bridge (what the
 * orchestrator's routing and the command Lambda do in a mixed deployment) and answers the capability
 * request through the reply bridge; run-test follows the execution on the embedded Step Functions
 * endpoint and reports its status record.
 */
jest.setTimeout(60_000);

const WORKFLOW = 'import_vn_memphis_v1';
const STAGE = { env: 'local', owner: 'dev' } as const;

let servers: LocalServers;
let sfn: StepFunctionsDeployment;
let forwarding = true;
let forwarder: Promise<void>;

beforeAll(async () => {
  servers = await startLocalServers({
    ports: { dynamodb: 0, sqs: 0, s3: 0 },
    retentionSweepMs: false,
    log: { file: join(tmpdir(), 'sfn-run-test.log'), write: () => undefined },
  });
  sfn = await startStepFunctionsDeployment(STAGE, [`${WORKFLOW}.yaml`]);
  const sqs = new SQSClient(servers.aws.clientConfig.sqs);
  const queueUrl = servers.resources.commandQueue.url;
  forwarder = (async () => {
    try {
      while (forwarding) {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
        );
        for (const message of Messages ?? []) {
          const start = JSON.parse(message.Body ?? '{}') as StartWorkflow;
          const instanceId = start.instance_id ?? '';
          await sfn.start(start.workflow_id, instanceId, start.context);
          await sfn.server.tasksWaiting(sfn.executionArn(start.workflow_id, instanceId));
          await sfn.reply(instanceId, { status: 'SUCCESS', outputs: { import_enrichment_uri: 's3://b/k' } });
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      }
    } finally {
      sqs.destroy();
    }
  })();
});

afterAll(async () => {
  forwarding = false;
  await forwarder;
  await sfn?.stop();
  await servers?.stop();
});

it("follows a Step Functions mode instance's execution and reports its status record", async () => {
  const lines: string[] = [];
  const result = await runTest({
    definitionFile: `${WORKFLOW}.yaml`,
    target: {
      stage: STAGE,
      clients: { ...servers.aws.clientConfig, sfn: sfn.sfnConfig },
      logs: new LocalFileLogSource(join(tmpdir(), 'sfn-run-test-none.log')),
    },
    out: (line) => lines.push(line),
  });
  expect(result.status).toBe('SUCCEEDED');
  expect(result.record).toMatchObject({
    instance_id: result.instanceId,
    workflow_id: WORKFLOW,
    status: 'SUCCEEDED',
    engine: 'stepfunctions',
  });
  expect(result.record?.history.map((h) => h.node)).toEqual([
    'Prepare_Import_Enrichment',
    'Process_Import_Enrichment_Response',
    'End_Workflow',
  ]);
  expect(lines).toContain('  (Step Functions mode: following its execution)');
  expect(lines.some((line) => /SUCCEEDED +End_Workflow/.test(line))).toBe(true);
});
