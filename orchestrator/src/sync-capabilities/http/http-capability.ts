import { parseDuration } from '../../definition/duration';
import { SecretUnavailableError } from '../secret-source';
import {
  defineSyncCapability,
  SyncCapabilityError,
  type SyncCapabilityCall,
  type SyncCapabilityServices,
} from '../sync-capability';
import { HTTP_MAX_TIMEOUT_MS, httpParameters, type HttpParameters } from './http-parameters';
import { readBounded } from './read-bounded';

/** The largest response body taken into the context (the instance's state must stay small). */
export const HTTP_MAX_RESPONSE_BYTES = 1024 * 1024;

/** What a successful call returns: map it with the node's `result` (e.g. `rate: body.rate`). */
export interface HttpResult extends Record<string, unknown> {
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Record<string, string>;
  /** Parsed JSON when the response says it is JSON, else its text; null when empty. */
  readonly body: unknown;
}

/**
 * `http`: one HTTP(S) request per attempt, built from the context, with headers from the context or
 * Secrets Manager. Failures have stable codes, all left to the node's `retry` policy: HTTP_STATUS_<n> (a
 * status outside `success_statuses`), HTTP_TIMEOUT, HTTP_ERROR (network), HTTP_RESPONSE_TOO_LARGE,
 * HTTP_INVALID_JSON, HTTP_INVALID_REQUEST (an expression or value that makes no request), SECRET_*.
 * Messages name the method and the URL's origin only, never its path, query, headers or secrets.
 * Redirects are not followed: a 3xx is a response like any other (a secret header never goes to another
 * host).
 */
export const httpCapability = defineSyncCapability<HttpParameters>({
  id: 'http',
  parameters: httpParameters,
  // Header values read from a secret are maps, not expressions: `each` reads only the text ones.
  expressionFields: ['url', { each: 'query' }, { each: 'headers' }, 'body'],
  create: (services) => (call) => callHttp(call, services),
});

async function callHttp(
  call: SyncCapabilityCall<HttpParameters>,
  services: SyncCapabilityServices,
): Promise<HttpResult> {
  const { params } = call;
  const url = await requestUrl(call);
  const headers = await requestHeaders(call, services);
  const body = await requestBody(call, headers);
  const where = `${params.method} ${url.origin}`;
  // The schema has checked that the timeout parses and is at most HTTP_MAX_TIMEOUT_MS.
  const timeoutMs = parseDuration(params.timeout) ?? HTTP_MAX_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let bytes: Uint8Array;
  try {
    response = await services.fetch(url, {
      method: params.method,
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      signal,
    });
    bytes = await readBounded(response, HTTP_MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof SyncCapabilityError) throw error;
    if (signal.aborted) {
      throw new SyncCapabilityError(`${where} took longer than ${params.timeout}`, 'HTTP_TIMEOUT', {
        cause: error,
      });
    }
    throw new SyncCapabilityError(`${where} failed: ${networkReason(error)}`, 'HTTP_ERROR', { cause: error });
  }
  if (bytes.length > HTTP_MAX_RESPONSE_BYTES) {
    throw new SyncCapabilityError(
      `${where}: response over ${HTTP_MAX_RESPONSE_BYTES} bytes`,
      'HTTP_RESPONSE_TOO_LARGE',
    );
  }
  const success = params.success_statuses
    ? params.success_statuses.includes(response.status)
    : response.status >= 200 && response.status <= 299;
  if (!success) {
    const text = response.statusText ? ` ${response.statusText}` : '';
    throw new SyncCapabilityError(
      `${where} answered ${response.status}${text}`,
      `HTTP_STATUS_${response.status}`,
    );
  }
  return {
    status: response.status,
    // Headers is iterable in Node; the DOM typings the console compiles with leave that out.
    headers: Object.fromEntries(response.headers as unknown as Iterable<[string, string]>),
    body: parseBody(bytes, response.headers.get('content-type'), where),
  };
}

async function requestUrl(call: SyncCapabilityCall<HttpParameters>): Promise<URL> {
  const value = await evaluate(call, 'url', call.params.url);
  if (typeof value !== 'string') {
    throw invalid(`url: the expression gives ${kindOf(value)}, not the text of a URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`url: the expression gives no absolute URL (${value.length} characters)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`url: the scheme '${url.protocol}' is not http or https`);
  }
  for (const [name, expression] of Object.entries(call.params.query ?? {})) {
    const values = await evaluate(call, `query.${name}`, expression);
    for (const item of Array.isArray(values) ? values : [values]) {
      if (item === undefined || item === null) continue;
      url.searchParams.append(name, scalarText(item, `query.${name}`));
    }
  }
  return url;
}

async function requestHeaders(
  call: SyncCapabilityCall<HttpParameters>,
  services: SyncCapabilityServices,
): Promise<Headers> {
  const headers = new Headers();
  for (const [name, source] of Object.entries(call.params.headers ?? {})) {
    let value: string;
    if (typeof source === 'string') {
      const result = await evaluate(call, `headers.${name}`, source);
      if (result === undefined || result === null) continue;
      value = scalarText(result, `headers.${name}`);
    } else {
      value = (source.prefix ?? '') + (await secretText(services, name, source.secret, source.key));
    }
    try {
      headers.set(name, value);
    } catch {
      // Headers refuses line breaks and other control characters; the value itself is never shown.
      throw invalid(`headers.${name}: not a valid header value`);
    }
  }
  return headers;
}

async function requestBody(
  call: SyncCapabilityCall<HttpParameters>,
  headers: Headers,
): Promise<string | undefined> {
  if (call.params.body === undefined) return undefined;
  const value = await evaluate(call, 'body', call.params.body);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(value);
}

async function secretText(
  services: SyncCapabilityServices,
  header: string,
  secretId: string,
  key: string | undefined,
): Promise<string> {
  let text: string;
  try {
    text = await services.secrets.read(secretId);
  } catch (error) {
    // Secret sources say why in words that never quote a value (SecretSource).
    const code = error instanceof SecretUnavailableError ? error.code : 'SECRET_UNAVAILABLE';
    throw new SyncCapabilityError(`headers.${header}: ${(error as Error).message}`, code, { cause: error });
  }
  if (key === undefined) return text;
  let value: unknown;
  try {
    value = (JSON.parse(text) as Record<string, unknown>)[key];
  } catch {
    // Not JSON: no key either.
  }
  if (typeof value !== 'string') {
    throw new SyncCapabilityError(
      `headers.${header}: secret '${secretId}' has no text under key '${key}' of its JSON`,
      'SECRET_KEY_MISSING',
    );
  }
  return value;
}

async function evaluate(
  call: SyncCapabilityCall<HttpParameters>,
  field: string,
  expression: string,
): Promise<unknown> {
  try {
    return await call.evaluate(expression);
  } catch (error) {
    throw invalid(`${field}: ${(error as Error).message}`, error);
  }
}

function parseBody(bytes: Uint8Array, contentType: string | null, where: string): unknown {
  if (bytes.length === 0) return null;
  const text = new TextDecoder().decode(bytes);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SyncCapabilityError(`${where}: the response says it is JSON but is not`, 'HTTP_INVALID_JSON', {
      cause: error,
    });
  }
}

/** Text for a query or header value: text, numbers and booleans as they read; anything else is refused. */
function scalarText(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`${field}: the expression gives ${kindOf(value)}, not text, a number or a boolean`);
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing (no such key in the context?)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** Node's fetch says "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND...) in its cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function invalid(message: string, cause?: unknown): SyncCapabilityError {
  return new SyncCapabilityError(
    message,
    'HTTP_INVALID_REQUEST',
    cause === undefined ? undefined : { cause },
  );
}
