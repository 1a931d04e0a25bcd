import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { itemSizeBytes, MAX_ITEM_BYTES } from '../../orchestrator/src/checkpoint';
import { SqsPoller } from '../../scripts/local-aws/sqs-poller';
import { SHIPMENT, startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

/** Each guarantee of DESIGN.md section 5 again, end to end through real SQS redelivery. */
describe('execution guarantees end to end on the embedded stack', () => {
  let t: TestStack | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('duplicate replies put on the reply queue are applied once', async () => {
    t = await startTestStack({ scenarios: { 'import#enrichment': { duplicates: 2 } } });
    await t.upload('import_vn_memphis_v1');
    await t.start('import_vn_memphis_v1', 'dup-1');
    const record = await t.waitFor('dup-1', t.ended);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.history.filter((h) => h.node === 'Process_Import_Enrichment_Response')).toHaveLength(1);
    const stack = t;
    await stack.waitFor(
      'dup-1',
      () => stack.logs().filter((l) => l.msg === 'duplicate reply acknowledged and ignored').length === 2,
    );
  });

  it('an early reply (before the instance exists) is retried until it applies, not dropped', async () => {
    t = await startTestStack({
      scenarios: { 'import#enrichment': { reply: false } },
      notReadyRetrySeconds: 1,
    });
    await t.upload('import_vn_memphis_v1');
    await t.reply({
      type: 'ASYNC_RESP',
      instance_id: 'early-1',
      request_id: t.requestId('early-1', 'Prepare_Import_Enrichment'),
      status: 'SUCCESS',
      outputs: { import_enrichment_uri: 's3://early/reply.json' },
    });
    const stack = t;
    await new Promise<void>((resolve) => {
      const check = () =>
        stack
          .logs()
          .some(
            (l) =>
              l.msg === 'message will be retried' && String(l.reason).includes('unknown instance early-1'),
          )
          ? resolve()
          : setTimeout(check, 100);
      check();
    });
    await t.start('import_vn_memphis_v1', 'early-1');
    const record = await t.waitFor('early-1', t.ended);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context.import_enrichment_uri).toBe('s3://early/reply.json');
  });

  it('poison messages mixed into a batch fail alone and reach the DLQ with their reason logged', async () => {
    t = await startTestStack({ queueSettings: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 } });
    await t.upload('import_vn_memphis_v1');
    const { commandQueue } = t.stack.resources;
    await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: commandQueue.url,
        Entries: [
          { Id: 'a', MessageBody: 'this is not json' },
          {
            Id: 'b',
            MessageBody: JSON.stringify({
              type: 'START_WORKFLOW',
              workflow_id: 'import_vn_memphis_v1',
              instance_id: 'good-1',
              context: SHIPMENT,
            }),
          },
          { Id: 'c', MessageBody: JSON.stringify({ type: 'START_WORKFLOW', workflow_id: 'has spaces' }) },
        ],
      }),
    );
    expect((await t.waitFor('good-1', t.ended)).status).toBe('SUCCEEDED');
    const stack = t;
    const deadline = Date.now() + 30_000;
    let dead: string[] = [];
    while (dead.length < 2 && Date.now() < deadline) {
      dead = [...dead, ...(await stack.receiveAll(commandQueue.dlqUrl))];
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(dead.sort()).toEqual(
      ['this is not json', JSON.stringify({ type: 'START_WORKFLOW', workflow_id: 'has spaces' })].sort(),
    );
    const reasons = stack
      .logs()
      .filter((l) => l.msg === 'message dead-lettered')
      .map((l) => l.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^the body is not JSON/),
        expect.stringMatching(/^invalid START_WORKFLOW: workflow_id/),
      ]),
    );
  });

  it('several pollers (Lambda containers) on the same instance: every reply applies and C runs once', async () => {
    t = await startTestStack();
    const stack = t;
    const extra = [1, 2, 3].map(() => {
      const orchestrator = stack.stack.newOrchestrator();
      const handler = async (event: SQSEvent) => (await orchestrator.processor()).process(event);
      return new SqsPoller(stack.sqs, stack.stack.resources.replyQueue, handler, { batchSize: 1 });
    });
    extra.forEach((p) => p.start());
    try {
      await t.upload('fanout_a_b_c_v1');
      await Promise.all(['multi-1', 'multi-2', 'multi-3'].map((id) => stack.start('fanout_a_b_c_v1', id)));
      for (const id of ['multi-1', 'multi-2', 'multi-3']) {
        const record = await stack.waitFor(id, stack.ended);
        expect(record.status).toBe('SUCCEEDED');
        expect(record.history.filter((h) => h.node === 'Task_C')).toHaveLength(1);
        expect(Object.keys(record.context)).toEqual(
          expect.arrayContaining(['b1_result', 'b2_result', 'b3_result', 'c_result']),
        );
      }
    } finally {
      await Promise.all(extra.map((p) => p.stop()));
    }
  });

  it('big state: a 600 KB reply travels through SQS, the instance succeeds, no table item exceeds 400 KB', async () => {
    const blob = randomBytes(450 * 1024).toString('base64');
    t = await startTestStack({
      scenarios: { 'import#enrichment': { outputs: { import_enrichment_uri: blob } } },
    });
    await t.upload('import_vn_memphis_v1');
    await t.start('import_vn_memphis_v1', 'big-1');
    const record = await t.waitFor('big-1', t.ended);
    expect(record.status).toBe('SUCCEEDED');
    const dynamodb = new DynamoDBClient(t.stack.aws.clientConfig.dynamodb);
    try {
      const items =
        (await dynamodb.send(new ScanCommand({ TableName: t.stack.resources.names.stateTable }))).Items ?? [];
      expect(items.length).toBeGreaterThan(3);
      const largest = Math.max(...items.map((item) => itemSizeBytes(item)));
      expect(largest).toBeLessThanOrEqual(MAX_ITEM_BYTES);
      // The whole value is still there: the checkpoint's context, read back through the graph state.
      const graphState = await t.stack.orchestrator.checkpointer.getTuple({
        configurable: { thread_id: 'big-1' },
      });
      const context = graphState?.checkpoint.channel_values.context as Record<string, unknown> | undefined;
      expect(context?.import_enrichment_uri).toBe(blob);
    } finally {
      dynamodb.destroy();
    }
  });

  it('a handler that crashes mid-batch loses nothing: the batch comes back and applies once', async () => {
    t = await startTestStack({ pollers: false, queueSettings: { visibilityTimeoutSeconds: 2 } });
    const stack = t;
    const [command, , ...capabilities] = stack.stack.pollers;
    command?.start();
    capabilities.forEach((p) => p.start());
    const processor = await stack.stack.orchestrator.processor();
    let crashes = 0;
    const crashing = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      if (crashes === 0 && event.Records.length > 0) {
        crashes++;
        // Process the first record, then die before returning: nothing of the batch is deleted.
        await processor.process({ Records: event.Records.slice(0, 1) });
        throw new Error('Lambda crashed mid-batch');
      }
      return processor.process(event);
    };
    const replyPoller = new SqsPoller(stack.sqs, stack.stack.resources.replyQueue, crashing);
    replyPoller.start();
    try {
      await stack.upload('fanout_a_b_c_v1');
      await stack.start('fanout_a_b_c_v1', 'crash-1');
      const record = await stack.waitFor('crash-1', stack.ended);
      expect(crashes).toBe(1);
      expect(record.status).toBe('SUCCEEDED');
      for (const node of ['Task_A', 'Task_B1', 'Task_B2', 'Task_B3', 'Task_C']) {
        expect([node, record.history.filter((h) => h.node === node).length]).toEqual([node, 1]);
      }
      // The record the crash interrupted comes back after its visibility timeout, recognised as applied.
      const duplicate = () =>
        stack
          .logs()
          .some((l) => l.instance_id === 'crash-1' && l.msg === 'duplicate reply acknowledged and ignored');
      const deadline = Date.now() + 15_000;
      while (!duplicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(duplicate()).toBe(true);
      expect((await stack.record('crash-1'))?.history).toEqual(record.history);
    } finally {
      await replyPoller.stop();
    }
  });
});
