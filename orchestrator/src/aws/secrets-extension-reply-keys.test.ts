import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineError } from '../runtime/errors';
import { readReplyKeysThroughExtension } from './secrets-extension-reply-keys';

/**
 * The Lambda reads the reply keys through the Parameters and Secrets extension's HTTP API on localhost.
 * Here a local server answers as the extension does (no AWS client is involved, so none is mocked).
 */

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cch-dev-alice-reply-keys-AbCdEf';
const KEY = 'k'.repeat(64);
const noSleep = () => Promise.resolve();

let server: Server;
let answers: ((request: IncomingMessage) => [number, string])[] = [];
const seen: IncomingMessage[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request);
    const answer = answers.shift() ?? (() => [500, 'no answer scripted'] as [number, string]);
    const [status, body] = answer(request);
    response.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = {
    AWS_SESSION_TOKEN: 'session-token',
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String((server.address() as AddressInfo).port),
  };
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  answers = [];
  seen.length = 0;
});

const secret = (value: unknown): [number, string] => [200, JSON.stringify({ ARN, SecretString: value })];

describe('reading the reply keys through the Parameters and Secrets extension', () => {
  it("asks for the secret by id with the function's session token, and parses its string", async () => {
    answers.push(() => secret(JSON.stringify({ current: KEY })));
    await expect(readReplyKeysThroughExtension(ARN, env, noSleep)).resolves.toEqual({ current: KEY });
    expect(seen[0]?.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(ARN)}`);
    expect(seen[0]?.headers['x-aws-parameters-secrets-token']).toBe('session-token');
  });

  it('waits for an extension that is not ready yet (a cold start), a few times', async () => {
    answers.push(() => [400, 'not ready to serve traffic, please wait']);
    answers.push(() => secret(JSON.stringify({ current: KEY, previous: 'p'.repeat(64) })));
    await expect(readReplyKeysThroughExtension(ARN, env, noSleep)).resolves.toMatchObject({ current: KEY });
    expect(seen).toHaveLength(2);
  });

  it('gives up after its attempts with what the extension said (retryable), never quoting the secret', async () => {
    for (let i = 0; i < 5; i++) answers.push(() => [403, 'AccessDeniedException: not authorized']);
    const error = (await readReplyKeysThroughExtension(ARN, env, noSleep).catch(
      (e: unknown) => e,
    )) as EngineError;
    expect([error.code, error.retryable]).toEqual(['REPLY_KEYS_UNAVAILABLE', true]);
    expect(error.message).toContain('answered 403');
    expect(error.message).toContain('AccessDeniedException');
  });

  it.each([
    ['no string', undefined],
    ['a key too short', JSON.stringify({ current: 'hunter2' })],
    ['not JSON', 'hunter2'],
  ])('a secret with %s is refused at once, without quoting it', async (_label, value) => {
    answers.push(() => secret(value));
    const error = (await readReplyKeysThroughExtension(ARN, env, noSleep).catch(
      (e: unknown) => e,
    )) as EngineError;
    expect(error.code).toBe('REPLY_KEYS_UNAVAILABLE');
    expect(error.message).not.toContain('hunter2');
    expect(seen).toHaveLength(1);
  });

  it('is refused off Lambda (no session token)', async () => {
    await expect(readReplyKeysThroughExtension(ARN, {}, noSleep)).rejects.toThrow('AWS_SESSION_TOKEN');
  });
});
