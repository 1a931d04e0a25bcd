import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { ORIGINAL_SENDER_ATTRIBUTE } from '../../orchestrator/src/aws/sqs-batch-processor';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../../orchestrator/src/aws/sqs-dead-letter';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import { RequestIds, type ReplyKeys } from '../../orchestrator/src/graph/request-ids';
import { LOCAL_PRINCIPALS, sendAs } from '../../scripts/local-aws/local-principals';
import {
  createOrchestratorPollers,
  type OrchestratorPollers,
} from '../../scripts/local-aws/orchestrator-pollers';
import { fileLogSink } from '../../scripts/local-aws/log-sink';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(120_000);

/**
 * Issue 15 on the embedded stack, through real queues: a reply is applied only if its request id is one
 * this deployment issued for its instance and its domain's principal sent it; anything else is refused at
 * once (reply DLQ, with the reason and the sender), counted and logged, and leaves the instance as it was.
 * Principals are simulated by the local transport (scripts/local-aws/local-principals.ts). Also: a key
 * rotation while an instance waits, and the log of the whole stack with secrets in every context.
 */

const WAITING = `
workflow_name: waits for one reply
workflow_id: sec_wait_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'secwait#op'
    request_output_keys: [answer]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [answer] }
`;
const EXAMPLES = ['import_vn_memphis_v1', 'fanout_a_b_c_v1', 'export_screening_v1'];

/** A secret value: its text never appears in any log line. */
const secrets: string[] = [];
const secret = (where: string) => {
  const value = `SECRET-${where}-${secrets.length}-${Math.random().toString(36).slice(2)}`;
  secrets.push(value);
  return value;
};
const exampleText = (id: string) =>
  readFileSync(join(REPO_ROOT, 'workflow-definitions', `${id}.yaml`), 'utf8');

/** Every capability of the examples answers with secret outputs; `secwait#op` never answers by itself. */
function scenarios(): CapabilityMocks {
  const mocks: CapabilityMocks = { 'secwait#op': { reply: false } };
  for (const id of EXAMPLES) {
    for (const node of Object.values(validateDefinition(id, exampleText(id)).definition?.nodes ?? {})) {
      if (node.type !== 'async_request') continue;
      mocks[node.capability_id] = {
        outputs: Object.fromEntries((node.request_output_keys ?? []).map((k) => [k, secret(`out-${k}`)])),
      };
    }
  }
  return mocks;
}

let t: TestStack;
let intruder: SQSClient;
let anonymous: SQSClient;

beforeAll(async () => {
  t = await startTestStack({ scenarios: scenarios(), notReadyRetrySeconds: 1 });
  await t.stack.addCapabilityDomains(['secwait']);
  await t.upload('sec_wait_v1', WAITING);
  intruder = sendAs(new SQSClient(t.stack.aws.clientConfig.sqs), 'AROAINTRUDER', 'other-team');
  // Stamps nothing: local-aws-sqs reports its own SenderId, a principal no domain has.
  anonymous = new SQSClient(t.stack.aws.clientConfig.sqs);
});
afterAll(async () => {
  intruder?.destroy();
  anonymous?.destroy();
  await t?.stop();
});

const reply = (instanceId: string, requestId: string, answer = 'genuine') => ({
  type: 'ASYNC_RESP',
  instance_id: instanceId,
  request_id: requestId,
  status: 'SUCCESS',
  outputs: { answer },
});

async function sendWith(client: SQSClient, body: unknown): Promise<void> {
  await client.send(
    new SendMessageCommand({ QueueUrl: t.stack.resources.replyQueue.url, MessageBody: JSON.stringify(body) }),
  );
}

async function waiting(instanceId: string): Promise<string> {
  await t.start('sec_wait_v1', instanceId, {});
  const record = await t.waitFor(instanceId, (r) => r.status === 'WAITING');
  return record.waits[0]?.request_id ?? '';
}

/** What the reply DLQ received from now on, until `count` messages are there. */
async function deadLetters(count: number): Promise<{ reason: string; sender: string; body: string }[]> {
  const got = new Map<string, Message>();
  const deadline = Date.now() + 20_000;
  while (got.size < count && Date.now() < deadline) {
    const response = await t.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: t.stack.resources.replyQueue.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of response.Messages ?? []) got.set(m.MessageId ?? '', m);
    if (got.size < count) await new Promise((r) => setTimeout(r, 100));
  }
  return [...got.values()].map((m) => ({
    reason: m.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue ?? '',
    sender: m.MessageAttributes?.[ORIGINAL_SENDER_ATTRIBUTE]?.StringValue ?? '',
    body: m.Body ?? '',
  }));
}

const codeOf = (reason: string) => /^reply refused \(([A-Z_]+)\)/.exec(reason)?.[1];

describe('replies on the embedded stack', () => {
  it('refuses a guessed id, another instance’s id and a reply from the wrong principal at once; the genuine reply still works', async () => {
    const mine = await waiting('sec-1');
    const theirs = await waiting('sec-2');
    expect(mine).toBe(t.requestId('sec-1', 'Ask'));
    expect(mine).not.toBe('sec-1:Ask:1');

    await t.reply(reply('sec-1', 'sec-1:Ask:1', 'guessed'));
    await t.reply(reply('sec-1', theirs, 'misrouted'));
    await sendWith(intruder, reply('sec-1', mine, 'intruder'));
    await sendWith(anonymous, reply('sec-1', mine, 'anonymous'));

    const refused = await deadLetters(4);
    const answerOf = (body: string) => (JSON.parse(body) as { outputs: { answer: string } }).outputs.answer;
    expect(refused.map((d) => [codeOf(d.reason), answerOf(d.body)]).sort()).toEqual(
      [
        ['REQUEST_ID_MALFORMED', 'guessed'],
        ['REQUEST_ID_OTHER_INSTANCE', 'misrouted'],
        ['REPLY_WRONG_SENDER', 'intruder'],
        ['REPLY_WRONG_SENDER', 'anonymous'],
      ].sort(),
    );
    // Each says who sent it, as SQS (here the local transport) reported.
    const senders = refused.map((d) => d.sender.split(':')[0]);
    expect(senders.filter((s) => s === LOCAL_PRINCIPALS.capabilityMock)).toHaveLength(2);
    expect(senders).toContain('AROAINTRUDER');
    // Refused on their first receive, logged with the reason, counted.
    const logs = t.logs();
    const lines = logs.filter((l) => l.msg === 'reply refused' && l.instance_id === 'sec-1');
    expect(lines.map((l) => l.refusal).sort()).toEqual(
      [
        'REPLY_WRONG_SENDER',
        'REPLY_WRONG_SENDER',
        'REQUEST_ID_MALFORMED',
        'REQUEST_ID_OTHER_INSTANCE',
      ].sort(),
    );
    const dead = logs.filter((l) => l.msg === 'message dead-lettered' && l.instance_id === 'sec-1');
    expect(dead.map((l) => l.receive_count)).toEqual([1, 1, 1, 1]);
    expect(logs.filter((l) => 'RepliesRefused' in l).length).toBeGreaterThanOrEqual(4);

    // None applied: both instances wait as before.
    const before = await t.record('sec-1');
    expect(before?.status).toBe('WAITING');
    expect(before?.context.answer).toBeUndefined();
    expect((await t.record('sec-2'))?.status).toBe('WAITING');

    await t.reply(reply('sec-1', mine));
    const done = await t.waitFor('sec-1', t.ended);
    expect([done.status, done.context.answer]).toEqual(['SUCCEEDED', 'genuine']);

    // Replayed after the end: from the team, a duplicate (acknowledged, not applied); from anyone else, refused.
    await t.reply(reply('sec-1', mine, 'replayed'));
    await sendWith(intruder, reply('sec-1', mine, 'replayed by intruder'));
    const [replayRefused] = await deadLetters(1);
    expect([codeOf(replayRefused?.reason ?? ''), replayRefused?.sender.split(':')[0]]).toEqual([
      'REPLY_WRONG_SENDER',
      'AROAINTRUDER',
    ]);
    await t.waitFor('sec-1', () =>
      t.logs().some((l) => l.msg === 'duplicate reply acknowledged and ignored' && l.instance_id === 'sec-1'),
    );
    const after = await t.record('sec-1');
    expect([after?.status, after?.context.answer, after?.history]).toEqual([
      'SUCCEEDED',
      'genuine',
      done.history,
    ]);
  });

  it('a command sent to the reply queue, even by a capability team, is dead-lettered unread', async () => {
    const mine = await waiting('sec-4');
    const cancel = { type: 'CANCEL_WORKFLOW', instance_id: 'sec-4', reason: 'a team cancels' };
    const start = { type: 'START_WORKFLOW', workflow_id: 'sec_wait_v1', instance_id: 'sec-5', context: {} };
    await t.reply(cancel);
    await t.reply(start);
    const refused = await deadLetters(2);
    expect(refused.map((d) => [JSON.parse(d.body) as unknown, d.reason])).toEqual(
      expect.arrayContaining([
        [
          cancel,
          expect.stringMatching(
            /^CANCEL_WORKFLOW does not belong on .*-orchestrator-reply-queue, which carries ASYNC_RESP only/,
          ),
        ],
        [
          start,
          expect.stringMatching(
            /^START_WORKFLOW does not belong on .*-orchestrator-reply-queue, which carries ASYNC_RESP only/,
          ),
        ],
      ]),
    );
    expect((await t.record('sec-4'))?.status).toBe('WAITING');
    expect(await t.record('sec-5')).toBeUndefined();
    // The reply queue still carries the instance's own reply.
    await t.reply(reply('sec-4', mine));
    expect((await t.waitFor('sec-4', t.ended)).status).toBe('SUCCEEDED');
  });

  it('a key rotated while an instance waits does not break its open request; the old key is dropped last', async () => {
    const { resources } = t.stack;
    const oldKeys = resources.replyKeys;
    const newKey = 'rotated-reply-key-for-the-e2e-test-0123456789';
    const openId = await waiting('sec-rot-1');
    // The running orchestrator stops; "containers" with the rotated keys take over the same queues.
    const [command, replies] = t.stack.pollers;
    await Promise.all([command?.stop(), replies?.stop()]);
    const log = fileLogSink(t.stack.logFile);
    const containers: OrchestratorPollers[] = [];
    const deploy = async (replyKeys: ReplyKeys) => {
      for (const c of containers.splice(0)) {
        await Promise.all(c.pollers.map((p) => p.stop()));
        c.destroy();
      }
      const c = await createOrchestratorPollers({
        sqs: t.sqs,
        clients: t.stack.aws.clientConfig,
        resources: { ...resources, replyKeys },
        log,
        onError: () => undefined,
        notReadyRetrySeconds: 1,
      });
      for (const p of c.pollers) p.start();
      containers.push(c);
    };
    try {
      // Step 1 (new key verifies only) needs no test of its own: step 2 verifies both as well.
      await deploy({ current: newKey, previous: oldKeys.current });
      await t.reply(reply('sec-rot-1', openId, 'answered after the rotation'));
      expect((await t.waitFor('sec-rot-1', t.ended)).status).toBe('SUCCEEDED');
      const newId = await waiting('sec-rot-2');
      expect(newId).toBe(new RequestIds({ current: newKey }).issue('sec-rot-2', 'Ask', 1));
      await t.reply(reply('sec-rot-2', newId));
      expect((await t.waitFor('sec-rot-2', t.ended)).status).toBe('SUCCEEDED');

      // Step 3: the old key dropped; a reply tagged with it no longer verifies.
      await deploy({ current: newKey });
      await t.reply(reply('sec-rot-1', openId, 'too late'));
      const [refused] = await deadLetters(1);
      expect(codeOf(refused?.reason ?? '')).toBe('REQUEST_ID_FORGED');
    } finally {
      for (const c of containers) {
        await Promise.all(c.pollers.map((p) => p.stop()));
        c.destroy();
      }
      // The stack's own orchestrator resumes for the tests after this one.
      command?.start();
      replies?.start();
    }
  });

  it('runs the examples with secrets in every context and output: no log line of the stack contains one', async () => {
    const ids: string[] = [];
    for (const id of EXAMPLES) {
      const { definition } = validateDefinition(id, exampleText(id));
      const context: Record<string, unknown> = { payment: { card: secret('card') } };
      for (const key of definition?.initial_context ?? []) context[key] = secret(key);
      await t.upload(id);
      await t.start(id, `logs-${id}`, context);
      ids.push(`logs-${id}`);
    }
    for (const id of ids) {
      const record = await t.waitFor(id, t.ended);
      // The secrets went all the way through: into the requests, back in the replies, into the context.
      const outputs = Object.keys(record.context).filter((k) =>
        String(record.context[k]).startsWith('SECRET-out-'),
      );
      expect([id, outputs.length > 0]).toEqual([id, true]);
    }
    // A START built to be slow (nested thousands deep) fails at once, with the reason and no value.
    // (Written as text: JSON.stringify itself cannot nest that deep, which is the point.)
    const deep = `${'['.repeat(5000)}"${secret('deep')}"${']'.repeat(5000)}`;
    await t.send(
      t.stack.resources.commandQueue.url,
      `{"type":"START_WORKFLOW","workflow_id":"sec_wait_v1","instance_id":"logs-deep","context":{"deep":${deep}}}`,
    );
    const refused = await t.waitFor('logs-deep', t.ended);
    expect([refused.status, refused.error?.code]).toEqual(['FAILED', 'CONTEXT_LIMITS_EXCEEDED']);

    const text = readFileSync(t.stack.logFile, 'utf8');
    expect(text.split('\n').length).toBeGreaterThan(50);
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
    // What the log says instead: keys and sizes.
    const starting = t.logs().find((l) => l.msg === 'workflow starting' && l.instance_id === ids[0]);
    expect(starting?.context).toMatchObject({
      keys: expect.arrayContaining(['payment', 'shipmentId']) as unknown,
    });
  });
});
