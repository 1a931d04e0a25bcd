import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cancelCommand } from '../../orchestrator/src/cli/cancel-command';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { redriveCommand } from '../../orchestrator/src/cli/redrive-command';
import { startCommand } from '../../orchestrator/src/cli/start-command';
import type { InstanceStatusView } from '../../orchestrator/src/runtime/instance-record';
import { startTestStack, type TestStack } from './local-stack-support';

/**
 * Issue 11: `wf start`, `wf cancel` and `wf redrive` against a running local stack (orchestrator and
 * capability mock as pollers on the real queues), as an operator would use them.
 */
jest.setTimeout(120_000);

const THREE_STEPS = `workflow_name: three steps
workflow_id: cli_three_steps_v1
entry_point: Step_A
nodes:
  Step_A:
    type: async_request
    capability_id: 'clialpha#op'
    request_output_keys: [a]
    on_response: Step_B
    timeout: 1h
  Step_B:
    type: async_request
    capability_id: 'clibeta#op'
    request_output_keys: [b]
    on_response: Step_C
    timeout: 1h
  Step_C:
    type: async_request
    capability_id: 'cligamma#op'
    request_output_keys: [c]
    on_response: Done
    timeout: 1h
  Done: { type: end }
`;

const ONE_STEP = `workflow_name: one step
workflow_id: cli_one_step_v1
entry_point: Ask
initial_context: [shipmentId]
nodes:
  Ask:
    type: async_request
    capability_id: 'clidelta#op'
    request_output_keys: [answer]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [answer] }
`;

/** Fails at its FAILED end node, reached by a choice: no step failed, so there is nothing to redrive. */
const REJECTS = `workflow_name: rejects
workflow_id: cli_rejects_v1
entry_point: Check
nodes:
  Check:
    type: choice
    choices: [{ when: '1 = 2', next: Done }]
    default: Rejected
  Done: { type: end }
  Rejected: { type: end, status: FAILED }
`;

const NEVER_REPLIES = `workflow_name: never replies
workflow_id: cli_never_replies_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'cliepsilon#op'
    request_output_keys: [answer]
    on_response: Done
    timeout: 1h
  Done: { type: end }
`;

let t: TestStack;
let dir: string;
let target: () => OperatorTarget;

beforeAll(async () => {
  t = await startTestStack({
    scenarios: {
      // Each of the two redrive tests: the failure, then the redriven request's success.
      'clibeta#op': [
        { status: 'FAILURE', error: { code: 'BETA_DOWN', message: 'beta is down' } },
        { outputs: { b: 'beta is back' } },
        { status: 'FAILURE', error: { code: 'BETA_DOWN', message: 'beta is down' } },
        { outputs: { b: 'beta is back' } },
      ],
      'cliepsilon#op': { reply: false },
    },
  });
  await t.stack.addCapabilityDomains(['clialpha', 'clibeta', 'cligamma', 'clidelta', 'cliepsilon']);
  dir = mkdtempSync(join(tmpdir(), 'cch-wf-commands-'));
  // Each file is named after its workflow_id, as the bucket's default definition key is.
  for (const text of [THREE_STEPS, ONE_STEP, NEVER_REPLIES, REJECTS]) {
    writeFileSync(join(dir, `${/workflow_id: (\S+)/.exec(text)?.[1] ?? 'missing'}.yaml`), text);
  }
  target = () => ({ stage: t.stack.resources.stage, clients: t.stack.aws.clientConfig });
});

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = async (
  command: typeof cancelCommand | typeof redriveCommand | 'start',
  args: readonly string[],
) => {
  const io = recordingIo(dir);
  const code =
    command === 'start' ? await startCommand(args, io, {}, target) : await command(args, io, target);
  return { code, out: io.stdout(), err: io.stderr() };
};

/** Request ids the capability mock answered (its 'mock capability replied' lines), for one capability. */
const answered = (capabilityId: string) =>
  t
    .logs()
    .filter((l) => l.msg === 'mock capability replied' && l.capability_id === capabilityId)
    .map((l) => l.request_id as string);

describe('wf start', () => {
  it('uploads a definition file, starts it, prints the instance id and with --wait --json its final record', async () => {
    const { code, out, err } = await run('start', [
      'cli_one_step_v1.yaml',
      '--context',
      '{"shipmentId":"SHP-9"}',
      '--instance-id',
      'cli-one-1',
      '--wait',
      '--json',
    ]);
    expect([code, err]).toEqual([0, '']);
    const view = JSON.parse(out) as InstanceStatusView;
    expect(view).toMatchObject({
      instance_id: 'cli-one-1',
      workflow_id: 'cli_one_step_v1',
      status: 'SUCCEEDED',
    });
    expect(view.definition.key).toBe('cli_one_step_v1.yaml');
  });

  it('a START for an existing id with another context is refused as a conflict; the same START sends nothing', async () => {
    const conflicting = await run('start', [
      'cli_one_step_v1.yaml',
      '--context',
      '{"shipmentId":"SHP-10"}',
      '--instance-id',
      'cli-one-1',
    ]);
    expect(conflicting.code).toBe(1);
    expect(conflicting.err).toContain(
      'instance cli-one-1 exists with another context (workflow cli_one_step_v1, definition cli_one_step_v1.yaml, SUCCEEDED): not started (conflict)',
    );
    const same = await run('start', [
      'cli_one_step_v1.yaml',
      '--context',
      '{"shipmentId":"SHP-9"}',
      '--instance-id',
      'cli-one-1',
    ]);
    expect(same.code).toBe(0);
    expect(same.out).toBe('cli-one-1\n');
    expect(same.err).toContain('exists already (SUCCEEDED): the same START, nothing sent');
  });

  it('a workflow_id already in the bucket starts without a file; a missing initial_context key is refused before sending', async () => {
    const byId = await run('start', ['cli_one_step_v1', '--context', '{"shipmentId":"SHP-11"}', '--wait']);
    expect(byId.code).toBe(0);
    const [instanceId] = byId.out.split('\n');
    expect(byId.out.trim().split('\n').at(-1)).toBe('SUCCEEDED');
    expect((await t.record(instanceId ?? ''))?.status).toBe('SUCCEEDED');

    const missing = await run('start', ['cli_one_step_v1.yaml', '--instance-id', 'cli-missing']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--context lacks shipmentId');
    expect(await t.record('cli-missing')).toBeUndefined();

    const unknown = await run('start', ['no_such_workflow_v9']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no definition no_such_workflow_v9.yaml');
  });

  it('a file not named after its workflow_id starts, under its file name, with a warning saying what will not find it', async () => {
    writeFileSync(join(dir, 'renamed.yaml'), REJECTS.replace('cli_rejects_v1', 'cli_renamed_v1'));
    const started = await run('start', ['renamed.yaml', '--instance-id', 'cli-renamed-1', '--wait']);
    expect(started.code).toBe(1);
    expect(started.err).toContain(
      "renamed.yaml:2:14: warning: workflow_id: workflow_id 'cli_renamed_v1' is not the file's name (renamed.yaml)",
    );
    const record = await t.record('cli-renamed-1');
    expect([record?.definition.key, record?.error?.node]).toEqual(['renamed.yaml', 'Rejected']);
  });
});

describe('wf start of a definition whose children sit beside it', () => {
  const PARENT = `workflow_name: parent
workflow_id: cli_parent_v1
entry_point: Child
nodes:
  Child:
    type: sub_workflow
    workflow_id: cli_child_v1
    result: { answer: answer }
    next: Done
  Done: { type: end, output_keys: [answer] }
`;
  const CHILD = `workflow_name: child
workflow_id: cli_child_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'clidelta#op'
    request_output_keys: [answer]
    on_response: Done
  Done: { type: end, output_keys: [answer] }
`;

  it('uploads the children first, so the child starts from the file beside the parent', async () => {
    const family = mkdtempSync(join(dir, 'family-'));
    writeFileSync(join(family, 'cli_parent_v1.yaml'), PARENT);
    writeFileSync(join(family, 'cli_child_v1.yaml'), CHILD);
    const { code, out, err } = await run('start', [
      join(family, 'cli_parent_v1.yaml'),
      '--instance-id',
      'cli-parent-1',
      '--wait',
      '--json',
    ]);
    expect(err).toBe('definition cli_child_v1.yaml uploaded (started by cli_parent_v1.yaml)\n');
    expect(code).toBe(0);
    const view = JSON.parse(out) as InstanceStatusView;
    expect(view.status).toBe('SUCCEEDED');
    expect(view.context.answer).toBeDefined();
  });

  it('refuses, uploading and sending nothing, when a child beside it is invalid', async () => {
    const family = mkdtempSync(join(dir, 'broken-family-'));
    writeFileSync(join(family, 'cli_parent_v1.yaml'), PARENT);
    writeFileSync(join(family, 'cli_child_v1.yaml'), CHILD.replace('on_response: Done', 'on_response: Gone'));
    const { code, err } = await run('start', [
      join(family, 'cli_parent_v1.yaml'),
      '--instance-id',
      'cli-parent-2',
    ]);
    expect(code).toBe(1);
    // The child's error is under its path as the user would name it: the parent's folder, as given.
    const child = join(family, 'cli_child_v1.yaml');
    const errors = err
      .split('\n')
      .filter((line) => line.startsWith(`${child}:`) && line.includes(' error: '));
    expect(errors).toEqual([expect.stringMatching(/^[^ ]+:\d+:\d+: error: .*Gone/)]);
    expect(err).toContain('a definition this one starts is invalid: nothing uploaded, nothing sent');
    expect(await t.record('cli-parent-2')).toBeUndefined();
  });
});

describe('wf redrive', () => {
  it('a FAILED instance (its middle step replied FAILURE) redriven to SUCCEEDED: the first capability gets no second request', async () => {
    const failed = await run('start', ['cli_three_steps_v1.yaml', '--instance-id', 'cli-three-1', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('FAILED: BETA_DOWN: beta is down');

    const redriven = await run(redriveCommand, [
      'cli-three-1',
      '--reason',
      'beta fixed',
      '--by',
      'oncall',
      '--wait',
    ]);
    expect([redriven.code, redriven.err]).toEqual([0, '']);
    expect(redriven.out).toMatch(/^redrive [0-9a-f-]+ of cli-three-1 sent \(from step Step_B\)\n/);
    expect(redriven.out).toContain('REDRIVEN   Step_B by oncall');
    expect(redriven.out.trim().split('\n').at(-1)).toBe('SUCCEEDED');

    const id = (node: string, visit = 1) => t.requestId('cli-three-1', node, visit);
    expect(answered('clialpha#op')).toEqual([id('Step_A')]);
    expect(answered('clibeta#op')).toEqual([id('Step_B'), id('Step_B', 2)]);
    expect(answered('cligamma#op')).toEqual([id('Step_C')]);
    const record = await t.record('cli-three-1');
    expect(record?.history.map((h) => `${h.node} ${h.status}`)).toEqual([
      'Step_A SUCCEEDED',
      'Step_B FAILED',
      'Step_B REDRIVEN',
      'Step_B SUCCEEDED',
      'Step_C SUCCEEDED',
      'Done SUCCEEDED',
    ]);
  });

  it('--json without --wait prints what was sent, one JSON object, and the redrive is applied', async () => {
    const failed = await run('start', ['cli_three_steps_v1.yaml', '--instance-id', 'cli-three-2', '--wait']);
    expect(failed.code).toBe(1);
    const sent = await run(redriveCommand, ['cli-three-2', '--json']);
    expect([sent.code, sent.err]).toEqual([0, '']);
    const printed = JSON.parse(sent.out) as { instance_id: string; redrive_id: string; from_step: string };
    expect([printed.instance_id, printed.from_step]).toEqual(['cli-three-2', 'Step_B']);
    expect(Object.keys(printed).sort()).toEqual(['from_step', 'instance_id', 'redrive_id']);
    const deadline = Date.now() + 30_000;
    let record = await t.record('cli-three-2');
    while (!record?.redrives?.some((r) => r.id === printed.redrive_id) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await t.record('cli-three-2');
    }
    expect(record?.redrives?.map((r) => r.id)).toEqual([printed.redrive_id]);
  });

  it('a redrive of an instance that is not FAILED is refused, nothing sent', async () => {
    const refused = await run(redriveCommand, ['cli-one-1']);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      'wf redrive: instance cli-one-1 cannot be redriven: the instance is SUCCEEDED; only a FAILED instance can be redriven; nothing sent\n',
    );
  });

  it('a redrive of an instance that ended at a FAILED end node is refused before anything is sent', async () => {
    const failed = await run('start', ['cli_rejects_v1.yaml', '--instance-id', 'cli-rejects-1', '--wait']);
    expect(failed.code).toBe(1);
    const before = await t.record('cli-rejects-1');
    expect(before?.error?.node).toBe('Rejected');

    const refused = await run(redriveCommand, ['cli-rejects-1', '--wait', '--timeout', '5']);
    expect([refused.code, refused.out]).toEqual([1, '']);
    expect(refused.err).toBe(
      "wf redrive: instance cli-rejects-1 cannot be redriven: it ended at its end node 'Rejected': no step failed; nothing sent\n",
    );
    // Nothing reached the orchestrator: it would have logged its own refusal.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(t.logs().filter((l) => String(l.msg).startsWith('REDRIVE_WORKFLOW'))).toEqual([]);
    expect(await t.record('cli-rejects-1')).toEqual(before);
  });
});

describe('wf cancel', () => {
  it('cancels a waiting instance, and the capability it waited on receives the cancel notice', async () => {
    const started = await run('start', ['cli_never_replies_v1.yaml', '--instance-id', 'cli-cancel-1']);
    expect(started.code).toBe(0);
    await t.waitFor('cli-cancel-1', (r) => r.status === 'WAITING');

    const cancelled = await run(cancelCommand, ['cli-cancel-1', '--reason', 'no longer needed', '--wait']);
    expect([cancelled.code, cancelled.out]).toEqual([0, 'cancel of cli-cancel-1 sent\nCANCELLED\n']);
    const record = await t.record('cli-cancel-1');
    expect(record?.error).toEqual({ code: 'CANCELLED', message: 'no longer needed' });

    // The mock consumes the notice from its request queue and logs it.
    const deadline = Date.now() + 20_000;
    let notice: Record<string, unknown> | undefined;
    while (!notice && Date.now() < deadline) {
      notice = t
        .logs()
        .find(
          (l) =>
            l.msg === 'mock capability: request cancelled (nothing to stop)' &&
            l.request_id === t.requestId('cli-cancel-1', 'Ask'),
        );
      if (!notice) await new Promise((r) => setTimeout(r, 200));
    }
    expect(notice).toMatchObject({ capability_id: 'cliepsilon#op', reason: 'no longer needed' });

    const again = await run(cancelCommand, ['cli-cancel-1']);
    expect(again.code).toBe(0);
    expect(again.err).toContain('has already ended CANCELLED: nothing sent');
  });
});
