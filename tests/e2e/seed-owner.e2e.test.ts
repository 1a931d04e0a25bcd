import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { dnsOwner } from '../../orchestrator/src/naming/resource-names';
import { runTest } from '../../scripts/run-test';
import { LocalFileLogSource } from '../../scripts/run-test/log-sources';
import { startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

// The seed's own owner id, as its README names its queue: cch-dev-dvan97_nike-capability-import-request-queue.
const OWNER = 'dvan97_nike';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ owner: OWNER });
});
afterAll(async () => {
  await t?.stop();
});

describe(`the local stack for owner ${OWNER}`, () => {
  it('keeps the _ in queue and table names and maps it in bucket names only', async () => {
    const { names } = t.stack.resources;
    expect(t.stack.resources.stage).toEqual({ env: 'local', owner: OWNER });
    const queue = await t.sqs.send(
      new GetQueueUrlCommand({ QueueName: `cch-local-${OWNER}-capability-import-request-queue` }),
    );
    expect(queue.QueueUrl).toMatch(/cch-local-dvan97_nike-capability-import-request-queue$/);
    expect(names.stateTable).toBe(`cch-local-${OWNER}-workflow-state-table`);
    const s3 = new S3Client(t.stack.aws.clientConfig.s3);
    try {
      const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [];
      expect(buckets.sort()).toEqual(
        [
          `cch-local-${dnsOwner(OWNER)}-eventdata-bucket`,
          `cch-local-${dnsOwner(OWNER)}-workflow-definitions-bucket`,
        ].sort(),
      );
      expect(buckets.every((b) => !b?.includes('_'))).toBe(true);
    } finally {
      s3.destroy();
    }
  });

  it('runs the seed workflow to SUCCEEDED under that owner', async () => {
    const result = await runTest({
      definitionFile: 'import_vn_memphis_v1.yaml',
      target: {
        stage: t.stack.resources.stage,
        clients: t.stack.aws.clientConfig,
        logs: new LocalFileLogSource(t.stack.logFile),
      },
      timeoutMs: 60_000,
      out: () => undefined,
    });
    expect(result.status).toBe('SUCCEEDED');
  });
});
