import {
  AccessDeniedException,
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ServiceUnavailableException,
  ThrottlingException,
  type FilteredLogEvent,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogSource } from '../../scripts/run-test/log-sources';

// No CloudWatch Logs emulator runs on this machine: FilterLogEvents is answered by aws-sdk-client-mock.
const cw = mockClient(CloudWatchLogsClient);
const GROUP = '/aws/lambda/cch-dev-alice-workflow-orchestrator-function';
const T0 = Date.parse('2026-11-26T12:00:00.000Z');

/** A log event of instance `run-1` as Lambda ships a pino line: `msg` tells the tests which it is. */
function event(id: string, timestamp: number, stream = 'stream-a'): FilteredLogEvent {
  return {
    eventId: id,
    timestamp,
    logStreamName: stream,
    message: `2026-11-26T12:00:00.000Z\tabc\tINFO\t${JSON.stringify({ instance_id: 'run-1', msg: id })}`,
  };
}

/** A source on a hand-moved clock that never really sleeps; `sleeps` records the backoff it asked for. */
function source(options: { maxAttempts?: number } = {}) {
  const clock = { now: T0 };
  const sleeps: number[] = [];
  const logs = new CloudWatchLogSource(new CloudWatchLogsClient({ region: 'us-east-1' }), GROUP, {
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 1,
    ...options,
  });
  const poll = async (advanceMs = 1000) => {
    clock.now += advanceMs;
    return (await logs.poll('run-1')).map((r) => r.msg);
  };
  return { poll, sleeps, clock };
}

const inputs = (): FilterLogEventsCommandInput[] =>
  cw.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);

beforeEach(() => cw.reset());

describe('run-test follows an instance in CloudWatch Logs', () => {
  it('reads every page of a poll with nextToken, each with the same filter and start time', async () => {
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('e1', T0), event('e2', T0 + 1)], nextToken: 'page-2' })
      .resolvesOnce({ events: [], nextToken: 'page-3' }) // a page with no match, streams still to search
      .resolvesOnce({ events: [event('e3', T0 + 2)] });
    const { poll } = source();
    expect(await poll()).toEqual(['e1', 'e2', 'e3']);
    const calls = inputs();
    expect(calls.map((c) => c.nextToken)).toEqual([undefined, 'page-2', 'page-3']);
    for (const call of calls) {
      expect(call).toMatchObject({
        logGroupName: GROUP,
        filterPattern: '{ $.instance_id = "run-1" }',
        startTime: T0 - 60_000,
      });
    }
  });

  it('neither repeats nor loses events at a poll boundary: same timestamp in another stream, late-ingested older ones', async () => {
    const L = T0 + 600_000; // ten minutes into the follow
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('a1', L + 10, 'stream-a'), event('a2', L + 20, 'stream-a')] })
      // The next poll reads the overlap again: a1 and a2 come back, beside b1 at a2's very timestamp in
      // another container's stream, and c1, older than a2, that CloudWatch made searchable only now.
      .resolvesOnce({
        events: [
          event('c1', L + 5, 'stream-c'),
          event('a1', L + 10, 'stream-a'),
          event('a2', L + 20, 'stream-a'),
          event('b1', L + 20, 'stream-b'),
        ],
      })
      .resolvesOnce({ events: [event('b1', L + 20, 'stream-b'), event('b2', L + 20, 'stream-b')] });
    const { poll } = source();
    expect(await poll()).toEqual(['a1', 'a2']);
    expect(await poll()).toEqual(['c1', 'b1']);
    expect(await poll()).toEqual(['b2']);
    // The window moved up to the newest event less the overlap, never past an event it could still miss.
    expect(inputs().map((c) => c.startTime)).toEqual([T0 - 60_000, L + 20 - 120_000, L + 20 - 120_000]);
  });

  it('within a poll, events of several streams come in timestamp order', async () => {
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('b', T0 + 2, 'stream-b')], nextToken: 'n' })
      .resolvesOnce({ events: [event('a', T0 + 1, 'stream-a'), event('c', T0 + 3, 'stream-a')] });
    expect(await source().poll()).toEqual(['a', 'b', 'c']);
  });

  it('retries ThrottlingException and server faults with backoff, on the page it was reading', async () => {
    const throttled = () =>
      new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('e1', T0)], nextToken: 'page-2' })
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(new ServiceUnavailableException({ message: 'try later', $metadata: {} }))
      .resolvesOnce({ events: [event('e2', T0 + 1)] });
    const { poll, sleeps } = source();
    expect(await poll()).toEqual(['e1', 'e2']);
    expect(inputs().map((c) => c.nextToken)).toEqual([undefined, 'page-2', 'page-2', 'page-2', 'page-2']);
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('a poll that fails part-way returns nothing and commits nothing: the next poll loses no event', async () => {
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('e1', T0)], nextToken: 'page-2' })
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolvesOnce({ events: [event('e1', T0)], nextToken: 'page-2' })
      .resolvesOnce({ events: [event('e2', T0 + 1)] });
    const { poll } = source({ maxAttempts: 2 });
    await expect(poll()).rejects.toMatchObject({ code: 'LOGS_ThrottlingException' });
    expect(await poll()).toEqual(['e1', 'e2']);
    expect(inputs()[3]).toMatchObject({ startTime: T0 - 60_000 });
    expect(inputs()[3]?.nextToken).toBeUndefined();
  });

  it('does not retry what retrying cannot fix (access denied)', async () => {
    cw.on(FilterLogEventsCommand).rejects(
      new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 400 } }),
    );
    const { poll, sleeps } = source();
    await expect(poll()).rejects.toMatchObject({ code: 'LOGS_AccessDeniedException', retryable: false });
    expect(inputs()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('keeps to its request rate: a poll sooner than a second after the last calls nothing', async () => {
    cw.on(FilterLogEventsCommand).resolves({ events: [] });
    const { poll } = source();
    await poll();
    await poll(150);
    await poll(150);
    expect(inputs()).toHaveLength(1);
    await poll(700);
    expect(inputs()).toHaveLength(2);
  });
});
