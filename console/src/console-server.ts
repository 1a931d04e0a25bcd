import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { consoleApp, type ConsoleDependencies } from './console-app';

/** A running console: its address, and how to stop it. */
export interface ConsoleServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the console on 127.0.0.1 only: it acts with the operator's own credentials, so it must not be
 * reachable from other machines. Port 0 picks a free one. Rejects (EADDRINUSE, EACCES) when the port cannot
 * be bound.
 */
export function startConsoleServer(
  target: OperatorTarget,
  port: number,
  deps: Omit<ConsoleDependencies, 'target'> = {},
): Promise<ConsoleServer> {
  const app = consoleApp({ ...deps, target });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // A browser keeps its connection open between two refreshes of a page: without this, close
            // would wait for the browser, and `pnpm start` would not exit while a console tab is open.
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
