import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordOf, startInlineWorkflow, steps } from '../../graph/testing/run-inline-workflow';
import { RecordingLogger } from '../../runtime/memory/recording-ports';
import { createSyncCapabilities } from '../registry';
import { InMemorySecretSource } from '../in-memory-secret-source';
import { HTTP_MAX_RESPONSE_BYTES } from './http-capability';

/**
 * The built-in `http` capability, called by sync_call nodes of workflows run on the in-memory orchestrator,
 * against a real HTTP server in this process: requests built from the context and secrets, responses
 * mapped into the context, and every failure with its code, routed and retried by the node.
 */

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (request: Seen, response: ServerResponse) => void;

let server: Server;
let origin: string;
let handler: Handler;
let seen: Seen[];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const one = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(one);
      handler(one, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  handler = (_request, response) => json(response, 200, { rate: 1.25 });
});

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

const SECRET_TOKEN = 's3cret-token-value';
const secrets = new InMemorySecretSource({
  'cch-test/rates-api': JSON.stringify({ token: SECRET_TOKEN }),
  'cch-test/plain': 'plain-secret-value',
});

/** A workflow whose Quote node calls `http` with `withYaml` (indented under `with:`), then ends. */
const workflow = (withYaml: string, extra = '') => `
workflow_name: http test
workflow_id: http_test_v1
entry_point: Quote
initial_context: [currency, shipment]
nodes:
  Quote:
    type: sync_call
    capability_id: http
    with:
${withYaml
  .trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
    result:
      rate: body.rate
      quote_status: status
    on_success: Done
    on_failure: Failed
${extra}
  Done:
    type: end
    output_keys: [rate, quote_status]
  Failed:
    type: end
    status: FAILED
`;

/** Runs the workflow of `workflow(withYaml)`. */
const run = (withYaml: string) => runYaml(workflow(withYaml));

async function runYaml(yaml: string) {
  const logger = new RecordingLogger();
  const sim = startInlineWorkflow(yaml, {
    context: { currency: 'EUR', shipment: { id: 'SHP-1', weight: 12.5 } },
    syncCapabilities: createSyncCapabilities({ secrets, fetch: (input, init) => fetch(input, init) }),
    logger,
  });
  await sim.drain();
  return { sim, logger, record: await recordOf(sim) };
}

describe('the http sync capability', () => {
  it('sends the request built from the context and a secret, and maps the JSON response into the context', async () => {
    const { record, logger } = await run(`
method: POST
url: "'${origin}/rates/' & currency"
query:
  shipment: shipment.id
  tag: "['a', 'b']"
  missing: nothing_here
headers:
  X-Shipment: shipment.id
  Authorization: { secret: cch-test/rates-api, key: token, prefix: 'Bearer ' }
  X-Plain: { secret: cch-test/plain }
body: '{"id": shipment.id, "kg": shipment.weight}'
timeout: 2s
`);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toMatchObject({ rate: 1.25, quote_status: 200 });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/rates/EUR?shipment=SHP-1&tag=a&tag=b');
    expect(request?.headers['x-shipment']).toBe('SHP-1');
    expect(request?.headers.authorization).toBe(`Bearer ${SECRET_TOKEN}`);
    expect(request?.headers['x-plain']).toBe('plain-secret-value');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({ id: 'SHP-1', kg: 12.5 });
    // The secret's value is in no state and no log line.
    expect(JSON.stringify(record)).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(logger.lines)).not.toContain(SECRET_TOKEN);
  });

  it('returns status, headers and a text body as text; output_keys pick from it', async () => {
    handler = (_request, response) => {
      response.writeHead(201, { 'content-type': 'text/plain', 'x-request-id': 'r-1' });
      response.end('created');
    };
    const yaml = workflow(`url: "'${origin}/ping'"`)
      .replace(
        '    result:\n      rate: body.rate\n      quote_status: status\n',
        '    output_keys: [status, headers, body]\n',
      )
      .replace('output_keys: [rate, quote_status]', 'output_keys: [status, body]');
    const { record } = await runYaml(yaml);
    expect(record.status).toBe('SUCCEEDED');
    expect(seen[0]?.method).toBe('GET');
    expect(record.context).toMatchObject({ status: 201, body: 'created' });
    expect(record.context.headers).toMatchObject({ 'content-type': 'text/plain', 'x-request-id': 'r-1' });
  });

  it('a status outside success_statuses fails with HTTP_STATUS_<n> and takes on_failure', async () => {
    handler = (_request, response) => json(response, 503, { error: 'down' });
    const { record } = await run(`url: "'${origin}/rates'"`);
    expect(steps(record)).toEqual([
      ['Quote', 'FAILED'],
      ['Failed', 'FAILED'],
    ]);
    expect(record.error).toMatchObject({ code: 'HTTP_STATUS_503', node: 'Quote' });
    expect(record.error?.message).toBe(`GET ${origin} answered 503 Service Unavailable (attempt 1 of 1)`);
  });

  it('success_statuses may count a 404 as success', async () => {
    handler = (_request, response) => json(response, 404, { rate: 0 });
    const { record } = await run(`
url: "'${origin}/rates'"
success_statuses: [200, 404]
`);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toMatchObject({ rate: 0, quote_status: 404 });
  });

  it("is retried by the node's retry policy: a 503 then a 200 succeeds on the second attempt", async () => {
    let calls = 0;
    handler = (_request, response) =>
      ++calls === 1 ? json(response, 503, {}) : json(response, 200, { rate: 2 });
    const { record } = await runYaml(
      workflow(`url: "'${origin}/rates'"`, '    retry: { max_attempts: 3, interval: 5s }'),
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(seen).toHaveLength(2);
    expect(steps(record)).toEqual([
      ['Quote', 'FAILED'],
      ['Quote', 'SUCCEEDED'],
      ['Done', 'SUCCEEDED'],
    ]);
    expect(record.context).toMatchObject({ rate: 2 });
  });

  it('an attempt longer than its timeout fails with HTTP_TIMEOUT', async () => {
    handler = (_request, response) => {
      const late = setTimeout(() => json(response, 200, { rate: 1 }), 2000);
      response.on('close', () => clearTimeout(late));
    };
    const started = Date.now();
    const { record } = await run(`
url: "'${origin}/slow'"
timeout: 200ms
`);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(record.error).toMatchObject({ code: 'HTTP_TIMEOUT', node: 'Quote' });
    expect(record.error?.message).toBe(`GET ${origin} took longer than 200ms (attempt 1 of 1)`);
  });

  it('does not follow a redirect: a 302 is a failure like any other status', async () => {
    handler = (_request, response) => {
      response.writeHead(302, { location: 'http://example.invalid/' });
      response.end();
    };
    const { record } = await run(`url: "'${origin}/moved'"`);
    expect(seen).toHaveLength(1);
    expect(record.error).toMatchObject({ code: 'HTTP_STATUS_302' });
  });

  it('refuses a response body over the limit with HTTP_RESPONSE_TOO_LARGE', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(HTTP_MAX_RESPONSE_BYTES + 1));
    };
    const { record } = await run(`url: "'${origin}/big'"`);
    expect(record.error).toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE' });
  });

  it('a response that says JSON but is not fails with HTTP_INVALID_JSON', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"rate":');
    };
    const { record } = await run(`url: "'${origin}/broken'"`);
    expect(record.error).toMatchObject({ code: 'HTTP_INVALID_JSON' });
  });

  it('a connection refused fails with HTTP_ERROR naming the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { record } = await run(`url: "'http://127.0.0.1:${port}/'"`);
    expect(record.error).toMatchObject({ code: 'HTTP_ERROR' });
    expect(record.error?.message).toBe(`GET http://127.0.0.1:${port} failed: ECONNREFUSED (attempt 1 of 1)`);
  });

  it.each([
    ["'file:///etc/passwd'", "url: the scheme 'file:' is not http or https"],
    ["'not a url'", 'url: the expression gives no absolute URL (9 characters)'],
    ['shipment', 'url: the expression gives a map, not the text of a URL'],
    ['no_such_key', 'url: the expression gives nothing (no such key in the context?), not the text of a URL'],
  ])('refuses url %s with HTTP_INVALID_REQUEST before any request', async (url, message) => {
    const { record } = await run(`url: "${url}"`);
    expect(seen).toEqual([]);
    expect(record.error).toMatchObject({ code: 'HTTP_INVALID_REQUEST' });
    expect(record.error?.message).toBe(`${message} (attempt 1 of 1)`);
  });

  it('a header from a secret that does not exist fails with SECRET_NOT_FOUND before any request', async () => {
    const { record } = await run(`
url: "'${origin}/rates'"
headers:
  Authorization: { secret: cch-test/missing }
`);
    expect(seen).toEqual([]);
    expect(record.error).toMatchObject({ code: 'SECRET_NOT_FOUND' });
    expect(record.error?.message).toBe(
      "headers.Authorization: secret 'cch-test/missing' does not exist (attempt 1 of 1)",
    );
  });

  it('a key the secret does not have fails with SECRET_KEY_MISSING, without the secret in the message', async () => {
    const { record } = await run(`
url: "'${origin}/rates'"
headers:
  Authorization: { secret: cch-test/rates-api, key: password }
`);
    expect(record.error).toMatchObject({ code: 'SECRET_KEY_MISSING' });
    expect(JSON.stringify(record)).not.toContain(SECRET_TOKEN);
  });
});
