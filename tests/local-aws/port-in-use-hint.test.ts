import { portInUseHint } from '../../scripts/local-aws/port-in-use-hint';

const ports = { dynamodb: 14567, sqs: 19324, s3: 14569 };
const inUse = (port: number) =>
  Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), {
    code: 'EADDRINUSE',
    port,
  });

describe('portInUseHint', () => {
  it('names the service whose port is taken and the setting that moves it', () => {
    expect(portInUseHint(inUse(19324), ports)).toBe(
      'hint: port 19324 (SQS) is taken, perhaps by another `pnpm local`. Stop what holds it, or give other ports: CCH_LOCAL_SQS_PORT=<port> (0 binds a free one).',
    );
  });

  it('says when two services were given the same port', () => {
    expect(portInUseHint(inUse(14567), { ...ports, s3: 14567 })).toBe(
      'hint: DynamoDB and S3 were both given port 14567. Stop what holds it, or give other ports: CCH_LOCAL_DYNAMODB_PORT=<port> CCH_LOCAL_S3_PORT=<port> (0 binds a free one).',
    );
  });

  it('has nothing to say about other errors', () => {
    expect(portInUseHint(new Error('boom'), ports)).toBeUndefined();
    expect(portInUseHint(inUse(1), ports)).toBeUndefined();
  });
});
