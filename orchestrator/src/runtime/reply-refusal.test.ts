import { RequestIds, type ReplyKeys } from '../graph/request-ids';
import type { AsyncResponse } from './messages';
import { WorkflowSimulation, type SimulationOptions } from './memory/workflow-simulation';
import { simulatedRequestId } from './memory/simulation-request-ids';
import type { RecordingLogger } from './memory/recording-ports';
import { startExample } from './testing/example-workflows';

/**
 * Issue 15, on the in-memory orchestrator: a reply is applied only when its request id is one this
 * deployment issued for its instance (and, where senders are configured, when its domain's team sent it).
 * Anything else is refused at once: dead-lettered on its first receive with the reason, counted, logged.
 * The same cases run on the embedded stack in tests/e2e/reply-security.e2e.test.ts.
 */

const ENRICH = 'Prepare_Import_Enrichment';
const TEAM = 'AROAIMPORTTEAM';

function reply(instanceId: string, requestId: string, uri = 's3://genuine'): AsyncResponse {
  return {
    type: 'ASYNC_RESP',
    instance_id: instanceId,
    request_id: requestId,
    status: 'SUCCESS',
    outputs: { import_enrichment_uri: uri },
  };
}

/** The import example started as `instanceId` and waiting on its enrichment request. */
async function waiting(options: SimulationOptions = {}, instanceId = 'inst-1') {
  const sim = new WorkflowSimulation({ mocks: false, ...options });
  startExample(sim, 'import_vn_memphis_v1', instanceId);
  await sim.drain();
  expect((await sim.instances.get(instanceId))?.status).toBe('WAITING');
  return sim;
}

const refusedLines = (sim: WorkflowSimulation) =>
  (sim.logger as RecordingLogger).lines.filter((l) => l.message === 'reply refused');

describe('replies that this deployment did not ask for are refused at once', () => {
  it.each([
    ['a guessed id in the old <instance>:<node>:<visit> form', `inst-1:${ENRICH}:1`, 'REQUEST_ID_MALFORMED'],
    ['a guessed tag', `inst-1:${ENRICH}:1:${'A'.repeat(22)}`, 'REQUEST_ID_FORGED'],
    [
      "another deployment's id (another key)",
      new RequestIds({ current: 'another-deployment-key-0123456789abcdef' }).issue('inst-1', ENRICH, 1),
      'REQUEST_ID_FORGED',
    ],
    ['a real id of another instance', simulatedRequestId('inst-2', ENRICH, 1), 'REQUEST_ID_OTHER_INSTANCE'],
  ])('%s: dead-lettered on its first receive with the reason, not applied', async (_label, id, code) => {
    const sim = await waiting();
    sim.send(reply('inst-1', id, 's3://forged'));
    await sim.drain();
    expect(sim.deadLetters).toHaveLength(1);
    expect(sim.deadLetters[0]?.delivery.receives).toBe(1);
    expect(sim.deadLetters[0]?.reason).toContain(`reply refused (${code})`);
    expect(sim.metrics.total('RepliesRefused')).toBe(1);
    expect(refusedLines(sim).map((l) => [l.level, l.fields.refusal])).toEqual([['warn', code]]);
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('WAITING');
    expect(record?.context.import_enrichment_uri).toBeUndefined();

    // The genuine reply still completes the instance.
    sim.send(reply('inst-1', sim.dispatcher.sent[0]?.request_id ?? ''));
    await sim.drain();
    const done = await sim.instances.get('inst-1');
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.context.import_enrichment_uri).toBe('s3://genuine');
  });

  it('a forged reply for an instance that does not exist is refused too, without waiting for it', async () => {
    const sim = new WorkflowSimulation({ mocks: false });
    sim.send(reply('nobody', `nobody:${ENRICH}:1`));
    await sim.drain();
    expect(sim.deadLetters.map((d) => [d.delivery.receives, d.reason.slice(0, 37)])).toEqual([
      [1, 'reply refused (REQUEST_ID_MALFORMED):'],
    ]);
  });

  it('the same request sent twice carries the same id: its duplicate reply is acknowledged, not refused', async () => {
    const sim = await waiting();
    const id = sim.dispatcher.sent[0]?.request_id ?? '';
    expect(id).toBe(simulatedRequestId('inst-1', ENRICH, 1));
    sim.send(reply('inst-1', id));
    sim.send(reply('inst-1', id, 's3://replayed'));
    await sim.drain();
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.context.import_enrichment_uri).toBe('s3://genuine');
    expect(sim.metrics.total('DuplicateReplies')).toBe(1);
    expect(sim.deadLetters).toEqual([]);
  });
});

describe('replies from a principal that is not the capability team are refused', () => {
  const senders = { replySenders: { byDomain: { import: [TEAM] } }, mockSenderId: `${TEAM}:session` };

  it('a genuine id sent by another principal is refused; the team still completes the instance', async () => {
    const sim = await waiting(senders);
    const id = sim.dispatcher.sent[0]?.request_id ?? '';
    sim.send(reply('inst-1', id, 's3://intruder'), 0, 'AROAOTHERTEAM:lambda');
    sim.send(reply('inst-1', id, 's3://anonymous'));
    await sim.drain();
    expect(sim.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^reply refused \(REPLY_WRONG_SENDER\): sent by AROAOTHERTEAM, which is not/),
      expect.stringMatching(/^reply refused \(REPLY_WRONG_SENDER\): the transport did not say who sent/),
    ]);
    expect((await sim.instances.get('inst-1'))?.status).toBe('WAITING');
    sim.send(reply('inst-1', id), 0, `${TEAM}:lambda`);
    await sim.drain();
    expect((await sim.instances.get('inst-1'))?.status).toBe('SUCCEEDED');
    expect(sim.metrics.total('RepliesRefused')).toBe(2);
  });

  it('a replay after the instance ended: from the team, a duplicate (acknowledged); from anyone else, refused', async () => {
    const sim = new WorkflowSimulation(senders);
    startExample(sim, 'import_vn_memphis_v1');
    await sim.drain();
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('SUCCEEDED');
    const id = sim.dispatcher.sent[0]?.request_id ?? '';
    sim.send(reply('inst-1', id, 's3://replay'), 0, `${TEAM}:replayer`);
    sim.send(reply('inst-1', id, 's3://replay'), 0, 'AROAOTHERTEAM:replayer');
    await sim.drain();
    expect(sim.metrics.total('DuplicateReplies')).toBe(1);
    expect(sim.deadLetters.map((d) => d.reason.slice(0, 35))).toEqual([
      'reply refused (REPLY_WRONG_SENDER):',
    ]);
    expect(await sim.instances.get('inst-1')).toEqual(record);
  });
});

describe('key rotation while instances wait', () => {
  it('a request tagged under the old key is answered after the swap; new requests use the new key', async () => {
    const OLD = 'rotation-test-old-key-0123456789abcdef';
    const NEW = 'rotation-test-new-key-0123456789abcdef';
    let ring: ReplyKeys = { current: OLD };
    const sim = await waiting({ requestIds: new RequestIds({ keys: () => ring }) });
    const oldId = sim.dispatcher.sent[0]?.request_id ?? '';
    // Step 1: the new key verifies only. Step 2: it issues, the old one verifies only.
    ring = { current: OLD, previous: NEW };
    ring = { current: NEW, previous: OLD };
    startExample(sim, 'import_vn_memphis_v1', 'inst-2');
    await sim.drain();
    const newId = sim.dispatcher.sent[1]?.request_id ?? '';
    expect(newId).toBe(new RequestIds({ current: NEW }).issue('inst-2', ENRICH, 1));
    sim.send(reply('inst-1', oldId));
    sim.send(reply('inst-2', newId));
    await sim.drain();
    expect((await sim.instances.get('inst-1'))?.status).toBe('SUCCEEDED');
    expect((await sim.instances.get('inst-2'))?.status).toBe('SUCCEEDED');
    // Step 3, once no request tagged under the old key can be answered: the old key is dropped.
    ring = { current: NEW };
    sim.send(reply('inst-1', oldId));
    await sim.drain();
    expect(sim.deadLetters.map((d) => d.reason.slice(0, 34))).toEqual(['reply refused (REQUEST_ID_FORGED):']);
  });
});
