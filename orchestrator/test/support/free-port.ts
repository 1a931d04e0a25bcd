import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free when asked: bound to port 0, then closed, so nothing listens on it
 * (a connection to it is refused) until someone binds it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
