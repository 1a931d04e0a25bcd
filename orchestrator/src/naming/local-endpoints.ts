import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';

export const LOCAL_REGION = 'us-east-1';

/** Fixed default ports of the embedded stack, so `pnpm local` prints endpoints a user can paste. */
export const DEFAULT_LOCAL_PORTS = { dynamodb: 4567, sqs: 9324, s3: 4569 } as const;

export type LocalPorts = Record<keyof typeof DEFAULT_LOCAL_PORTS, number>;

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
