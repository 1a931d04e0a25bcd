import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { EngineError } from '../runtime/errors';
import { SecretUnavailableError } from '../sync-capabilities/secret-source';
import { SecretsManagerSecretSource } from './secrets-manager-secret-source';

// DESIGN allows aws-sdk-client-mock in an adapter's error-mapping tests only: there is no embedded Secrets
// Manager, so these cover the mapping and nothing else. The engine's tests read secrets from an in-memory
// source (sync-capabilities/http/http-capability.test.ts).

const fields = (message: string, httpStatusCode: number) => ({
  message,
  Message: message,
  $metadata: { httpStatusCode },
});

const secretsMock = mockClient(SecretsManagerClient);
afterEach(() => secretsMock.reset());
afterAll(() => secretsMock.restore());

const source = () => new SecretsManagerSecretSource(new SecretsManagerClient({ region: 'us-east-1' }));
const failure = (p: Promise<string>) => p.then(() => undefined).catch((e: unknown) => e);

describe('SecretsManagerSecretSource error mapping', () => {
  it('returns the SecretString of the secret asked for', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: 'cch-dev/api' }).resolves({ SecretString: 'v' });
    await expect(source().read('cch-dev/api')).resolves.toBe('v');
  });

  it('ResourceNotFoundException is SECRET_NOT_FOUND, not retryable, with the SDK error kept as cause', async () => {
    const sdk = new ResourceNotFoundException(
      fields("Secrets Manager can't find the specified secret.", 400),
    );
    secretsMock.on(GetSecretValueCommand).rejects(sdk);
    const error = await failure(source().read('cch-dev/gone'));
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error).toMatchObject({
      code: 'SECRET_NOT_FOUND',
      retryable: false,
      secretId: 'cch-dev/gone',
      message: "secret 'cch-dev/gone' does not exist",
    });
    expect(((error as EngineError).cause as EngineError).cause).toBe(sdk);
  });

  it.each([
    ['AccessDeniedException', Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })],
    ['DecryptionFailure', new DecryptionFailure(fields('KMS denied', 400))],
  ])('%s is SECRET_ACCESS_DENIED, not retryable', async (name, sdk) => {
    secretsMock.on(GetSecretValueCommand).rejects(sdk);
    await expect(failure(source().read('cch-dev/api'))).resolves.toMatchObject({
      code: 'SECRET_ACCESS_DENIED',
      retryable: false,
      message: `the orchestrator may not read secret 'cch-dev/api' (${name}); see docs/sync-capabilities.md`,
    });
  });

  it('a service fault is SECRET_UNAVAILABLE and retryable', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new InternalServiceError(fields('try later', 500)));
    await expect(failure(source().read('cch-dev/api'))).resolves.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      retryable: true,
      message: "secret 'cch-dev/api' could not be read: SECRETSMANAGER GetSecretValue failed: try later",
    });
  });

  it('a binary-only secret is SECRET_NOT_TEXT', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    await expect(failure(source().read('cch-dev/bin'))).resolves.toMatchObject({
      code: 'SECRET_NOT_TEXT',
      retryable: false,
    });
  });
});
