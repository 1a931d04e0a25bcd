import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { provisionLocal, type LocalResources } from '../../../scripts/local-aws/provision-local';
import type { InboundMessage } from '../runtime/messages';
import { exampleText, SHIPMENT_CONTEXT } from '../runtime/testing/example-workflows';
import { stepFunctionsNames } from '../step-functions/step-functions-names';
import { createAwsOrchestrator, type AwsOrchestrator } from './aws-orchestrator';

/**
 * A mixed deployment's orchestrator on the embedded AWS servers: it consumes the public command queue,
 * forwards START of a Step Functions workflow (and CANCEL of an instance it does not have) to the Step
 * Functions command queue, and runs everything else itself.
 */

const SFN_WORKFLOW = 'export_screening_v1';
const ENGINE_WORKFLOW = 'import_vn_memphis_v1';

let aws: EmbeddedAws;
let resources: LocalResources;
let orchestrator: AwsOrchestrator;
let sqs: SQSClient;
let sfnCommandQueue: string;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  resources = await provisionLocal(aws, 'mixed');
  sqs = new SQSClient(aws.clientConfig.sqs);
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: stepFunctionsNames(resources.stage).commandQueue }),
  );
  sfnCommandQueue = created.QueueUrl as string;
  const s3 = new S3Client(aws.clientConfig.s3);
  await s3.send(
    new PutObjectCommand({
      Bucket: resources.names.definitionsBucket,
      Key: `${ENGINE_WORKFLOW}.yaml`,
      Body: exampleText(ENGINE_WORKFLOW),
    }),
  );
  s3.destroy();
  orchestrator = createAwsOrchestrator({
    stage: resources.stage,
    clients: aws.clientConfig,
    replyKeys: resources.replyKeys,
    stepFunctionsWorkflowIds: [SFN_WORKFLOW],
  });
}, 60_000);

afterAll(async () => {
  sqs?.destroy();
  for (const client of Object.values(orchestrator?.clients ?? {})) client.destroy();
  await aws?.stop();
});

let sent = 0;
async function deliver(message: InboundMessage) {
  const processor = await orchestrator.processor();
  const messageId = `m-${++sent}`;
  return processor.process({
    Records: [
      {
        messageId,
        receiptHandle: messageId,
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'caller',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: resources.commandQueue.arn,
        awsRegion: 'us-east-1',
      },
    ],
  });
}

async function forwarded(): Promise<unknown[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: sfnCommandQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (Messages ?? []).map((m) => JSON.parse(m.Body ?? '') as unknown);
}

it('forwards START of a Step Functions workflow unchanged and creates no instance of its own', async () => {
  const start = {
    type: 'START_WORKFLOW',
    workflow_id: SFN_WORKFLOW,
    instance_id: 'on-sfn',
    context: SHIPMENT_CONTEXT,
  } as const;
  await expect(deliver(start)).resolves.toEqual({ batchItemFailures: [] });
  expect(await forwarded()).toEqual([start]);
  expect(await orchestrator.instances.get('on-sfn')).toBeUndefined();
}, 30_000);

it("runs an engine workflow's START itself, and takes CANCEL for its instance", async () => {
  await deliver({
    type: 'START_WORKFLOW',
    workflow_id: ENGINE_WORKFLOW,
    instance_id: 'on-engine',
    context: SHIPMENT_CONTEXT,
  });
  expect((await orchestrator.instances.get('on-engine'))?.status).toBe('WAITING');
  await deliver({ type: 'CANCEL_WORKFLOW', instance_id: 'on-engine' });
  expect((await orchestrator.instances.get('on-engine'))?.status).toBe('CANCELLED');
  expect(await forwarded()).toEqual([]);
}, 30_000);

it('forwards CANCEL of an instance the engine does not have', async () => {
  await deliver({ type: 'CANCEL_WORKFLOW', instance_id: 'on-sfn' });
  expect(await forwarded()).toEqual([{ type: 'CANCEL_WORKFLOW', instance_id: 'on-sfn' }]);
}, 30_000);
