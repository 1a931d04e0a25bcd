import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { describeCommand } from '../../orchestrator/src/cli/describe-command';
import { listCommand } from '../../orchestrator/src/cli/list-command';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import type { InstanceDescription } from '../../orchestrator/src/operations/describe-instance';
import type { InstancePage } from '../../orchestrator/src/operations/list-instances';
import { startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

let t: TestStack;
let target: () => OperatorTarget;
const INSTANCE = 'fanout-half-way';

beforeAll(async () => {
  // B2 and B3 never reply: the fan-out stays open with B1 done and two branches waiting.
  t = await startTestStack({
    scenarios: { 'duty#valuation': { reply: false }, 'licence#check': { reply: false } },
  });
  target = () => ({ stage: t.stack.resources.stage, clients: t.stack.aws.clientConfig });
  await t.upload('fanout_a_b_c_v1');
  await t.start('fanout_a_b_c_v1', INSTANCE);
  await t.waitFor(
    INSTANCE,
    (r) => r.waits.length === 2 && r.history.some((h) => h.node === 'Task_B1' && h.status === 'SUCCEEDED'),
  );
});

afterAll(async () => {
  await t?.stop();
});

describe('wf describe on a running fan-out (embedded stack)', () => {
  it('colours each node by what happened to it, in the JSON and in the Mermaid graph', async () => {
    const io = recordingIo(__dirname);
    expect(await describeCommand([INSTANCE, '--json'], io, { target })).toBe(0);
    const d = JSON.parse(io.stdout()) as InstanceDescription;
    expect(d.status).toBe('WAITING');
    expect(d.nodes).toEqual({
      Task_A: 'done',
      Fan_Out: 'done',
      Task_B1: 'done',
      Task_B2: 'waiting',
      Task_B3: 'waiting',
      Task_C: 'not_reached',
      Done: 'not_reached',
      Failed: 'not_reached',
      Timed_Out: 'not_reached',
    });
    const graph = (d.graph ?? '').split('\n');
    expect(graph[0]).toBe('flowchart TD');
    expect(graph).toEqual(
      expect.arrayContaining([
        '  n_Fan_Out == branch ==> n_Task_B2',
        '  class n_Task_A,n_Fan_Out,n_Task_B1 done',
        '  class n_Task_B2,n_Task_B3 waiting',
        '  class n_Task_C,n_Done,n_Failed,n_Timed_Out notReached',
      ]),
    );
    // The default colouring of `wf graph` (failure ends in red) gives way to what happened.
    expect(graph).not.toContain('  class n_Failed,n_Timed_Out failed');
    expect(d.waits.map((w) => w.node).sort()).toEqual(['Task_B2', 'Task_B3']);
    for (const wait of d.waits) {
      expect(wait.overdue).toBe(false);
      expect(wait.time_left_ms).toBeGreaterThan(14 * 60_000);
      expect(wait.time_left_ms).toBeLessThanOrEqual(15 * 60_000);
    }
    expect(d.history.map((h) => h.node)).toEqual(['Task_A', 'Fan_Out', 'Task_B1']);
    expect(d.error).toBeNull();
    expect(d.last_failed_step).toBeNull();
    expect(d.graph_error).toBeNull();
  });

  it('prints the same for people: waits with time left, the timeline, the graph', async () => {
    const io = recordingIo(__dirname);
    expect(await describeCommand([INSTANCE], io, { target })).toBe(0);
    const text = io.stdout();
    expect(text).toContain(`${INSTANCE}  fanout_a_b_c_v1  WAITING`);
    expect(text).toMatch(/Task_B2 on duty#valuation since \S+: 1[45]m\d+s left/);
    expect(text).toMatch(/timeline \(3 steps\):\n {6}\+0\.\d{3}s {2}Task_A {3}SUCCEEDED {2}\d+ ms\n/);
    expect(text).toContain('  Task_C: not_reached');
    expect(text).toContain('class n_Task_B2,n_Task_B3 waiting');
  });

  it('exits 1 with a message for an unknown instance', async () => {
    const io = recordingIo(__dirname);
    expect(await describeCommand(['no-such-instance'], io, { target })).toBe(1);
    expect(io.stderr()).toContain('no instance no-such-instance in cch-local-dev-workflow-state-table');
  });
});

describe('wf list on the embedded stack', () => {
  it('finds the running instance by status and workflow, as a table and as JSON', async () => {
    const json = recordingIo(__dirname);
    expect(
      await listCommand(['--status', 'waiting', '--workflow', 'fanout_a_b_c_v1', '--json'], json, { target }),
    ).toBe(0);
    const page = JSON.parse(json.stdout()) as InstancePage;
    expect(page.next).toBeNull();
    expect(page.instances).toEqual([
      expect.objectContaining({
        instance_id: INSTANCE,
        workflow_id: 'fanout_a_b_c_v1',
        status: 'WAITING',
        stuck: [],
      }),
    ]);
    const table = recordingIo(__dirname);
    expect(await listCommand(['--since', '1h'], table, { target })).toBe(0);
    const lines = table.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^INSTANCE +WORKFLOW +STATUS +STARTED +UPDATED +DETAIL$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${INSTANCE} +fanout_a_b_c_v1 +WAITING .*waits on Task_B2 \\(1[45]m\\d+s left\\), Task_B3`),
    );
    const none = recordingIo(__dirname);
    expect(await listCommand(['--status', 'FAILED'], none, { target })).toBe(0);
    expect(none.stdout()).toBe('no instances matching the filters in cch-local-dev-workflow-state-table\n');
  });

  it('--stuck: a healthy wait is not stuck now, and is once its deadline is long past', async () => {
    const now = recordingIo(__dirname);
    expect(
      await listCommand(['--stuck', '--json'], now, { target, deadLettered: () => Promise.resolve([]) }),
    ).toBe(0);
    expect((JSON.parse(now.stdout()) as InstancePage).instances).toEqual([]);
    const later = recordingIo(__dirname);
    const inAnHour = () => new Date(Date.now() + 60 * 60_000);
    expect(
      await listCommand(['--stuck', '--json'], later, {
        target,
        now: inAnHour,
        deadLettered: () => Promise.resolve([]),
      }),
    ).toBe(0);
    const stuck = (JSON.parse(later.stdout()) as InstancePage).instances;
    expect(stuck.map((r) => [r.instance_id, r.stuck.map((s) => `${s.reason} ${s.node}`)])).toEqual([
      [INSTANCE, ['WAIT_OVERDUE Task_B2', 'WAIT_OVERDUE Task_B3']],
    ]);
  });

  it('--stuck reads the DLQs of the stack itself: a START that never became an instance is listed', async () => {
    const empty = recordingIo(__dirname);
    expect(await listCommand(['--stuck'], empty, { target })).toBe(0);
    expect(empty.stderr()).toBe('');
    expect(empty.stdout()).toBe('no stuck instances in cch-local-dev-workflow-state-table\n');
    // A START for a workflow with no definition is dead-lettered at once, with its reason.
    await t.start('no_such_workflow_v1', 'never-started');
    const dlq = t.stack.resources.commandQueue.dlqUrl;
    for (let i = 0; (await t.approximateMessages(dlq)) === 0; i++) {
      if (i > 100) throw new Error('the START never reached the command DLQ');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const io = recordingIo(__dirname);
    expect(await listCommand(['--stuck', '--json'], io, { target })).toBe(0);
    const rows = (JSON.parse(io.stdout()) as InstancePage).instances;
    expect(rows).toEqual([
      expect.objectContaining({
        instance_id: 'never-started',
        workflow_id: 'no_such_workflow_v1',
        status: null,
        stuck: [
          expect.objectContaining({
            reason: 'DEAD_LETTERED',
            queue: 'command',
            message_type: 'START_WORKFLOW',
            dead_letter_reason: expect.stringContaining('unknown workflow') as unknown,
          }),
        ],
      }),
    ]);
    // The DLQ is left as it was (listing consumes nothing).
    expect(await t.approximateMessages(dlq)).toBe(1);
  });
});
