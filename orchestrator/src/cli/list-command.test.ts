import { recordingIo } from './cli-test-io';
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
      clients: { dynamodb: {}, sqs: {}, s3: {} },
    });
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
