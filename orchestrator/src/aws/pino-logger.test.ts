import { hostname } from 'node:os';
import { createPinoLogger, workerName } from './pino-logger';

describe('pino logger', () => {
  it('names the worker on every line, children included', () => {
    const lines: string[] = [];
    const logger = createPinoLogger({ write: (l: string) => lines.push(l) }, 'info', 'worker-7');
    logger.info({}, 'one');
    logger.child({ instance_id: 'i-1' }).warn({ node: 'A' }, 'two');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.msg, l.worker, l.service])).toEqual([
      ['one', 'worker-7', 'workflow-orchestrator'],
      ['two', 'worker-7', 'workflow-orchestrator'],
    ]);
    expect(parsed[1]).toMatchObject({ instance_id: 'i-1', node: 'A' });
  });

  it("is the Lambda container's log stream on AWS, else host and process id", () => {
    const stream = '2026/11/28/[$LATEST]0123456789abcdef';
    expect(workerName({ AWS_LAMBDA_LOG_STREAM_NAME: stream })).toBe(stream);
    expect(workerName({})).toBe(`${hostname()}:${process.pid}`);
  });
});
