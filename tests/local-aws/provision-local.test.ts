import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DEFAULT_MAX_RECEIVES } from '../../orchestrator/src/aws/sqs-batch-processor';
import { capabilityDomainsIn } from '../../orchestrator/src/naming/capability-domains';
import { definitionFilesIn } from '../../orchestrator/src/naming/definition-files';
import { resourceNames } from '../../orchestrator/src/naming/resource-names';
import { startEmbeddedAws, type EmbeddedAws } from '../../scripts/local-aws/embedded-aws';
import {
  domainsOfDefinitionText,
  ensureCapabilityQueues,
  QUEUE_SETTINGS,
  REPO_ROOT,
} from '../../scripts/local-aws/provision-local';

jest.setTimeout(15_000);

const stage = { env: 'local', owner: 'ensure' };
const names = resourceNames(stage);

let aws: EmbeddedAws;
let sqs: SQSClient;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  sqs = new SQSClient(aws.clientConfig.sqs);
});

afterAll(async () => {
  sqs?.destroy();
  await aws?.stop();
});

async function attributesOf(queueName: string): Promise<Record<string, string>> {
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  const response = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return response.Attributes ?? {};
}

describe('domainsOfDefinitionText', () => {
  const definition = (file: string) => readFileSync(join(REPO_ROOT, 'workflow-definitions', file), 'utf8');

  it('lists the domains of a definition, once each, sorted', () => {
    expect(domainsOfDefinitionText(definition('import_vn_memphis_v1.yaml'))).toEqual(['import']);
    const fanout = domainsOfDefinitionText(definition('fanout_a_b_c_v1.yaml'));
    expect(fanout).toEqual([...new Set(fanout)].sort());
    expect(fanout.length).toBeGreaterThan(1);
  });

  it('agrees with capabilityDomainsIn over the repository definitions, those in subfolders too', () => {
    const dir = join(REPO_ROOT, 'workflow-definitions');
    const files = definitionFilesIn(dir);
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining(['fanout_a_b_c_v1.yaml', 'language-v2/order_fulfilment_v2.yaml']),
    );
    const each = files.flatMap((file) => domainsOfDefinitionText(file.text));
    expect([...new Set(each)].sort()).toEqual(capabilityDomainsIn(dir));
  });

  it('gives nothing for text that is not a valid definition', () => {
    expect(domainsOfDefinitionText('nodes: [')).toEqual([]);
    expect(domainsOfDefinitionText('workflow_id: x\n')).toEqual([]);
  });
});

describe('ensureCapabilityQueues (local-aws-sqs)', () => {
  it('creates the request queue and its DLQ of each missing domain, with the redrive, and returns them', async () => {
    const created = await ensureCapabilityQueues(sqs, stage, ['fresh-a', 'fresh-b', 'fresh-a']);

    expect(created.map((q) => q.name)).toEqual([
      names.capabilityRequestQueue('fresh-a'),
      names.capabilityRequestQueue('fresh-b'),
    ]);
    for (const queue of created) {
      const attributes = await attributesOf(queue.name);
      expect(queue.arn).toBe(attributes.QueueArn);
      expect(attributes.VisibilityTimeout).toBe(String(QUEUE_SETTINGS.visibilityTimeoutSeconds));
      const dlq = await attributesOf(queue.name.replace(/-queue$/, '-dlq'));
      expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: dlq.QueueArn,
        maxReceiveCount: QUEUE_SETTINGS.maxReceiveCount,
      });
      expect(dlq.MessageRetentionPeriod).toBe(String(QUEUE_SETTINGS.dlqRetentionSeconds));
      expect(queue.dlqUrl).toContain(queue.name.replace(/-queue$/, '-dlq'));
    }
  });

  it('leaves existing queues alone and returns only what it created', async () => {
    // An existing queue with settings of its own (as `pnpm local` tests shorten them): untouched.
    await sqs.send(
      new CreateQueueCommand({
        QueueName: names.capabilityRequestQueue('there'),
        Attributes: { VisibilityTimeout: '1' },
      }),
    );
    const created = await ensureCapabilityQueues(sqs, stage, ['there', 'fresh-a', 'fresh-c'], {
      ...QUEUE_SETTINGS,
      visibilityTimeoutSeconds: 7,
    });
    expect(created.map((q) => q.name)).toEqual([names.capabilityRequestQueue('fresh-c')]);
    expect((await attributesOf(names.capabilityRequestQueue('there'))).VisibilityTimeout).toBe('1');
    expect((await attributesOf(names.capabilityRequestQueue('fresh-c'))).VisibilityTimeout).toBe('7');
    await expect(ensureCapabilityQueues(sqs, stage, ['fresh-c'])).resolves.toEqual([]);
  });

  it('refuses a domain that cannot name a queue', async () => {
    await expect(ensureCapabilityQueues(sqs, stage, ['Bad_Domain'])).rejects.toThrow(/Bad_Domain/);
  });
});

it('the local redrive policy is a backstop: above the receives after which consumers dead-letter', () => {
  expect(QUEUE_SETTINGS.maxReceiveCount).toBeGreaterThan(DEFAULT_MAX_RECEIVES);
});
