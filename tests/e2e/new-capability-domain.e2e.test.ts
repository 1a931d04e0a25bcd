import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { runCli } from '../../orchestrator/src/cli/main';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { runTest } from '../../scripts/run-test';
import { LocalFileLogSource } from '../../scripts/run-test/log-sources';
import { runOnEmbeddedStack } from '../../scripts/wf';
import { startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

/** A domain no definition in workflow-definitions/ uses, so no queue is provisioned for it up front. */
const DOMAIN = 'zz-never-seen';

/** A definition whose only capability is in that domain, written where tests keep local state. */
function writeDefinition(): string {
  const dir = join(REPO_ROOT, '.local-aws', `new-domain-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'zz_never_seen_v1.yaml');
  writeFileSync(
    file,
    [
      'workflow_name: Never seen capability domain',
      'workflow_id: zz_never_seen_v1',
      'entry_point: Ask',
      'initial_context: [shipmentId]',
      'nodes:',
      '  Ask:',
      '    type: async_request',
      `    capability_id: '${DOMAIN}#op'`,
      '    request_output_keys: [answer]',
      '    on_response: Done',
      '    timeout: 5m',
      '  Done: { type: end, output_keys: [answer] }',
      '',
    ].join('\n'),
  );
  return file;
}

describe('a capability domain no definition used before', () => {
  let t: TestStack | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('wf run provisions its request queue and a mock consumer, and completes', async () => {
    const io = recordingIo(REPO_ROOT);
    const code = await runCli(['run', writeDefinition()], io, { embedded: runOnEmbeddedStack });
    expect(io.stderr()).toBe('');
    expect(io.stdout()).toMatch(new RegExp(`request sent to ${DOMAIN}#op`));
    expect(io.stdout()).toMatch(/■ SUCCEEDED/);
    expect(code).toBe(0);
  });

  it('run-test --local against a running local stack (pnpm local) completes', async () => {
    t = await startTestStack({ watchDefinitionsMs: 200 });
    const lines: string[] = [];
    const result = await runTest({
      definitionFile: writeDefinition(),
      target: {
        stage: t.stack.resources.stage,
        clients: t.stack.aws.clientConfig,
        logs: new LocalFileLogSource(t.stack.logFile),
      },
      sampleContext: false,
      context: { shipmentId: 'SHP-NEW' },
      timeoutMs: 30_000,
      out: (line) => lines.push(line),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.record?.context.answer).toBeDefined();
  });

  it('without its queue (as on AWS, where only the CDK app makes queues) the instance fails at once, naming it', async () => {
    t = await startTestStack();
    await t.upload('zz_never_seen_v1', readFileSync(writeDefinition(), 'utf8'));
    await t.start('zz_never_seen_v1', 'no-queue-1', { shipmentId: 'SHP-1' });
    const record = await t.waitFor('no-queue-1', t.ended, 15_000);
    expect(record.status).toBe('FAILED');
    expect(record.error?.code).toBe('CAPABILITY_QUEUE_MISSING');
    expect(record.error?.message).toContain(t.stack.resources.names.capabilityRequestQueue(DOMAIN));
    expect(t.logs().filter((l) => l.msg === 'message dead-lettered')).toEqual([]);
  });

  it('run-test creates the request queue (with its DLQ) itself, before the START is sent', async () => {
    // No watcher and no consumer for new domains: what run-test does alone. The request must reach the
    // new queue (the instance waits for a reply) instead of failing for a missing queue.
    t = await startTestStack();
    const lines: string[] = [];
    const result = await runTest({
      definitionFile: writeDefinition(),
      target: {
        stage: t.stack.resources.stage,
        clients: t.stack.aws.clientConfig,
        logs: new LocalFileLogSource(t.stack.logFile),
      },
      sampleContext: false,
      context: { shipmentId: 'SHP-NEW' },
      timeoutMs: 4_000,
      out: (line) => lines.push(line),
    });
    const names = t.stack.resources.names;
    expect(lines[0]).toBe(
      `request queue ${names.capabilityRequestQueue(DOMAIN)} created for a new capability domain`,
    );
    expect(result.status).toBe('TIMED_OUT');
    expect(result.record?.status).toBe('WAITING');
    const queueUrl = (
      await t.sqs.send(new GetQueueUrlCommand({ QueueName: names.capabilityRequestQueue(DOMAIN) }))
    ).QueueUrl;
    const attributes = await t.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'RedrivePolicy'],
      }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: expect.stringMatching(
        new RegExp(`:${names.capabilityRequestDlq(DOMAIN)}$`),
      ) as string,
    });
  });
});
