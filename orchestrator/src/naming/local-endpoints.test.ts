import {
  DEFAULT_LOCAL_PORTS,
  InvalidLocalPortError,
  localClientConfig,
  localPortsFromEnv,
} from './local-endpoints';

describe('localPortsFromEnv', () => {
  it('defaults every port when nothing (or an empty value) is set', () => {
    expect(localPortsFromEnv({})).toEqual(DEFAULT_LOCAL_PORTS);
    expect(localPortsFromEnv({ CCH_LOCAL_SQS_PORT: '' })).toEqual(DEFAULT_LOCAL_PORTS);
  });

  it('reads each service port from its own setting', () => {
    expect(
      localPortsFromEnv({
        CCH_LOCAL_DYNAMODB_PORT: '14567',
        CCH_LOCAL_SQS_PORT: '19324',
        CCH_LOCAL_S3_PORT: '14569',
      }),
    ).toEqual({ dynamodb: 14567, sqs: 19324, s3: 14569 });
    expect(localPortsFromEnv({ CCH_LOCAL_S3_PORT: '5000' })).toEqual({ ...DEFAULT_LOCAL_PORTS, s3: 5000 });
  });

  it.each(['abc', '-1', '65536', '1.5', '4567x', '0x10'])(
    'refuses %j rather than falling back to the default port',
    (value) => {
      expect(() => localPortsFromEnv({ CCH_LOCAL_SQS_PORT: value })).toThrow(
        new InvalidLocalPortError(`CCH_LOCAL_SQS_PORT=${value} is not a port (1-65535)`),
      );
    },
  );

  it('admits 0 (any free port) only for a server that binds it', () => {
    expect(() => localPortsFromEnv({ CCH_LOCAL_DYNAMODB_PORT: '0' })).toThrow(InvalidLocalPortError);
    expect(localPortsFromEnv({ CCH_LOCAL_DYNAMODB_PORT: '0' }, { allowZero: true }).dynamodb).toBe(0);
  });

  it('gives clients endpoints on those ports', () => {
    const config = localClientConfig(localPortsFromEnv({ CCH_LOCAL_SQS_PORT: '19324' }));
    expect(config.sqs.endpoint).toBe('http://127.0.0.1:19324');
    expect(config.dynamodb.endpoint).toBe(`http://127.0.0.1:${DEFAULT_LOCAL_PORTS.dynamodb}`);
  });
});
