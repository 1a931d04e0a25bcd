/**
 * A line of advice for an error that comes down to a refused connection (node's ECONNREFUSED, found among
 * the causes the AWS adapters keep, or in a message: their code, `<SERVICE>_Error`, does not tell a network fault apart):
 * on this machine, the stack `pnpm local` runs is most likely not running on that port. Undefined for any
 * other error.
 */
export function connectionRefusedHint(error: unknown): string | undefined {
  const refused = findRefused(error, 0);
  if (!refused) return undefined;
  const where = refused.port === undefined ? refused.address : `${refused.address}:${refused.port}`;
  if (!LOOPBACK.has(refused.address)) {
    return `hint: nothing accepts connections at ${where}: check the endpoint (AWS_ENDPOINT_URL_* or the network)`;
  }
  return (
    `hint: nothing listens on ${where}: the local stack is not running on that port. Start it with ` +
    '`pnpm local` (in another terminal), or, when it runs on other ports, export the ' +
    'CCH_LOCAL_DYNAMODB_PORT, CCH_LOCAL_SQS_PORT and CCH_LOCAL_S3_PORT line it printed.'
  );
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

interface Refused {
  readonly address: string;
  readonly port?: number;
}

/** The refused connection among the error, its causes and (an AggregateError's) errors. */
function findRefused(error: unknown, depth: number): Refused | undefined {
  if (typeof error !== 'object' || error === null || depth > 8) return undefined;
  const e = error as {
    code?: unknown;
    message?: unknown;
    address?: unknown;
    port?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (e.code === 'ECONNREFUSED' && typeof e.address === 'string') {
    return { address: e.address, ...(typeof e.port === 'number' ? { port: e.port } : {}) };
  }
  // A refusal the SDK passed on as text alone (its retry middleware keeps only the message of an error
  // from another realm, as under jest): node's `connect ECONNREFUSED 127.0.0.1:4567`.
  const said = typeof e.message === 'string' ? /\bECONNREFUSED (\S+):(\d+)\b/.exec(e.message) : null;
  if (said) return { address: said[1] as string, port: Number(said[2]) };
  const nested = [e.cause, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])];
  for (const inner of nested) {
    const found = findRefused(inner, depth + 1);
    if (found) return found;
  }
  // Refused, but where is not said (an AggregateError of node's own, say).
  return e.code === 'ECONNREFUSED' ? { address: 'the endpoint' } : undefined;
}
