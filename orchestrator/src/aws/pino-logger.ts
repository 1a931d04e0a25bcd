import { hostname } from 'node:os';
import pino, { type DestinationStream } from 'pino';
import type { Logger } from '../runtime/ports';

/**
 * pino JSON logs. Every line of an instance carries instance_id and workflow_id (and node, request_id
 * where they apply) through child bindings, so one instance's story can be filtered from a shared stream;
 * and every line names the `worker` that wrote it, so a crash's story (who held the lease, who took it
 * over) can be told from a stream several workers share (the local stack's, a log group's).
 */
export function createPinoLogger(
  destination?: DestinationStream,
  level = process.env.LOG_LEVEL ?? 'info',
  worker = workerName(process.env),
): Logger {
  const logger = pino(
    { level, base: { service: 'workflow-orchestrator', worker }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  return wrap(logger);
}

/**
 * The process writing the logs: a Lambda's execution environment is named by its log stream (one per
 * container); anywhere else, host and process id.
 */
export function workerName(env: NodeJS.ProcessEnv): string {
  return env.AWS_LAMBDA_LOG_STREAM_NAME ?? `${hostname()}:${process.pid}`;
}

function wrap(logger: pino.Logger): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}
