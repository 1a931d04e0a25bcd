import type { MiddlewareHandler } from 'hono';

/** The names this machine's browser uses for the console (it listens on 127.0.0.1 only). */
const LOCAL_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost']);

/**
 * Refuses a request whose Host header names another host. Listening on 127.0.0.1 keeps other machines
 * out, but not a page on another site that rebinds its own name to 127.0.0.1 (DNS rebinding): the browser
 * would then treat the console as that site, read its pages, and pass the origin check of its forms
 * (origin and host agree). Such a request still carries the site's name in Host, so it is refused here.
 */
export function localHostOnly(): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    const name = host.replace(/:\d+$/, '').toLowerCase();
    if (!LOCAL_HOSTS.has(name)) {
      return c.text(`the console answers on 127.0.0.1 only, not as ${host || '(no Host)'}`, 403);
    }
    await next();
  };
}
