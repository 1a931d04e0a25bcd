import { translateAwsError } from '../aws/aws-errors';
import { recordingIo } from './cli-test-io';
import { connectionRefusedHint } from './connection-refused-hint';
import { runCli } from './main';
import { freePort } from '../../test/support/free-port';

const refused = (address: string, port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), {
    code: 'ECONNREFUSED',
    address,
    port,
  });

describe('connectionRefusedHint', () => {
  it('finds a refused local connection behind an AWS adapter error and points at pnpm local', () => {
    const hint = connectionRefusedHint(translateAwsError('DYNAMODB', 'GetItem', refused('127.0.0.1', 4567)));
    expect(hint).toContain('nothing listens on 127.0.0.1:4567: the local stack is not running on that port');
    expect(hint).toContain('`pnpm local`');
    expect(hint).toContain('CCH_LOCAL_DYNAMODB_PORT, CCH_LOCAL_SQS_PORT and CCH_LOCAL_S3_PORT');
  });

  it("finds it among an AggregateError's errors (node trying each address of localhost)", () => {
    const error = new AggregateError([refused('::1', 9324), refused('127.0.0.1', 9324)], 'failed');
    expect(connectionRefusedHint(Object.assign(error, { code: 'ECONNREFUSED' }))).toContain(
      'nothing listens on ::1:9324',
    );
    expect(connectionRefusedHint({ code: 'ECONNREFUSED' })).toContain(
      'nothing accepts connections at the endpoint',
    );
    expect(connectionRefusedHint(new AggregateError([refused('::1', 9324)]))).toContain(
      'nothing listens on ::1:9324',
    );
  });

  it('a remote endpoint gets no advice about pnpm local', () => {
    const hint = connectionRefusedHint(translateAwsError('SQS', 'SendMessage', refused('10.0.0.9', 443)));
    expect(hint).toBe(
      'hint: nothing accepts connections at 10.0.0.9:443: check the endpoint (AWS_ENDPOINT_URL_* or the network)',
    );
  });

  it('reads a refusal the SDK passed on as text alone', () => {
    const error = new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED ::1:9324');
    expect(connectionRefusedHint(translateAwsError('SQS', 'SendMessage', error))).toContain(
      'nothing listens on ::1:9324',
    );
  });

  it('says nothing about other errors', () => {
    expect(connectionRefusedHint(new Error('x'))).toBeUndefined();
    expect(
      connectionRefusedHint(translateAwsError('S3', 'GetObject', { name: 'NoSuchKey' })),
    ).toBeUndefined();
    expect(connectionRefusedHint(undefined)).toBeUndefined();
  });
});

describe('wf status --local when nothing listens', () => {
  const saved = process.env.CCH_LOCAL_DYNAMODB_PORT;
  afterEach(() => {
    if (saved === undefined) delete process.env.CCH_LOCAL_DYNAMODB_PORT;
    else process.env.CCH_LOCAL_DYNAMODB_PORT = saved;
  });

  it('prints the error and a hint to start the local stack (exit 1)', async () => {
    const port = await freePort();
    process.env.CCH_LOCAL_DYNAMODB_PORT = String(port);
    const io = recordingIo(__dirname);
    expect(await runCli(['status', 'by-hand-1', '--local'], io)).toBe(1);
    const lines = io.stderr().trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^wf status: DYNAMODB GetItem failed: .*ECONNREFUSED`));
    expect(lines[1]).toBe(
      `hint: nothing listens on 127.0.0.1:${port}: the local stack is not running on that port. Start it with ` +
        '`pnpm local` (in another terminal), or, when it runs on other ports, export the ' +
        'CCH_LOCAL_DYNAMODB_PORT, CCH_LOCAL_SQS_PORT and CCH_LOCAL_S3_PORT line it printed.',
    );
  }, 60_000);
});
