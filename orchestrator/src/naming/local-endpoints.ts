import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';

export const LOCAL_REGION = 'us-east-1';

/** Fixed default ports of the embedded stack, so `pnpm local` prints endpoints a user can paste. */
export const DEFAULT_LOCAL_PORTS = { dynamodb: 4567, sqs: 9324, s3: 4569 } as const;

export type LocalPorts = Record<keyof typeof DEFAULT_LOCAL_PORTS, number>;

/** The settings `pnpm local` reads its ports from; every client of the local stack reads the same. */
export const LOCAL_PORT_SETTINGS = {
  dynamodb: 'CCH_LOCAL_DYNAMODB_PORT',
  sqs: 'CCH_LOCAL_SQS_PORT',
  s3: 'CCH_LOCAL_S3_PORT',
} as const satisfies Record<keyof LocalPorts, string>;

export class InvalidLocalPortError extends Error {
  override name = 'InvalidLocalPortError';
}

/**
 * The local stack's ports from `CCH_LOCAL_DYNAMODB_PORT`, `CCH_LOCAL_SQS_PORT` and `CCH_LOCAL_S3_PORT`,
 * each defaulting to DEFAULT_LOCAL_PORTS when unset or empty. A value that is set but is not a port is an
 * error, never silently replaced by the default (that would reach some other stack, or none).
 * `allowZero` admits 0 ("any free port"), which a server may bind but a client cannot reach.
 */
export function localPortsFromEnv(env: NodeJS.ProcessEnv, { allowZero = false } = {}): LocalPorts {
  const port = (service: keyof LocalPorts): number => {
    const name = LOCAL_PORT_SETTINGS[service];
    const value = env[name];
    if (value === undefined || value.trim() === '') return DEFAULT_LOCAL_PORTS[service];
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || n > 65535 || (n === 0 && !allowZero))
      throw new InvalidLocalPortError(`${name}=${value} is not a port (1-65535)`);
    return n;
  };
  return { dynamodb: port('dynamodb'), sqs: port('sqs'), s3: port('s3') };
}

export interface LocalClientConfig {
  readonly dynamodb: DynamoDBClientConfig;
  readonly sqs: SQSClientConfig;
  readonly s3: S3ClientConfig;
}

/**
 * SDK client settings that reach the embedded stack: endpoints only, as the product uses one code path.
 * s3rver checks signatures against its own credentials and wants path-style addressing.
 */
export function localClientConfig(
  ports: LocalPorts = DEFAULT_LOCAL_PORTS,
  host = '127.0.0.1',
): LocalClientConfig {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return {
    dynamodb: { region: LOCAL_REGION, endpoint: `http://${host}:${ports.dynamodb}`, credentials },
    sqs: { region: LOCAL_REGION, endpoint: `http://${host}:${ports.sqs}`, credentials },
    s3: {
      region: LOCAL_REGION,
      endpoint: `http://${host}:${ports.s3}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
  };
}
