import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import type { InstancePage } from '../operations/list-instances';
import { recordingIo } from './cli-test-io';
import { listCommand } from './list-command';
import { runCli } from './main';
import { operatorTarget } from './operator-target';

describe('wf list and wf describe: arguments', () => {
  it.each([
    [
      ['list', '--status', 'DONE'],
      /--status DONE: not one of RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED/,
    ],
    [['list', '--limit', '0'], /--limit 0: a whole number from 1 to 1000/],
    [['list', '--limit', '1001'], /--limit 1001/],
    [['list', '--since', 'yesterday'], /--since yesterday: not a duration/],
    [['list', '--changed-since', 'lately'], /--changed-since lately: not a duration/],
    [['list', '--stuck-after', '5m'], /--stuck-after goes with --stuck/],
    [['list', '--stuck', '--stuck-after', 'soon'], /--stuck-after soon: not a duration/],
    [['list', 'extra'], /too many arguments for 'list'/],
    [['list', '--colour'], /unknown option '--colour'/],
    [['describe'], /missing required argument 'instance_id'/],
    [['describe', 'a', 'b'], /too many arguments for 'describe'/],
  ])('wf %j is a usage error (exit 2) that names the problem', async (argv, message) => {
    const io = recordingIo(__dirname);
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stderr()).toMatch(message);
    expect(io.stderr()).toContain(`usage: wf ${argv[0]}`);
  });

  it.each(['list', 'describe'])('wf %s --help prints the options and examples (exit 0)', async (command) => {
    const io = recordingIo(__dirname);
    expect(await runCli([command, '--help'], io)).toBe(0);
    expect(io.stdout()).toContain(`usage: wf ${command}`);
    expect(io.stdout()).toContain('examples:');
  });

  it('lists both commands in the overall help', async () => {
    const io = recordingIo(__dirname);
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout()).toContain('usage: wf list');
    expect(io.stdout()).toContain('usage: wf describe');
  });
});

describe('operatorTarget', () => {
  it('reads the deployment named by CCH_ENV/CCH_OWNER, with the SDK chain for the rest', () => {
    expect(operatorTarget(false, { CCH_ENV: 'dev', CCH_OWNER: 'alice' })).toEqual({
      stage: { env: 'dev', owner: 'alice' },
      clients: { dynamodb: {}, sqs: {}, s3: {}, sfn: {} },
    });
  });

  it('reads Step Functions executions on AWS unless CCH_STEP_FUNCTIONS=off, locally only on CCH_LOCAL_SFN_PORT', () => {
    const aws = { CCH_ENV: 'dev', CCH_OWNER: 'alice' };
    expect(operatorTarget(false, { ...aws, CCH_STEP_FUNCTIONS: 'off' }).clients.sfn).toBeUndefined();
    expect(operatorTarget(true, aws).clients.sfn).toBeUndefined();
    expect(operatorTarget(true, { ...aws, CCH_LOCAL_SFN_PORT: '8083' }).clients.sfn?.endpoint).toBe(
      'http://127.0.0.1:8083',
    );
    expect(() => operatorTarget(true, { CCH_LOCAL_SFN_PORT: 'x' })).toThrow(
      'CCH_LOCAL_SFN_PORT=x is not a port (1-65535)',
    );
  });

  it('--local (or no stage) reaches pnpm local on the CCH_LOCAL_*_PORT ports', () => {
    const target = operatorTarget(true, {
      CCH_ENV: 'dev',
      CCH_OWNER: 'alice',
      CCH_LOCAL_DYNAMODB_PORT: '14567',
      CCH_LOCAL_S3_PORT: '14569',
    });
    expect(target.stage).toEqual({ env: 'local', owner: 'alice' });
    expect(target.clients.dynamodb.endpoint).toBe('http://127.0.0.1:14567');
    expect(target.clients.sqs.endpoint).toBe('http://127.0.0.1:9324');
    expect(target.clients.s3.endpoint).toBe('http://127.0.0.1:14569');
    expect(operatorTarget(false, {}).stage).toEqual({ env: 'local', owner: 'dev' });
  });

  it('refuses a port that is set but malformed', () => {
    expect(() => operatorTarget(true, { CCH_LOCAL_SQS_PORT: '93x4' })).toThrow(
      'CCH_LOCAL_SQS_PORT=93x4 is not a port (1-65535)',
    );
    expect(() => operatorTarget(true, { CCH_LOCAL_DYNAMODB_PORT: '70000' })).toThrow(/not a port/);
  });
});

describe('wf list --changed-since on the embedded stack', () => {
  const NOW = new Date('2026-06-01T12:00:00.000Z');
  const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
  let t: IndexedTable;
  let target: () => ReturnType<typeof operatorTarget>;

  beforeAll(async () => {
    t = await startIndexedTable('cch-local-dev-workflow-state-table');
    target = () => ({
      stage: { env: 'local', owner: 'dev' },
      clients: { dynamodb: t.aws.clientConfig.dynamodb, sqs: {}, s3: t.aws.clientConfig.s3 },
    });
    await saveAll(t.store(), [
      // Ended half an hour ago, started long before: changed.
      statusRecord('ended-recently', { created_at: ago(600), updated_at: ago(30), status: 'FAILED' }),
      // Ended five hours ago: not changed in the last two.
      statusRecord('ended-long-ago', { created_at: ago(600), updated_at: ago(300), status: 'SUCCEEDED' }),
      // Went live ten minutes ago: changed.
      statusRecord('started-recently', { created_at: ago(10), updated_at: ago(1), status: 'WAITING' }),
      // Live for four hours, updated a minute ago by a step (a reply, the next wait): not a status change.
      statusRecord('waiting-long', { created_at: ago(240), updated_at: ago(1), status: 'WAITING' }),
      // Redriven an hour ago: changed.
      statusRecord('redriven', {
        created_at: ago(900),
        updated_at: ago(59),
        status: 'WAITING',
        redrives: [{ id: 'r', at: ago(60), by: 'ops', reason: null, node: 'A', from_checkpoint: 'c' }],
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('lists what took its status in the window, newest change first, with changed_at', async () => {
    const io = recordingIo(__dirname);
    expect(await listCommand(['--changed-since', '2h', '--json'], io, { target, now: () => NOW })).toBe(0);
    const page = JSON.parse(io.stdout()) as InstancePage;
    expect(page.instances.map((r) => [r.instance_id, r.changed_at])).toEqual([
      ['started-recently', ago(10)],
      ['ended-recently', ago(30)],
      ['redriven', ago(60)],
    ]);
    expect(page.next).toBeNull();
    expect(t.commands).not.toContain('ScanCommand');
  });

  it('combines with --status and --workflow, and shows CHANGED in the table', async () => {
    const io = recordingIo(__dirname);
    expect(
      await listCommand(
        ['--changed-since', '2h', '--status', 'WAITING', '--workflow', 'import_vn_memphis_v1'],
        io,
        { target, now: () => NOW },
      ),
    ).toBe(0);
    const lines = io.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^INSTANCE +WORKFLOW +STATUS +STARTED +CHANGED +UPDATED +DETAIL$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 5))).toEqual([
      [
        'started-recently',
        'import_vn_memphis_v1',
        'WAITING',
        ago(10).replace('.000', ''),
        ago(10).replace('.000', ''),
      ],
      [
        'redriven',
        'import_vn_memphis_v1',
        'WAITING',
        ago(900).replace('.000', ''),
        ago(60).replace('.000', ''),
      ],
    ]);
    const other = recordingIo(__dirname);
    expect(
      await listCommand(['--changed-since', '2h', '--workflow', 'fanout_a_b_c_v1'], other, {
        target,
        now: () => NOW,
      }),
    ).toBe(0);
    expect(other.stdout()).toBe('no instances matching the filters in cch-local-dev-workflow-state-table\n');
  });

  it('leaves the default table as it was (no CHANGED column), with changed_at in the JSON', async () => {
    const io = recordingIo(__dirname);
    expect(await listCommand(['--since', '30m'], io, { target, now: () => NOW })).toBe(0);
    expect(io.stdout().split('\n')[0]).toMatch(/^INSTANCE +WORKFLOW +STATUS +STARTED +UPDATED +DETAIL$/);
  });
});
