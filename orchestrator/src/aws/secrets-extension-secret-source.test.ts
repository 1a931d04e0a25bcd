import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExtensionSecretSource } from './secrets-extension-secret-source';

/**
 * The orchestrator Lambda's secret source, against a real HTTP server standing in for the Parameters and
 * Secrets extension on its port: the request it makes, and how each answer becomes a value or an error.
 */

let server: Server;
let port: number;
let answer: { status: number; body: string };
let requests: { url: string; headers: IncomingHttpHeaders }[];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: request.headers });
    response.writeHead(answer.status);
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  requests = [];
});

const source = () =>
  new ExtensionSecretSource({
    AWS_SESSION_TOKEN: 'session',
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
  });
const failure = (p: Promise<string>) => p.then(() => undefined).catch((e: unknown) => e);

describe('ExtensionSecretSource', () => {
  it('asks the extension for the secret with the session token, and returns its SecretString', async () => {
    answer = { status: 200, body: JSON.stringify({ Name: 'cch-prod/api', SecretString: 'value' }) };
    await expect(source().read('cch-prod/api key')).resolves.toBe('value');
    expect(requests).toEqual([
      {
        url: '/secretsmanager/get?secretId=cch-prod%2Fapi%20key',
        headers: expect.objectContaining({ 'x-aws-parameters-secrets-token': 'session' }) as unknown,
      },
    ]);
  });

  it.each([
    [400, 'ResourceNotFoundException: not found', 'SECRET_NOT_FOUND', false],
    [400, 'AccessDeniedException: no', 'SECRET_ACCESS_DENIED', false],
    [500, 'internal', 'SECRET_UNAVAILABLE', true],
    [429, 'slow down', 'SECRET_UNAVAILABLE', true],
    [200, JSON.stringify({ SecretBinary: 'AQI=' }), 'SECRET_NOT_TEXT', false],
  ])('an answer %i %s is %s (retryable: %s)', async (status, body, code, retryable) => {
    answer = { status, body };
    await expect(failure(source().read('cch-prod/api'))).resolves.toMatchObject({ code, retryable });
  });

  it('outside Lambda (no session token) refuses without a call', async () => {
    const error = await failure(new ExtensionSecretSource({}).read('cch-prod/api'));
    expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE', retryable: false });
    expect(requests).toEqual([]);
  });

  it('no extension on the port is SECRET_UNAVAILABLE and retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const source = new ExtensionSecretSource({
      AWS_SESSION_TOKEN: 't',
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(free),
    });
    await expect(failure(source.read('cch-prod/api'))).resolves.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      retryable: true,
    });
  });
});
