import { StateMachine } from 'aws-local-stepfunctions';
import { ensurePromiseWithResolvers } from './promise-with-resolvers';
import { stateTransitions, type ExecutorEvent } from './state-transitions';

/**
 * The counter `pnpm bench:modes` bills Step Functions by counts what the executor executed: a tiny
 * machine whose path is known (a Choice that skips one state, a Task that fails once and is retried, a
 * Parallel of two one-state branches), run on aws-local-stepfunctions.
 */

const TASK = 'arn:aws:lambda:us-east-1:000000000000:function:flaky';

const MACHINE = {
  StartAt: 'Begin',
  States: {
    Begin: { Type: 'Pass', Result: { go: 'right' }, Next: 'Route' },
    Route: {
      Type: 'Choice',
      Choices: [{ Variable: '$.go', StringEquals: 'right', Next: 'Flaky' }],
      Default: 'Skipped',
    },
    Skipped: { Type: 'Pass', Next: 'Flaky' },
    Flaky: {
      Type: 'Task',
      Resource: TASK,
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 0 }],
      Next: 'Both',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Pass', End: true } } },
      ],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

it('counts each state entered and each retry, and nothing the execution skipped', async () => {
  ensurePromiseWithResolvers();
  let calls = 0;
  const flaky = () => (++calls === 1 ? Promise.reject(new Error('first try fails')) : Promise.resolve({}));
  const execution = new StateMachine(MACHINE as never).run(
    {},
    {
      overrides: { taskResourceLocalHandlers: { Flaky: flaky } },
    },
  );
  const events: ExecutorEvent[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  await execution.result;
  await logging;

  const entered = events
    .filter((e) => e.type === 'StateEntered')
    .map((e) => (e as ExecutorEvent & { state: { name: string } }).state.name);
  // The path taken, as the executor logged it (branch order may vary): Skipped is not on it, and Flaky
  // ran twice but was entered once.
  expect([...entered].sort()).toEqual(['Begin', 'Both', 'Done', 'Flaky', 'Left', 'Right', 'Route']);
  expect(calls).toBe(2);
  // 7 states entered + 1 retry of Flaky.
  expect(stateTransitions(events)).toBe(8);
});
