import { randomBytes } from 'node:crypto';
import { createCapabilityMock } from '../../capability-mock/src/capability-mock';
import { sampleDataOutput } from '../../capability-mock/src/sample-data-outputs';
import { isPayloadPointer } from '../../orchestrator/src/aws/sqs-claim-check';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { LOCAL_PRINCIPALS, sendAs } from '../../scripts/local-aws/local-principals';
import { SqsPoller } from '../../scripts/local-aws/sqs-poller';
import { runTest } from '../../scripts/run-test';
import { LocalFileLogSource } from '../../scripts/run-test/log-sources';
import { SHIPMENT, startTestStack } from './local-stack-support';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;

/**
 * The local stack with the orchestrator's pollers, and the capability mock on every request queue wired
 * as on AWS: sharing the orchestrator's claim check (the event-data bucket), so it reads offloaded
 * requests and offloads its large replies. Requests and replies are also kept as SQS carried them.
 */
async function stackWithMock(scenarios: CapabilityMocks = {}) {
  const t = await startTestStack({ pollers: false });
  const [command, reply] = t.stack.pollers;
  command?.start();
  reply?.start();
  const { resources, orchestrator } = t.stack;
  const replyBodies: string[] = [];
  const requestBodies: string[] = [];
  const mock = createCapabilityMock({
    // As the local stack's mock: its replies come from the principal the orchestrator accepts them from.
    sqs: sendAs(t.sqs, LOCAL_PRINCIPALS.capabilityMock, 'claim-check-test'),
    claimCheck: orchestrator.claimCheck,
    scenarios,
    defaultOutput: sampleDataOutput(resources.names.eventDataBucket),
  });
  const pollers = [...resources.capabilityQueues.values()].map(
    (queue) =>
      new SqsPoller(t.sqs, queue, (event) => {
        requestBodies.push(...event.Records.map((r) => r.body));
        return mock(event);
      }),
  );
  // What reached the reply queue, as sent: peeked by a spy on the mock's SQS client.
  t.sqs.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'SendMessageBatchCommand') {
        const input = args.input as { QueueUrl?: string; Entries?: { MessageBody?: string }[] };
        if (input.QueueUrl === resources.replyQueue.url)
          for (const entry of input.Entries ?? []) replyBodies.push(entry.MessageBody ?? '');
      }
      return next(args);
    },
    { step: 'initialize', name: 'replySpy' },
  );
  pollers.forEach((p) => p.start());
  return {
    t,
    replyBodies,
    requestBodies,
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      await t.stop();
    },
  };
}

describe('messages over the SQS limit travel through S3 (claim check), end to end', () => {
  let running: Awaited<ReturnType<typeof stackWithMock>> | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('a 5 MB reply round-trips through the real queues and the instance succeeds with it', async () => {
    const blob = randomBytes(3750 * 1024).toString('base64'); // 5 MB of text
    expect(blob.length).toBeGreaterThanOrEqual(5 * 1000 * 1000);
    running = await stackWithMock({ 'import#enrichment': { outputs: { import_enrichment_uri: blob } } });
    const { t, replyBodies } = running;
    await t.upload('import_vn_memphis_v1');
    await t.start('import_vn_memphis_v1', 'claim-5mb');

    const record = await t.waitFor('claim-5mb', t.ended, 60_000);

    expect(record.status).toBe('SUCCEEDED');
    // The reply went over SQS as a pointer, never as 5 MB.
    expect(replyBodies).toHaveLength(1);
    expect(isPayloadPointer(replyBodies[0] ?? '')).toBe(true);
    expect(Buffer.byteLength(replyBodies[0] ?? '')).toBeLessThan(1024);
    // The whole value reached the instance: read back through the graph state.
    const graphState = await t.stack.orchestrator.checkpointer.getTuple({
      configurable: { thread_id: 'claim-5mb' },
    });
    const context = graphState?.checkpoint.channel_values.context as Record<string, unknown> | undefined;
    expect(context?.import_enrichment_uri).toBe(blob);
    expect(t.logs().filter((l) => l.msg === 'message dead-lettered')).toEqual([]);
  });

  it('a START whose context makes the capability request exceed 1 MiB completes (sent by run-test)', async () => {
    running = await stackWithMock();
    const { t } = running;
    const attachment = 'é'.repeat(MiB / 2 + 4096); // over 1 MiB of UTF-8: neither START nor request fits SQS
    expect(Buffer.byteLength(attachment)).toBeGreaterThan(MiB);
    const lines: string[] = [];

    const result = await runTest({
      definitionFile: 'import_vn_memphis_v1.yaml',
      target: {
        stage: t.stack.resources.stage,
        clients: t.stack.aws.clientConfig,
        logs: new LocalFileLogSource(t.stack.logFile),
      },
      context: { ...SHIPMENT, attachment },
      timeoutMs: 60_000,
      out: (line) => lines.push(line),
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.record?.context.attachment).toBe(attachment);
    // The orchestrator's request carried the whole context, so it travelled as a pointer.
    expect(running.requestBodies).toHaveLength(1);
    expect(isPayloadPointer(running.requestBodies[0] ?? '')).toBe(true);
    expect(t.logs().filter((l) => l.msg === 'message dead-lettered')).toEqual([]);
  });
});
