import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTERED } from '../../orchestrator/src/aws/sqs-dead-letter';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import type { DlqTarget } from '../../orchestrator/src/cli/dlq-command';
import { runCli } from '../../orchestrator/src/cli/main';
import { dlqCommand } from '../../orchestrator/src/cli/dlq-command';
import { resourceNames, type Stage } from '../../orchestrator/src/naming/resource-names';
import {
  DeadLetters,
  type DeadLetteredMessage,
  type RedriveReport,
} from '../../orchestrator/src/operations/dead-letters';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { SHIPMENT, startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

describe('wf dlq on the embedded stack', () => {
  let t: TestStack;
  let target: DlqTarget;
  beforeAll(async () => {
    t = await startTestStack({ notReadyRetrySeconds: 1 });
    target = {
      stage: t.stack.resources.stage,
      sqs: t.stack.aws.clientConfig.sqs,
      s3: t.stack.aws.clientConfig.s3,
    };
  });
  afterAll(() => t.stop());

  /** Runs `wf dlq ...` against the test stack; its exit code and output. */
  async function wf(...args: string[]) {
    const io = recordingIo(REPO_ROOT);
    const code = await dlqCommand(args, io, () => target);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  }
  async function listJson(queue: string): Promise<DeadLetteredMessage[]> {
    const { code, stdout } = await wf('list', '--queue', queue, '--json');
    expect(code).toBe(0);
    return JSON.parse(stdout) as DeadLetteredMessage[];
  }
  /** Polls the DLQ listing until `done` holds. */
  async function listUntil(queue: string, done: (m: DeadLetteredMessage[]) => boolean) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const messages = await listJson(queue);
      if (done(messages)) return messages;
      if (Date.now() > deadline) throw new Error(`DLQ ${queue}: ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('a START for a workflow not uploaded yet is listed with its reason, redriven after the upload and SUCCEEDS', async () => {
    await t.start('import_vn_memphis_v1', 'dlq-start-1', SHIPMENT);
    const [letter] = await listUntil('command', (m) => m.some((x) => x.instanceId === 'dlq-start-1'));
    expect(letter).toMatchObject({
      queue: 'command',
      type: 'START_WORKFLOW',
      instanceId: 'dlq-start-1',
      workflowId: 'import_vn_memphis_v1',
      offloaded: false,
    });
    expect(letter!.reason).toContain("unknown workflow: no definition 'import_vn_memphis_v1.yaml'");

    // The log line the CDK metric filter counts (`{ $.msg = "message dead-lettered" }`, by `$.queue`).
    expect(t.logs()).toContainEqual(
      expect.objectContaining({
        msg: DEAD_LETTERED,
        queue: t.stack.resources.names.commandQueue,
        instance_id: 'dlq-start-1',
        reason: letter!.reason,
      }),
    );

    // Listing consumed nothing: listed again, the same message; and at once visible to any reader.
    expect((await listJson('command')).map((m) => m.messageId)).toEqual([letter!.messageId]);
    const human = await wf('list', '--queue', 'command');
    expect(human.stdout).toContain(letter!.messageId);
    expect(human.stdout).toContain("reason: unknown workflow: no definition 'import_vn_memphis_v1.yaml'");
    expect(human.stdout).toContain('START_WORKFLOW instance dlq-start-1');
    const names = t.stack.resources.names;
    const dlqUrl = (await t.sqs.send(new GetQueueUrlCommand({ QueueName: names.commandDlq }))).QueueUrl;
    const peek = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }),
    );
    expect(peek.Messages?.map((m) => m.MessageId)).toEqual([letter!.messageId]);

    await t.upload('import_vn_memphis_v1');
    const redrive = await wf('redrive', '--queue', 'command', '--message-id', letter!.messageId);
    expect(redrive.stderr).toBe('');
    expect(redrive.stdout).toContain(`redriven  command  ${letter!.messageId} -> ${names.commandQueue}`);
    expect(redrive.code).toBe(0);
    const record = await t.waitFor('dlq-start-1', t.ended);
    expect(record.status).toBe('SUCCEEDED');
    expect(await listJson('command')).toEqual([]);
  });

  it('a START over the SQS limit (an S3 pointer) is listed with its type and redriven as the same pointer, from which the instance starts', async () => {
    const start = {
      type: 'START_WORKFLOW',
      workflow_id: 'fanout_a_b_c_v1',
      instance_id: 'dlq-large-1',
      context: { ...SHIPMENT, notes: 'x'.repeat(300 * 1024) },
    };
    const message = await t.stack.orchestrator.claimCheck.offload(JSON.stringify(start));
    expect(message.offloaded).toBe(true);
    await t.sqs.send(
      new SendMessageCommand({
        QueueUrl: t.stack.resources.commandQueue.url,
        MessageBody: message.body,
        MessageAttributes: message.attributes,
      }),
    );
    const listed = await listUntil('command', (m) => m.some((x) => x.instanceId === 'dlq-large-1'));
    const letter = listed.find((x) => x.instanceId === 'dlq-large-1')!;
    expect(letter).toMatchObject({ offloaded: true, type: 'START_WORKFLOW', body: message.body });
    expect(letter.reason).toContain('unknown workflow');

    await t.upload('fanout_a_b_c_v1');
    expect((await wf('redrive', '--queue', 'command', '--message-id', letter.messageId)).code).toBe(0);
    // The instance started from the redriven pointer, with the whole context (its capability requests
    // are then as large: the local stack's default mock does not read offloaded requests, so it waits).
    const record = await t.waitFor('dlq-large-1', (r) => r.status !== 'RUNNING');
    expect(record.workflow_id).toBe('fanout_a_b_c_v1');
    expect(record.context.notes).toHaveLength(300 * 1024);
    expect(await listJson('command')).not.toContainEqual(
      expect.objectContaining({ instanceId: 'dlq-large-1' }),
    );
  });

  it('a poison reply is listed with its reason; a redrive of --all that fails again at once ends, leaving it listed', async () => {
    await t.reply('this is not JSON');
    const [poison] = await listUntil('reply', (m) => m.length === 1);
    expect(poison!.reason).toMatch(/JSON/i);
    expect(poison!.type).toBeUndefined();
    expect((await wf('list', '--queue', 'reply')).stdout).toContain('(not a message of ours)');

    const { code, stdout } = await wf('redrive', '--queue', 'reply', '--all', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RedriveReport;
    expect(report.redriven.map((r) => r.messageId)).toEqual([poison!.messageId]);
    // The orchestrator dead-letters it again, as a new copy with the same reason.
    const [again] = await listUntil('reply', (m) => m.length === 1 && m[0]!.messageId !== poison!.messageId);
    expect(again!.reason).toBe(poison!.reason);
  });

  it('an id that is in no DLQ is reported and exits 1; usage mistakes exit 2', async () => {
    const missing = await wf('redrive', '--message-id', 'no-such-message');
    expect(missing.stdout).toContain('not found no-such-message');
    expect(missing.code).toBe(1);

    const io = recordingIo(REPO_ROOT);
    expect(await runCli(['dlq', 'redrive', '--queue', 'reply'], io)).toBe(2);
    expect(io.stderr()).toContain('redrive needs either --message-id ID ... or --all');
    expect(await runCli(['dlq', 'peek'], recordingIo(REPO_ROOT))).toBe(2);
    const help = recordingIo(REPO_ROOT);
    expect(await runCli(['dlq', '--help'], help)).toBe(0);
    expect(help.stdout()).toContain('wf dlq redrive --queue import --all');
  });

  it('wf dlq --local reaches `pnpm local` on the ports in CCH_LOCAL_*_PORT; a malformed port is refused', async () => {
    const port = (endpoint: unknown) => new URL(String(endpoint)).port;
    const saved = { ...process.env };
    delete process.env.CCH_ENV;
    delete process.env.CCH_OWNER;
    process.env.CCH_LOCAL_SQS_PORT = port(target.sqs.endpoint);
    process.env.CCH_LOCAL_S3_PORT = port(target.s3.endpoint);
    try {
      expect(process.env.CCH_LOCAL_SQS_PORT).not.toBe('9324');
      await t.send(t.stack.resources.commandQueue.url, 'poison for --local');
      const deadline = Date.now() + 20_000;
      let listed: DeadLetteredMessage[] = [];
      while (!listed.some((m) => m.body === 'poison for --local') && Date.now() < deadline) {
        const io = recordingIo(REPO_ROOT);
        expect(await runCli(['dlq', 'list', '--local', '--queue', 'command', '--json'], io)).toBe(0);
        listed = JSON.parse(io.stdout()) as DeadLetteredMessage[];
      }
      expect(listed.map((m) => m.body)).toContain('poison for --local');

      process.env.CCH_LOCAL_SQS_PORT = 'nine';
      const bad = recordingIo(REPO_ROOT);
      expect(await runCli(['dlq', 'list', '--local'], bad)).toBe(1);
      expect(bad.stderr()).toContain('CCH_LOCAL_SQS_PORT=nine is not a port');
    } finally {
      process.env = saved;
    }
  });

  describe('on queues no consumer reads', () => {
    let sqs: SQSClient;
    beforeAll(() => {
      sqs = new SQSClient(target.sqs);
    });
    afterAll(() => sqs.destroy());

    async function queue(name: string): Promise<string> {
      return (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
    }
    const letters = (stage: Stage) => new DeadLetters({ sqs, stage, waitTimeSeconds: 0 });

    it('a redriven message starts afresh: no dead-letter reason, no deferral counters, other attributes kept', async () => {
      const stage = { env: 'local', owner: 'dlq-strip' };
      const names = resourceNames(stage);
      const source = await queue(names.replyQueue);
      const dlq = await queue(names.replyDlq);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlq,
          MessageBody: '{"type":"ASYNC_RESP"}',
          MessageAttributes: {
            'cch-dead-letter-reason': { DataType: 'String', StringValue: 'deferred for more than 72 hours' },
            'cch-deferrals': { DataType: 'Number', StringValue: '300' },
            'cch-first-received': { DataType: 'Number', StringValue: String(Date.now() - 4 * 86_400_000) },
            'trace-id': { DataType: 'String', StringValue: 'abc' },
          },
        }),
      );
      const report = await letters(stage).redrive('reply', { all: true });
      expect(report.redriven).toHaveLength(1);
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: source, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
      );
      expect(received.Messages).toHaveLength(1);
      expect(received.Messages![0]!.Body).toBe('{"type":"ASYNC_RESP"}');
      expect(received.Messages![0]!.MessageId).toBe(report.redriven[0]!.newMessageId);
      expect(Object.keys(received.Messages![0]!.MessageAttributes ?? {})).toEqual(['trace-id']);
      expect(await letters(stage).list('reply')).toEqual([]);
    });

    it('a message whose send back fails stays in its DLQ (deleted only after the send)', async () => {
      const stage = { env: 'local', owner: 'dlq-nosource' };
      const names = resourceNames(stage);
      const dlq = await queue(names.commandDlq); // and no command queue to send it back to
      const messageId = (
        await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: '{"type":"START_WORKFLOW"}' }))
      ).MessageId as string;
      const report = await letters(stage).redrive('command', { messageIds: [messageId] });
      expect(report.redriven).toEqual([]);
      expect(report.failed.map((f) => [f.queue, f.messageId])).toEqual([['command', messageId]]);
      expect(report.failed[0]!.error).toContain(names.commandQueue);
      expect((await letters(stage).list('command')).map((m) => m.messageId)).toEqual([messageId]);
    });

    it('lists every DLQ of the stage (capability domains found by name), up to --limit, and redrives only the ids chosen', async () => {
      const stage = { env: 'local', owner: 'dlq-many' };
      const names = resourceNames(stage);
      await queue(names.commandDlq);
      await queue(names.replyDlq);
      const importSource = await queue(names.capabilityRequestQueue('import'));
      const importDlq = await queue(names.capabilityRequestDlq('import'));
      const ids: string[] = [];
      for (let i = 0; i < 13; i++) {
        const sent = await sqs.send(
          new SendMessageCommand({
            QueueUrl: importDlq,
            MessageBody: JSON.stringify({ type: 'ASYNC_REQ', request_id: `r-${i}` }),
          }),
        );
        ids.push(sent.MessageId as string);
      }
      const all = await letters(stage).list();
      expect(all.map((m) => m.queue)).toEqual(Array(13).fill('import'));
      expect(new Set(all.map((m) => m.messageId))).toEqual(new Set(ids));
      expect(all.every((m) => m.reason === null)).toBe(true);
      expect(await letters(stage).list(undefined, { limit: 5 })).toHaveLength(5);

      const chosen = [ids[3]!, ids[11]!];
      const report = await letters(stage).redrive('import', { messageIds: chosen });
      expect(report.redriven.map((r) => r.messageId).sort()).toEqual([...chosen].sort());
      expect(report.notFound).toEqual([]);
      const left = await letters(stage).list('import');
      expect(new Set(left.map((m) => m.messageId))).toEqual(
        new Set(ids.filter((id) => !chosen.includes(id))),
      );
      const moved = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: importSource, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      expect(
        moved.Messages?.map((m) => (JSON.parse(m.Body!) as { request_id: string }).request_id).sort(),
      ).toEqual(['r-11', 'r-3']);
    });
  });
});
