import { request } from 'node:http';
import { localClientConfig } from '../../orchestrator/src/naming/local-endpoints';
import { startConsoleServer, type ConsoleServer } from '../src/console-server';

/**
 * What the console answers to a browser that is not the operator's own use of it: another site's page
 * posting a form, or reaching it under that site's own name (DNS rebinding). No stack is needed: the
 * requests are refused before any page reads one.
 */
let server: ConsoleServer;
let port: number;

beforeAll(async () => {
  // Nothing listens there: a request that got through to a page would fail with a 500, not a 403.
  server = await startConsoleServer(
    { stage: { env: 'local', owner: 'dev' }, clients: localClientConfig() },
    0,
  );
  port = Number(new URL(server.url).port);
});

afterAll(() => server?.close());

/** A request with the headers a browser would send (Host included, which fetch does not let one set). */
function send(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'reason=x' : undefined);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the console answers only the operator', () => {
  it('serves under 127.0.0.1 and localhost', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await send('GET', '/assets/mermaid.min.js', { host })).status).toBe(200);
    }
  });

  it('refuses a page or a form reached under another name (DNS rebinding), whatever its origin says', async () => {
    const rebound = { host: `evil.example:${port}` };
    const page = await send('GET', '/', rebound);
    expect(page).toEqual({
      status: 403,
      body: `the console answers on 127.0.0.1 only, not as evil.example:${port}`,
    });
    const cancel = await send('POST', '/instances/x/cancel', {
      ...rebound,
      ...FORM,
      origin: `http://evil.example:${port}`,
    });
    expect(cancel.status).toBe(403);
  });

  it("refuses a form posted from another site's page (origin check)", async () => {
    const cancel = await send('POST', '/instances/x/cancel', {
      host: `127.0.0.1:${port}`,
      ...FORM,
      origin: 'http://evil.example',
    });
    expect(cancel.status).toBe(403);
  });
});
