import pino, { type DestinationStream } from 'pino';
import type { Logger } from '../runtime/ports';

/**
 * pino JSON logs. Every line of an instance carries instance_id and workflow_id (and node, request_id
 * where they apply) through child bindings, so one instance's story can be filtered from a shared stream.
 */
export function createPinoLogger(
  destination?: DestinationStream,
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  const logger = pino(
    { level, base: { service: 'workflow-orchestrator' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  return wrap(logger);
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
