import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A one-time schedule as the orchestrator asked EventBridge Scheduler for it. */
export interface CreatedSchedule {
  readonly name: string;
  /** When it fires (epoch ms, from its `at(...)` expression, UTC). */
  readonly atMs: number;
  /** What it sends to its target (the TIMER_FIRED JSON). */
  readonly input: string;
}

export interface SchedulerEndpoint {
  readonly url: string;
  /** API requests received, by operation. */
  readonly requests: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Just enough of the EventBridge Scheduler API (REST-JSON) for the bench to run the orchestrator's real
 * EventBridge timer adapter without AWS, which has no local emulator: CreateSchedule of one-time `at()`
 * schedules, a ConflictException for a name already taken, DeleteSchedule (ResourceNotFoundException for
 * a name not there), and nothing else (other operations get a 400). Each schedule is handed to
 * `onSchedule`, each deletion to `onDelete`; the bench fires schedules on its own clock.
 */
export async function startSchedulerEndpoint(
  onSchedule: (schedule: CreatedSchedule) => void,
  onDelete: (name: string) => void = () => undefined,
): Promise<SchedulerEndpoint> {
  const names = new Set<string>();
  const requests: Record<string, number> = {};
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const match = /^\/schedules\/([^/?]+)/.exec(request.url ?? '');
      const operation =
        request.method === 'POST' && match
          ? 'CreateSchedule'
          : request.method === 'DELETE' && match
            ? 'DeleteSchedule'
            : `${request.method} ${request.url}`;
      requests[operation] = (requests[operation] ?? 0) + 1;
      const reply = (status: number, payload: object, errorType?: string) => {
        response.writeHead(status, {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        response.end(JSON.stringify(payload));
      };
      if (operation === 'DeleteSchedule' && match) {
        const name = decodeURIComponent(match[1] ?? '');
        if (!names.delete(name)) {
          reply(404, { Message: `Schedule ${name} does not exist.` }, 'ResourceNotFoundException');
          return;
        }
        onDelete(name);
        reply(200, {});
        return;
      }
      if (operation !== 'CreateSchedule' || !match) {
        reply(
          400,
          { Message: `the bench's scheduler endpoint knows only CreateSchedule and DeleteSchedule` },
          'ValidationException',
        );
        return;
      }
      const name = decodeURIComponent(match[1] ?? '');
      if (names.has(name)) {
        reply(409, { Message: `Schedule ${name} already exists.` }, 'ConflictException');
        return;
      }
      const input = JSON.parse(body) as { ScheduleExpression?: string; Target?: { Input?: string } };
      const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(input.ScheduleExpression ?? '')?.[1];
      if (!at || input.Target?.Input === undefined) {
        reply(
          400,
          { Message: 'only one-time at() schedules with an Input are supported' },
          'ValidationException',
        );
        return;
      }
      names.add(name);
      onSchedule({ name, atMs: Date.parse(`${at}Z`), input: input.Target.Input });
      reply(200, { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/bench/${name}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
