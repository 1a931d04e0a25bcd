import { LOCAL_PORT_SETTINGS, type LocalPorts } from '../../orchestrator/src/naming/local-endpoints';

const SERVICE_NAMES = { dynamodb: 'DynamoDB', sqs: 'SQS', s3: 'S3' } as const;

/**
 * What to do when the embedded stack could not bind a port: which service wanted it and the setting that
 * moves it. Undefined for any other error, or a port the stack was not asked for.
 */
export function portInUseHint(error: unknown, ports: LocalPorts): string | undefined {
  const { code, port } = (error ?? {}) as { code?: unknown; port?: unknown };
  if (code !== 'EADDRINUSE' || typeof port !== 'number') return undefined;
  const services = (Object.keys(LOCAL_PORT_SETTINGS) as (keyof LocalPorts)[]).filter(
    (s) => ports[s] === port,
  );
  if (services.length === 0) return undefined;
  const settings = services.map((s) => LOCAL_PORT_SETTINGS[s]);
  const who =
    services.length > 1
      ? `${services.map((s) => SERVICE_NAMES[s]).join(' and ')} were both given port ${port}`
      : `port ${port} (${SERVICE_NAMES[services[0] as keyof LocalPorts]}) is taken, perhaps by another \`pnpm local\``;
  return `hint: ${who}. Stop what holds it, or give other ports: ${settings.map((e) => `${e}=<port>`).join(' ')} (0 binds a free one).`;
}
